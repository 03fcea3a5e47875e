/**
 * Errors raised by the synchronisation primitives. Each carries a stable
 * `code` so that callers and tests match on codes, never on message text.
 */

export type SyncErrorCode = 'WEFT_QUEUE_CLOSED' | 'WEFT_SEMAPHORE_CLOSED';

export class SyncError extends Error {
  readonly code: SyncErrorCode;
  constructor(code: SyncErrorCode, message: string) {
    super(message);
    this.name = 'SyncError';
    this.code = code;
  }
}

/** A push on a closed queue (or a producer still waiting when it closed). */
export const queueClosed = (): SyncError => new SyncError('WEFT_QUEUE_CLOSED', 'queue closed');

/** An acquire on a closed semaphore (or still waiting when it closed). */
export const semaphoreClosed = (): SyncError => new SyncError('WEFT_SEMAPHORE_CLOSED', 'semaphore closed');
