/**
 * A buffered writer over a Conn (book 7.4, Go's bufio.Writer): many small
 * writes become one socket write. Strings are encoded straight into the
 * internal buffer, so serialising a response head makes no temporary Buffer.
 *
 * `push*()` only append; the owner decides when to `flush()`, and should do so
 * once `buffered >= limit` so that the buffer stays bounded. The buffer is
 * reused from its start after a flush the kernel took at once; when the kernel
 * could not, the flushed bytes are still the socket's, so later pushes go
 * after them, and a fresh buffer is started only once that room runs out (a
 * streamed chunked body would otherwise take a new buffer for every chunk's
 * few framing bytes).
 */
import type { Conn } from './conn.js';

/** Buffered bytes after which the owner should flush (bytes). */
export const DEFAULT_WRITE_BUFFER_SIZE = 16 * 1024;

/**
 * Idle buffers kept for reuse across connections. A connection waiting for
 * its next request holds no write buffer (10,000 idle keep-alive
 * connections would otherwise pin 160 MiB); the next response takes one from
 * here instead of allocating.
 */
export const MAX_POOLED_WRITE_BUFFERS = 256;
const pool: Buffer[] = [];
/** The last view take() made of a buffer's start, and of which (views cost an allocation each). */
let lastView: Buffer = Buffer.alloc(0);
let lastViewOf: Buffer | null = null;

/**
 * Buffer#latin1Write skips write()'s argument decoding, which showed in
 * profiles of the response path. Present in every Node release we support;
 * typed here because @types/node does not declare it.
 */
type Latin1Writable = Buffer & { latin1Write(s: string, offset: number): number };

export class BufWriter {
  readonly conn: Conn;
  /** Flush threshold in bytes; the buffer grows past it only for one oversized push. */
  readonly limit: number;
  private buf: Buffer | null = null;
  /** Where the unflushed bytes start: what is before it may still be queued in the socket. */
  private start = 0;
  /** Where they end. */
  private len = 0;

  constructor(conn: Conn, limit = DEFAULT_WRITE_BUFFER_SIZE) {
    this.conn = conn;
    this.limit = limit;
  }

  /** Bytes appended and not yet flushed. */
  get buffered(): number {
    return this.len - this.start;
  }

  private room(n: number): Buffer {
    // Bytes left queued by an earlier flush: once the socket has sent them, the room is ours again.
    if (this.start > 0 && this.start === this.len && this.conn.writeIdle) this.start = this.len = 0;
    let buf = this.buf;
    if (buf === null) {
      const pooled = this.limit === DEFAULT_WRITE_BUFFER_SIZE && n <= this.limit ? pool.pop() : undefined;
      buf = this.buf = pooled ?? Buffer.allocUnsafe(Math.max(this.limit, n));
    } else if (buf.length - this.len < n) {
      const used = this.len - this.start;
      let cap = this.limit;
      while (cap - used < n) cap *= 2;
      const next = Buffer.allocUnsafe(cap);
      buf.copy(next, 0, this.start, this.len);
      buf = this.buf = next;
      this.start = 0;
      this.len = used;
    }
    return buf;
  }

  /** Appends bytes (copied: the caller may reuse `data` at once). */
  push(data: Uint8Array): void {
    const buf = this.room(data.length);
    buf.set(data, this.len);
    this.len += data.length;
  }

  /** Appends CR LF. */
  pushCRLF(): void {
    const buf = this.room(2);
    buf[this.len++] = 0x0d;
    buf[this.len++] = 0x0a;
  }

  /** Appends a string in latin1 (one byte per char: HTTP heads). */
  pushLatin1(s: string): void {
    const buf = this.room(s.length);
    this.len += (buf as Latin1Writable).latin1Write(s, this.len);
  }

  /** Appends a non-negative integer in decimal ASCII, without making a string of it. */
  pushDecimal(n: number): void {
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    const buf = this.room(digits);
    let at = this.len + digits;
    this.len = at;
    do {
      const q = Math.floor(n / 10);
      buf[--at] = 0x30 + (n - q * 10);
      n = q;
    } while (n > 0);
  }

  /**
   * Drops what was appended after the first `length` bytes: a response head
   * that failed half-way is taken back before anything of it is sent.
   * `length` must be a value `buffered` had since the last flush.
   */
  rewind(length: number): void {
    // `buffered` counts from `start`, which is past bytes a flush left queued in the socket.
    const end = this.start + length;
    if (end < this.len) this.len = end;
  }

  /** Appends a string in UTF-8. */
  pushUtf8(s: string): void {
    const buf = this.room(Buffer.byteLength(s));
    this.len += buf.write(s, this.len, 'utf8');
  }

  /**
   * Sends what is buffered. Returns undefined when there is nothing to wait
   * for (nothing buffered, or the OS took it all at once: the common case),
   * else a promise that resolves once the OS has it (see Conn.write).
   * `await w.flush()` works either way; hot paths skip the await.
   */
  flush(): Promise<void> | undefined {
    if (this.len === this.start) return undefined;
    const out = this.take();
    let done: boolean;
    try {
      done = this.conn.writeNow(out);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.settle(done);
  }

  /**
   * Sends what is buffered followed by `data`, in one system call, without
   * copying `data`. For large payloads that should not pass through the buffer.
   */
  flushWith(data: Uint8Array): Promise<void> | undefined {
    let done: boolean;
    try {
      done = this.len === this.start ? this.conn.writeNow(data) : this.conn.writevNow([this.take(), data]);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.settle(done);
  }

  /**
   * Gives the buffer back to the pool when nothing is buffered: call it when
   * the connection goes idle. The next push takes a buffer again.
   */
  release(): void {
    const buf = this.buf;
    if (buf === null || this.len !== this.start) return;
    // A buffer whose bytes the socket still holds must not be handed to another connection.
    const ours = this.start === 0 || this.conn.writeIdle;
    this.buf = null;
    this.start = this.len = 0;
    if (ours && buf.length === DEFAULT_WRITE_BUFFER_SIZE && pool.length < MAX_POOLED_WRITE_BUFFERS) pool.push(buf);
  }

  /** The unflushed bytes, handed to the socket: from here on they are its own. */
  private take(): Buffer {
    const buf = this.buf!;
    const start = this.start;
    const len = this.len;
    this.start = len;
    if (start !== 0) return buf.subarray(start, len);
    // Responses of one size from one (pooled) buffer, again and again: the
    // same view will do, as a region is only written again once the socket
    // is done with it (see settle and release).
    if (lastViewOf === buf && lastView.length === len) return lastView;
    lastViewOf = buf;
    return (lastView = buf.subarray(0, len));
  }

  /**
   * After a write: the kernel took everything (the buffer is ours again from
   * its start) or not (the bytes flushed stay queued in the socket until it
   * has; pushes go after them, and the promise says when it has).
   */
  private settle(done: boolean): Promise<void> | undefined {
    if (done) {
      this.start = this.len = 0;
      return undefined;
    }
    return this.conn.flushed();
  }
}
