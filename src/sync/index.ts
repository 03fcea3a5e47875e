/**
 * Synchronisation primitives for async code (book 13.3-13.4): a closeable
 * blocking queue and a FIFO semaphore (mutex, concurrency limiter).
 */
export { createQueue, type Queue, type QueueOptions } from './queue.js';
export { createSemaphore, withPermit, type Semaphore } from './semaphore.js';
export { Deque } from './deque.js';
export { SyncError, type SyncErrorCode } from './errors.js';
