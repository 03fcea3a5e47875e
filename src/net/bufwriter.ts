/**
 * A buffered writer over a Conn (book 7.4, Go's bufio.Writer): many small
 * writes become one socket write. Strings are encoded straight into the
 * internal buffer, so serialising a response head makes no temporary Buffer.
 *
 * `push*()` only append; the owner decides when to `flush()`, and should do so
 * once `buffered >= limit` so that the buffer stays bounded. The buffer is
 * reused after a flush the kernel took at once; when the kernel could not, the
 * flushed memory is still the socket's and a fresh buffer is started.
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
  private len = 0;

  constructor(conn: Conn, limit = DEFAULT_WRITE_BUFFER_SIZE) {
    this.conn = conn;
    this.limit = limit;
  }

  /** Bytes appended and not yet flushed. */
  get buffered(): number {
    return this.len;
  }

  private room(n: number): Buffer {
    let buf = this.buf;
    if (buf === null) {
      const pooled = this.limit === DEFAULT_WRITE_BUFFER_SIZE && n <= this.limit ? pool.pop() : undefined;
      buf = this.buf = pooled ?? Buffer.allocUnsafe(Math.max(this.limit, n));
    } else if (buf.length - this.len < n) {
      let cap = buf.length * 2;
      while (cap - this.len < n) cap *= 2;
      const next = Buffer.allocUnsafe(cap);
      buf.copy(next, 0, 0, this.len);
      buf = this.buf = next;
    }
    return buf;
  }

  /** Appends bytes (copied: the caller may reuse `data` at once). */
  push(data: Uint8Array): void {
    const buf = this.room(data.length);
    buf.set(data, this.len);
    this.len += data.length;
  }

  /** Appends a string in latin1 (one byte per char: HTTP heads). */
  pushLatin1(s: string): void {
    const buf = this.room(s.length);
    this.len += (buf as Latin1Writable).latin1Write(s, this.len);
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
    if (this.len === 0) return undefined;
    const out = this.buf!.subarray(0, this.len);
    this.len = 0;
    let done: boolean;
    try {
      done = this.conn.writeNow(out);
    } catch (err) {
      return Promise.reject(err);
    }
    return done ? undefined : this.queued();
  }

  /**
   * Sends what is buffered followed by `data`, in one system call, without
   * copying `data`. For large payloads that should not pass through the buffer.
   */
  flushWith(data: Uint8Array): Promise<void> | undefined {
    let done: boolean;
    try {
      if (this.len === 0) {
        done = this.conn.writeNow(data);
      } else {
        const out = this.buf!.subarray(0, this.len);
        this.len = 0;
        done = this.conn.writevNow([out, data]);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return done ? undefined : this.queued();
  }

  /**
   * Gives the buffer back to the pool when nothing is buffered: call it when
   * the connection goes idle. The next push takes a buffer again.
   */
  release(): void {
    const buf = this.buf;
    if (buf === null || this.len !== 0) return;
    this.buf = null;
    if (buf.length === DEFAULT_WRITE_BUFFER_SIZE && pool.length < MAX_POOLED_WRITE_BUFFERS) pool.push(buf);
  }

  /** The bytes are still queued inside the socket: that memory is not ours to reuse. */
  private queued(): Promise<void> {
    this.buf = null;
    return this.conn.flushed();
  }
}
