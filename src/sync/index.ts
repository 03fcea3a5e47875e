/**
 * Synchronisation primitives for async code (book 13.3-13.4): a closeable
 * blocking queue, a FIFO semaphore (mutex, concurrency limiter) and a
 * coalesced task (requests during a run merge into one more run).
 */
export { createQueue, type Queue, type QueueOptions } from './queue.js';
export { createSemaphore, withPermit, type Semaphore } from './semaphore.js';
export { coalesced } from './coalesce.js';
export { Deque } from './deque.js';
export { SyncError, type SyncErrorCode } from './errors.js';
