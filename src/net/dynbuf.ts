/**
 * A growable byte buffer for protocol parsers: bytes are appended at the back
 * and consumed from the front, both in amortised O(1) (book 5.2 and 5.5).
 *
 * - Consuming only moves a start offset; the unread bytes are moved to the
 *   front only once the wasted prefix passes half the capacity.
 * - Appending to an empty buffer adopts the chunk instead of copying it: on a
 *   request/response protocol most reads hold whole messages, so most bytes
 *   are never copied. An adopted chunk is never written into.
 * - Views handed out by `take()`/`cut()` stay valid for ever: once a view has
 *   been lent, the memory behind it is never reused.
 */
import { MessageTooLongError } from './errors.js';

const EMPTY = Buffer.alloc(0);
const MIN_CAPACITY = 4096;
const typedIndexOf = Uint8Array.prototype.indexOf;

/** Present in every Node release we support; typed here because @types/node does not declare it. */
type Latin1Sliceable = Buffer & { latin1Slice(start: number, end: number): string };

export class DynBuf {
  private data: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  /** `data` was allocated here, so free space after `end` may be written. */
  private owned = false;
  /** A view into `data` was handed out: never move bytes inside `data` again. */
  private lent = false;
  /** `cut()` state: bytes from `start` already searched for `scanDelim`. */
  private scanned = 0;
  private scanDelim: Buffer | null = null;
  /** Bytes copied or moved so far: stays O(bytes appended), never O(n²). */
  copiedBytes = 0;

  /** Number of unread bytes. */
  get length(): number {
    return this.end - this.start;
  }

  /** Bytes of memory held (for bounded-memory tests and stats). */
  get capacity(): number {
    return this.data.length;
  }

  append(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0) return;
    if (this.end === this.start) {
      // Empty: adopt the chunk itself. No copy.
      this.data = chunk;
      this.start = 0;
      this.end = n;
      this.owned = false;
      this.lent = false;
      return;
    }
    if (!this.owned || this.data.length - this.end < n) this.makeRoom(n);
    chunk.copy(this.data, this.end);
    this.end += n;
    this.copiedBytes += n;
  }

  /** Ensures an owned buffer with room for `n` more bytes after `end`. */
  private makeRoom(n: number): void {
    const len = this.end - this.start;
    const need = len + n;
    const cap = this.data.length;
    this.copiedBytes += len;
    if (this.owned && !this.lent && need <= cap && this.start >= cap >>> 1) {
      this.data.copyWithin(0, this.start, this.end);
    } else {
      // At least twice what is needed: the bytes copied now are paid for by
      // the appends that fill the other half before the next reallocation.
      let newCap = Math.max(MIN_CAPACITY, this.owned ? cap : 0);
      while (newCap < 2 * need) newCap *= 2;
      const next = Buffer.allocUnsafe(newCap);
      this.data.copy(next, 0, this.start, this.end);
      this.data = next;
      this.owned = true;
      this.lent = false;
    }
    this.start = 0;
    this.end = len;
  }

  /** The unread bytes, without consuming them. Valid until the next append. */
  peek(): Buffer {
    return this.start === 0 && this.end === this.data.length
      ? this.data
      : this.data.subarray(this.start, this.end);
  }

  /** Unread bytes [from, to) decoded as latin1 (one char per byte). */
  latin1(from: number, to: number): string {
    // Buffer#latin1Slice: toString() without its encoding lookup and argument checks.
    return (this.data as Latin1Sliceable).latin1Slice(this.start + from, this.start + to);
  }

  /** The unread byte at `i` (0-based), or -1 past the end. */
  byteAt(i: number): number {
    const p = this.start + i;
    return p < this.end ? this.data[p]! : -1;
  }

  /**
   * Index of `needle` in the unread bytes, searching from `from`, or -1.
   * A match must lie wholly within the unread bytes.
   */
  indexOf(needle: Buffer | string | number, from = 0): number {
    const base = this.start;
    const data = this.data;
    if (typeof needle === 'number') {
      // V8's own TypedArray search: no call into Node's C++ binding.
      const i = typedIndexOf.call(data, needle, base + from);
      return i < 0 || i >= this.end ? -1 : i - base;
    }
    // Search `data` directly when nothing follows `end` (always true for an
    // adopted chunk): it spares a view allocation per search.
    const hay = this.end === data.length ? data : data.subarray(0, this.end);
    const i = hay.indexOf(needle as Buffer, base + from, 'latin1');
    return i < 0 ? -1 : i - base;
  }

  /** Consumes `n` bytes from the front. */
  consume(n: number): void {
    if (n > this.end - this.start) throw new RangeError('consume past end');
    this.start += n;
    this.scanned = 0;
    if (this.start === this.end) this.reset();
    else if (this.owned && !this.lent && this.start >= this.data.length >>> 1) {
      this.copiedBytes += this.end - this.start;
      this.data.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
  }

  /** Removes and returns the first `n` bytes. The view stays valid. */
  take(n: number): Buffer {
    if (n > this.end - this.start) throw new RangeError('take past end');
    const view = this.data.subarray(this.start, this.start + n);
    this.lent = true;
    this.start += n;
    this.scanned = 0;
    if (this.start === this.end) this.reset();
    return view;
  }

  /** Removes and returns every unread byte. */
  takeAll(): Buffer {
    return this.take(this.end - this.start);
  }

  private reset(): void {
    if (this.owned && !this.lent) {
      this.start = this.end = 0;
    } else {
      // Lent or adopted memory cannot be written into; let it go.
      this.data = EMPTY;
      this.start = this.end = 0;
      this.owned = false;
      this.lent = false;
    }
  }

  /** Lets go of the memory behind an empty buffer (a connection going idle). */
  release(): void {
    if (this.end !== this.start) return;
    this.data = EMPTY;
    this.start = this.end = 0;
    this.owned = false;
    this.lent = false;
  }

  /**
   * Removes and returns the next message ending with `delim` (the delimiter is
   * consumed, not returned), or null when no whole message is buffered yet.
   * Throws MessageTooLongError once it is certain that the message (without
   * its delimiter) is longer than `maxLength`. Repeated calls while bytes
   * trickle in do not rescan what was already searched.
   */
  cut(delim: Buffer, maxLength: number): Buffer | null {
    if (this.scanDelim !== delim) {
      this.scanDelim = delim;
      this.scanned = 0;
    }
    const dlen = delim.length;
    const i = this.indexOf(dlen === 1 ? delim[0]! : delim, this.scanned);
    if (i < 0) {
      const len = this.end - this.start;
      this.scanned = Math.max(0, len - dlen + 1);
      if (len - dlen + 1 > maxLength) throw new MessageTooLongError(maxLength);
      return null;
    }
    if (i > maxLength) throw new MessageTooLongError(maxLength);
    const msg = this.take(i);
    this.consume(dlen);
    return msg;
  }
}
