/**
 * A counting semaphore with FIFO wake-up: at most `permits` holders at once.
 * With one permit it is the book's mutex (13.3), an ordered lock; with a few
 * it is a concurrency limiter (like `ws`'s limiter.js) that keeps many
 * connections from running zlib jobs all at once.
 *
 * A release hands the permit straight to the first waiter, so a newcomer
 * calling `tryAcquire()` can never overtake someone already waiting.
 */
import { Deque } from './deque.js';
import { semaphoreClosed } from './errors.js';

export type Semaphore = {
  /** Resolves once a permit is held; rejects if the semaphore is (or gets) closed. */
  acquire(): Promise<void>;
  /** Takes a permit if one is free and nobody is waiting; never waits. */
  tryAcquire(): boolean;
  /** Returns a permit (to the first waiter, if any). */
  release(): void;
  /** Rejects every waiting and future acquire. Holders keep their permits. */
  close(): void;
  /** Permits held now. */
  readonly active: number;
  /** Callers waiting for a permit. */
  readonly waiting: number;
};

type Waiter = { resolve: () => void; reject: (err: Error) => void };

const RESOLVED: Promise<void> = Promise.resolve();

class CountingSemaphore implements Semaphore {
  private readonly permits: number;
  private held = 0;
  private readonly waiters = new Deque<Waiter>();
  private isClosed = false;

  constructor(permits: number) {
    if (!(permits >= 1)) throw new RangeError(`semaphore permits must be >= 1, got ${permits}`);
    this.permits = permits;
  }

  get active(): number {
    return this.held;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  tryAcquire(): boolean {
    if (this.isClosed || this.held >= this.permits || this.waiters.length > 0) return false;
    this.held++;
    return true;
  }

  acquire(): Promise<void> {
    if (this.isClosed) return Promise.reject(semaphoreClosed());
    if (this.tryAcquire()) return RESOLVED;
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  release(): void {
    if (this.held === 0) throw new Error('semaphore released more often than acquired');
    const next = this.waiters.shift();
    // The permit passes to the waiter: `held` stays the same.
    if (next !== undefined) next.resolve();
    else this.held--;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (let w = this.waiters.shift(); w !== undefined; w = this.waiters.shift()) w.reject(semaphoreClosed());
  }
}

/**
 * Creates a semaphore with `permits` permits (1: a mutex).
 *
 * @example
 * const lock = createSemaphore(1);
 * await lock.acquire();
 * try { await writeBothHalves(); } finally { lock.release(); }
 */
export function createSemaphore(permits = 1): Semaphore {
  return new CountingSemaphore(permits);
}

/** Runs `job` holding a permit of `sem`, releasing it however the job ends. */
export async function withPermit<R>(sem: Semaphore, job: () => Promise<R>): Promise<R> {
  if (!sem.tryAcquire()) await sem.acquire();
  try {
    return await job();
  } finally {
    sem.release();
  }
}
