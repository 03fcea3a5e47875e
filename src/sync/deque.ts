/**
 * A double-ended queue on a growable ring buffer: push at the back, shift
 * from the front, both O(1). `Array.prototype.shift()` is O(n) once an array
 * leaves V8's fast path, and a queue of waiters is shifted on every wake-up.
 *
 * The ring only ever holds what its owner put in it; it grows by doubling and
 * shrinks back when it empties, so its memory follows the number of entries.
 */

/** Initial ring size (entries). A power of two: indices wrap with a mask. */
const MIN_CAPACITY = 8;

export class Deque<T> {
  private ring: (T | undefined)[] = new Array<T | undefined>(MIN_CAPACITY);
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    if (this.size === this.ring.length) this.grow();
    this.ring[(this.head + this.size) & (this.ring.length - 1)] = item;
    this.size++;
  }

  /** Removes and returns the front entry; undefined when empty. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.ring[this.head];
    this.ring[this.head] = undefined; // let it be collected
    this.head = (this.head + 1) & (this.ring.length - 1);
    if (--this.size === 0) {
      this.head = 0;
      if (this.ring.length > MIN_CAPACITY * 4) this.ring = new Array<T | undefined>(MIN_CAPACITY);
    }
    return item;
  }

  /** The front entry without removing it; undefined when empty. */
  peek(): T | undefined {
    return this.size === 0 ? undefined : this.ring[this.head];
  }

  /** Removes every entry and returns them in order. */
  drain(): T[] {
    const out: T[] = [];
    while (this.size > 0) out.push(this.shift() as T);
    return out;
  }

  private grow(): void {
    const old = this.ring;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.ring = next;
    this.head = 0;
  }
}
