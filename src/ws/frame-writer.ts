/**
 * The frame builder and writer for server frames (RFC 6455 §5.2: unmasked).
 *
 * Small frames are built in place, header and payload together, in one
 * reused buffer, and the buffer is written once per tick (process.nextTick,
 * which runs after the current run of promise callbacks): an application
 * answering 64 pipelined messages makes one system call, not 64. Payloads of
 * WRITEV_THRESHOLD bytes or more are not copied: their header goes out with
 * them in one writev.
 *
 * Backpressure: a write resolves at once while the buffer is below its limit
 * and the socket has nothing queued; otherwise it resolves when the OS has
 * taken the bytes (Conn.write). So a producer that awaits its writes is never
 * more than one buffer ahead of the kernel. A write on a failed socket
 * rejects with WEFT_WS_CLOSED (the socket's error as its cause): a peer that
 * vanished is the connection's end, not the application's failure.
 */
import type { Conn } from '../net/conn.js';
import { DEFAULT_WRITE_BUFFER_SIZE, OP_TEXT, WRITEV_THRESHOLD } from './constants.js';
import { wsClosed } from './errors.js';

/** Longest server frame header: 2 + 8 (64-bit length); no masking key. */
const MAX_HEADER = 10;
/** Strings up to this many UTF-16 units are encoded straight into the buffer (≤ 3 bytes each). */
const INLINE_TEXT_MAX = Math.floor((WRITEV_THRESHOLD - 1) / 3);
/** Payloads up to this size are copied with a loop; `set()` has a fixed cost (bytes, measured). */
const LOOP_COPY_MAX = 32;

const RESOLVED: Promise<void> = Promise.resolve();
const noop = (): void => {};
const closedBy = (err: unknown): never => {
  throw wsClosed(err);
};

type Deferred = { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void };

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export class FrameWriter {
  private readonly conn: Conn;
  /** Buffered bytes past which the buffer is written at once. */
  private readonly limit: number;
  private buf: Buffer;
  private len = 0;
  private tickScheduled = false;
  /** Writers waiting for the buffered bytes to reach the OS; created on demand. */
  private batch: Deferred | null = null;
  private closed = false;

  constructor(conn: Conn, limit = DEFAULT_WRITE_BUFFER_SIZE) {
    this.conn = conn;
    this.limit = limit;
    this.buf = Buffer.allocUnsafe(this.capacity());
  }

  /** Room for a full buffer plus the largest frame that is ever copied. */
  private capacity(): number {
    return this.limit + WRITEV_THRESHOLD + MAX_HEADER;
  }

  /** Bytes built and not yet handed to the socket. */
  get buffered(): number {
    return this.len;
  }

  /**
   * Writes one frame. `payload` must not be modified until the returned
   * promise resolves (large payloads are written without a copy).
   */
  frame(opcode: number, payload: Uint8Array, fin = true, rsv1 = false): Promise<void> {
    if (this.closed) return Promise.reject(wsClosed());
    const b0 = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
    const n = payload.length;
    if (n >= WRITEV_THRESHOLD) return this.writeLarge(b0, payload);
    this.reserve(n + MAX_HEADER);
    const buf = this.buf;
    let p = this.header(this.len, b0, n);
    if (n <= LOOP_COPY_MAX) {
      for (let i = 0; i < n; i++) buf[p + i] = payload[i]!;
    } else {
      buf.set(payload, p);
    }
    p += n;
    this.len = p;
    return this.appended();
  }

  /** Writes a whole text message from a string, encoding it in place when short. */
  text(s: string): Promise<void> {
    if (this.closed) return Promise.reject(wsClosed());
    if (s.length > INLINE_TEXT_MAX) return this.frame(OP_TEXT, Buffer.from(s, 'utf8'));
    const n = Buffer.byteLength(s, 'utf8');
    this.reserve(n + MAX_HEADER);
    const p = this.header(this.len, 0x80 | OP_TEXT, n);
    this.len = p + this.buf.write(s, p, 'utf8');
    return this.appended();
  }

  /** Hands everything buffered to the socket now; resolves when the OS has it. */
  flush(): Promise<void> {
    if (this.len === 0) return this.batch === null ? RESOLVED : this.batch.promise;
    return this.issue();
  }

  /** Drops what is buffered; later writes reject. */
  close(): void {
    this.closed = true;
    this.len = 0;
    const b = this.batch;
    this.batch = null;
    b?.reject(wsClosed());
  }

  private onTick = (): void => {
    this.tickScheduled = false;
    if (this.len > 0) this.issue().then(undefined, noop);
  };

  /** After a frame was appended: flush now if full, else once this tick is over. */
  private appended(): Promise<void> {
    if (this.len >= this.limit) return this.issue();
    if (!this.tickScheduled) {
      this.tickScheduled = true;
      process.nextTick(this.onTick);
    }
    if (this.conn.writeIdle) return RESOLVED;
    return (this.batch ??= deferred()).promise;
  }

  /** Makes sure `n` more bytes fit, writing out what is buffered if not. */
  private reserve(n: number): void {
    if (this.buf.length - this.len < n) this.issue().then(undefined, noop);
  }

  /** Writes the buffered bytes; the batch waiters resolve with that write. */
  private issue(): Promise<void> {
    const out = this.buf.subarray(0, this.len);
    this.len = 0;
    let taken: boolean;
    try {
      taken = this.conn.writeNow(out);
    } catch (err) {
      return this.afterWrite(Promise.reject(wsClosed(err)), true);
    }
    return this.afterWrite(taken ? RESOLVED : this.conn.flushed().then(undefined, closedBy), taken);
  }

  private writeLarge(b0: number, payload: Uint8Array): Promise<void> {
    this.reserve(MAX_HEADER);
    const end = this.header(this.len, b0, payload.length);
    const head = this.buf.subarray(0, end);
    this.len = 0;
    let taken: boolean;
    try {
      taken = this.conn.writevNow([head, payload]);
    } catch (err) {
      return this.afterWrite(Promise.reject(wsClosed(err)), true);
    }
    return this.afterWrite(taken ? RESOLVED : this.conn.flushed().then(undefined, closedBy), taken);
  }

  /** `taken`: the OS has every byte, so the buffer may be reused. */
  private afterWrite(p: Promise<void>, taken: boolean): Promise<void> {
    // Still queued inside the socket: that memory is not ours to reuse.
    if (!taken) this.buf = Buffer.allocUnsafe(this.capacity());
    const b = this.batch;
    if (b !== null) {
      this.batch = null;
      p.then(b.resolve, b.reject);
    }
    return p;
  }

  /** Writes a frame header at `off`; returns where the payload goes. */
  private header(off: number, b0: number, n: number): number {
    const buf = this.buf;
    buf[off] = b0;
    if (n < 126) {
      buf[off + 1] = n;
      return off + 2;
    }
    if (n < 0x10000) {
      buf[off + 1] = 126;
      buf[off + 2] = n >>> 8;
      buf[off + 3] = n & 0xff;
      return off + 4;
    }
    buf[off + 1] = 127;
    buf.writeUInt32BE(Math.floor(n / 0x100000000), off + 2);
    buf.writeUInt32BE(n >>> 0, off + 6);
    return off + 10;
  }
}
