/**
 * A closeable blocking queue (book 13.3-13.4, Go's channel): many producers,
 * many consumers, bounded capacity, FIFO wake-up on both sides.
 *
 * - `push()` waits while the queue is full; `pop()` waits while it is empty.
 * - Capacity 0 is a rendezvous: a push completes only when a consumer takes
 *   the item. Capacity N buffers N items before producers block.
 * - An optional `weigh` measures items (bytes, say): the queue then accepts
 *   items while the buffered weight is below the capacity, so one item may
 *   overshoot it but a heavy item never deadlocks.
 * - `close()` rejects every waiting and future producer and, once buffered
 *   items have drained, gives consumers `null`, like a closed pipe.
 *
 * Memory: buffered items are bounded by the capacity; waiting producers and
 * consumers are bounded by the callers themselves (one entry per pending
 * call), so nothing here grows without a caller waiting on it.
 */
import { Deque } from './deque.js';
import { queueClosed } from './errors.js';

export type Queue<T> = {
  /** Resolves once the item is buffered or taken; rejects if the queue is (or gets) closed. */
  push(item: T): Promise<void>;
  /** Pushes only if that needs no waiting; false otherwise (full, or closed). */
  tryPush(item: T): boolean;
  /** The next item, waiting for one if needed; null once closed and drained. */
  pop(): Promise<T | null>;
  /** The next item if one is ready now (buffered or from a waiting producer). */
  tryPop(): T | undefined;
  /** Rejects waiting producers, wakes waiting consumers with null. Idempotent. */
  close(): void;
  readonly closed: boolean;
  /** Items buffered (not counting items held by waiting producers). */
  readonly length: number;
  /** Weight of the buffered items (equals `length` without `weigh`). */
  readonly weight: number;
};

export type QueueOptions<T> = {
  /**
   * The weight of an item (for example its size in bytes); the capacity is
   * then in the same unit. Must return the same value for the same item.
   */
  weigh?: (item: T) => number;
};

type Producer<T> = { item: T; resolve: () => void; reject: (err: Error) => void };
type Consumer<T> = (item: T | null) => void;

const RESOLVED: Promise<void> = Promise.resolve();
const NULL: Promise<null> = Promise.resolve(null);
const one = (): number => 1;

class BlockingQueue<T> implements Queue<T> {
  private readonly capacity: number;
  private readonly weigh: (item: T) => number;
  private readonly items = new Deque<T>();
  private readonly producers = new Deque<Producer<T>>();
  private readonly consumers = new Deque<Consumer<T>>();
  private buffered = 0;
  private isClosed = false;

  constructor(capacity: number, options: QueueOptions<T>) {
    if (!(capacity >= 0)) throw new RangeError(`queue capacity must be >= 0, got ${capacity}`);
    this.capacity = capacity;
    this.weigh = options.weigh ?? one;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get length(): number {
    return this.items.length;
  }

  get weight(): number {
    return this.buffered;
  }

  tryPush(item: T): boolean {
    if (this.isClosed) return false;
    // A waiting consumer implies an empty buffer: hand the item over.
    const consumer = this.consumers.shift();
    if (consumer !== undefined) {
      consumer(item);
      return true;
    }
    // Producers already waiting go first (FIFO), and they only wait when full.
    if (this.producers.length === 0 && this.buffered < this.capacity) {
      this.items.push(item);
      this.buffered += this.weigh(item);
      return true;
    }
    return false;
  }

  push(item: T): Promise<void> {
    if (this.isClosed) return Promise.reject(queueClosed());
    if (this.tryPush(item)) return RESOLVED;
    return new Promise<void>((resolve, reject) => {
      this.producers.push({ item, resolve, reject });
    });
  }

  tryPop(): T | undefined {
    if (this.items.length > 0) {
      const item = this.items.shift() as T;
      this.buffered -= this.weigh(item);
      this.admitProducers();
      return item;
    }
    // Rendezvous (or weights): take straight from the first waiting producer.
    const producer = this.producers.shift();
    if (producer !== undefined) {
      producer.resolve();
      return producer.item;
    }
    return undefined;
  }

  pop(): Promise<T | null> {
    if (this.items.length > 0 || this.producers.length > 0) {
      return Promise.resolve(this.tryPop() as T);
    }
    if (this.isClosed) return NULL;
    return new Promise<T | null>((resolve) => {
      this.consumers.push(resolve);
    });
  }

  /** Moves waiting producers' items into the buffer while there is room. */
  private admitProducers(): void {
    while (this.buffered < this.capacity) {
      const producer = this.producers.shift();
      if (producer === undefined) return;
      this.items.push(producer.item);
      this.buffered += this.weigh(producer.item);
      producer.resolve();
    }
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (let p = this.producers.shift(); p !== undefined; p = this.producers.shift()) p.reject(queueClosed());
    for (let c = this.consumers.shift(); c !== undefined; c = this.consumers.shift()) c(null);
  }
}

/**
 * Creates a blocking queue that buffers up to `capacity` items (or units of
 * weight) before producers block; 0, the default, makes every push wait for
 * a consumer.
 *
 * @example
 * const q = createQueue<string>(1);
 * const consumer = (async () => { for (let s; (s = await q.pop()) !== null; ) console.log(s); })();
 * await q.push('a'); await q.push('b');
 * q.close(); await consumer;
 */
export function createQueue<T>(capacity = 0, options: QueueOptions<T> = {}): Queue<T> {
  return new BlockingQueue<T>(capacity, options);
}
