/**
 * A promise-based connection over a `net.Socket` (or a `tls.TLSSocket`): the
 * book's TCPConn with soRead/soWrite (chapter 4), made fast and bounded.
 *
 * Reading: the socket keeps flowing into a queue of chunks, and is paused only
 * once the unread bytes reach the read high-water mark, then resumed when the
 * reader has drained them below half of it. Pausing on every read, as the
 * book's listing does, costs two system calls per read. A protocol loop that
 * can usually deal with a chunk at once takes them through deliver() instead,
 * in the 'data' event itself: no promise per chunk.
 *
 * Writing: `write()` resolves once everything written so far has been handed
 * to the OS. When the kernel takes the bytes at once (the common case) the
 * promise is already resolved; otherwise the writer waits, which is the
 * backpressure a producer needs.
 */
import type * as net from 'node:net';
import { NetError, connClosed } from './errors.js';

/** Unread bytes at which the socket is paused (bytes). */
export const DEFAULT_READ_HIGH_WATER_MARK = 64 * 1024;

export type ConnOptions = {
  /** Unread bytes at which reading from the socket pauses. Default 64 KiB. */
  readHighWaterMark?: number;
};

type Waiter<T> = { resolve: (v: T) => void; reject: (e: Error) => void };

/**
 * Takes a chunk the moment it arrives (see Conn.deliver) and returns true to
 * take the next one the same way. Null means the read side ended, failed or
 * was interrupted: read() says which.
 */
export type ChunkSink = (chunk: Buffer | null) => boolean;
type FlushWaiter = Waiter<void> & { upTo: number };

const EMPTY = Buffer.alloc(0);
const RESOLVED: Promise<void> = Promise.resolve();

export class Conn {
  readonly socket: net.Socket;
  private readonly highWaterMark: number;

  // Read side.
  private chunks: Buffer[] = [];
  private head = 0;
  private unread = 0;
  private paused = false;
  private eof = false;
  private readErr: Error | null = null;
  /** readErr was set by interruptRead, not by the socket. */
  private interrupted = false;
  private reader: Waiter<Buffer> | null = null;
  private sink: ChunkSink | null = null;
  /** Largest number of unread bytes ever held (for bounded-memory checks). */
  peakUnread = 0;

  // Write side: writes are numbered; their callbacks arrive in order.
  private issued = 0;
  private done = 0;
  private writeErr: Error | null = null;
  private flushWaiters: FlushWaiter[] = [];
  /** Called once when the connection fails or is closed (see onFailure). */
  private failureWatchers: Set<(err: Error) => void> | null = null;
  private failed = false;

  constructor(socket: net.Socket, options: ConnOptions = {}) {
    this.socket = socket;
    this.highWaterMark = options.readHighWaterMark ?? DEFAULT_READ_HIGH_WATER_MARK;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    // A socket that ended before it was handed over (reset while it waited in
    // a queue) has already emitted 'close': it will never emit it again.
    if (socket.destroyed) this.fail(connClosed());
  }

  /** Bytes received but not yet read. */
  get unreadBytes(): number {
    return this.unread;
  }

  /** True once the peer has sent EOF or the connection failed. */
  get readEnded(): boolean {
    return this.eof || this.readErr !== null;
  }

  /** Remote address, as reported by the socket. */
  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  private onData = (chunk: Buffer): void => {
    const r = this.reader;
    if (r !== null) {
      this.reader = null;
      r.resolve(chunk);
      return;
    }
    const s = this.sink;
    if (s !== null) {
      // Not set during the call: an end or failure the sink itself causes is
      // seen here, after it returns, instead of calling it again inside itself.
      this.sink = null;
      if (s(chunk)) {
        if (this.readEnded) s(null);
        else this.sink = s;
      }
      return;
    }
    this.chunks.push(chunk);
    this.unread += chunk.length;
    if (this.unread > this.peakUnread) this.peakUnread = this.unread;
    if (!this.paused && this.unread >= this.highWaterMark) {
      this.paused = true;
      this.socket.pause();
    }
  };

  private onEnd = (): void => {
    this.eof = true;
    const r = this.reader;
    if (r !== null) {
      this.reader = null;
      r.resolve(EMPTY);
    }
    this.wakeSink();
  };

  private onError = (err: Error): void => {
    this.fail(err);
  };

  private onClose = (): void => {
    this.fail(connClosed());
  };

  /** Records the first failure and wakes every waiter with it. */
  private fail(err: Error): void {
    this.notifyFailure(err);
    if (!this.eof && this.readErr === null) this.readErr = err;
    const r = this.reader;
    if (r !== null) {
      this.reader = null;
      if (this.eof) r.resolve(EMPTY);
      else r.reject(this.readErr!);
    }
    if (this.writeErr === null) this.writeErr = err;
    this.rejectFlushWaiters(this.writeErr);
    this.wakeSink();
  }

  /** Tells the sink that the read side ended, failed or was interrupted. */
  private wakeSink(): void {
    const s = this.sink;
    if (s === null) return;
    this.sink = null;
    s(null);
  }

  /**
   * Resolves with the next bytes received, or an empty buffer at EOF; rejects
   * if the connection failed. An EOF or error that happened while nobody was
   * reading is delivered here. Only one read may be pending at a time.
   */
  read(): Promise<Buffer> {
    if (this.reader !== null) {
      return Promise.reject(new NetError('WEFT_CONCURRENT_READ', 'a read is already pending'));
    }
    const chunk = this.tryRead();
    if (chunk !== null) return Promise.resolve(chunk);
    if (this.readErr !== null) return Promise.reject(this.readErr);
    if (this.eof) return Promise.resolve(EMPTY);
    return new Promise((resolve, reject) => {
      this.reader = { resolve, reject };
    });
  }

  /**
   * Hands the chunks that arrive from now on to `sink`, synchronously in the
   * socket's 'data' event: no promise and no microtask per chunk, for a
   * protocol loop that can usually deal with a chunk at once (a keep-alive
   * request with a synchronous answer). A pending read() still comes first.
   * It lasts until the sink returns false, or until the read side ends, fails
   * or is interrupted, when the sink gets null. Returns false, and sets
   * nothing, when read() would not wait: a chunk is queued, or the read side
   * has ended.
   */
  deliver(sink: ChunkSink): boolean {
    if (this.reader !== null || this.head !== this.chunks.length || this.readEnded) return false;
    this.sink = sink;
    return true;
  }

  /** The next buffered chunk if one is already here, else null. Never waits. */
  tryRead(): Buffer | null {
    if (this.head === this.chunks.length) return null;
    const chunk = this.chunks[this.head]!;
    this.chunks[this.head++] = EMPTY;
    if (this.head === this.chunks.length) {
      this.chunks.length = 0;
      this.head = 0;
    }
    this.unread -= chunk.length;
    if (this.paused && this.unread < this.highWaterMark >>> 1) {
      this.paused = false;
      this.socket.resume();
    }
    return chunk;
  }

  /**
   * Rejects the pending read (or the next one) with `err`, leaving the socket
   * open so that an answer can still be written: used for timeouts.
   */
  interruptRead(err: Error): void {
    if (this.readErr !== null) return;
    this.readErr = err;
    this.interrupted = true;
    const r = this.reader;
    if (r !== null) {
      this.reader = null;
      r.reject(err);
    }
    this.wakeSink();
  }

  /**
   * Undoes interruptRead: reads deliver what the peer sends again. For the
   * close after a timeout's answer, which reads (and discards) what the
   * client is still sending, so that closing with unread bytes does not
   * reset the connection and lose the answer on its way.
   */
  resumeReading(): void {
    if (!this.interrupted) return;
    this.interrupted = false;
    this.readErr = this.failed && !this.eof ? connClosed() : null;
  }

  /**
   * Writes `data`. Resolves once all data written so far has been handed to
   * the OS; rejects if the connection fails first. The caller must not modify
   * `data` until then.
   */
  write(data: Uint8Array): Promise<void> {
    try {
      return this.writeNow(data) ? RESOLVED : this.flushed();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Writes `data` and tells whether the OS took everything at once (the
   * common case: nothing to wait for, not even a microtask). When it did not,
   * `flushed()` resolves once it has. Throws if the connection failed.
   */
  writeNow(data: Uint8Array): boolean {
    if (this.writeErr !== null) throw this.writeErr;
    if (!this.socket.writable) throw connClosed();
    this.issued++;
    this.socket.write(data, this.onWritten);
    // writableLength drops to 0 synchronously when the kernel took every byte.
    return this.socket.writableLength === 0;
  }

  /** Writes several buffers as one system call (writev); see writeNow. */
  writevNow(chunks: readonly Uint8Array[]): boolean {
    if (this.writeErr !== null) throw this.writeErr;
    if (!this.socket.writable) throw connClosed();
    const s = this.socket;
    s.cork();
    for (const c of chunks) {
      this.issued++;
      s.write(c, this.onWritten);
    }
    s.uncork();
    return s.writableLength === 0;
  }

  /** Writes several buffers as one system call (writev). */
  writev(chunks: readonly Uint8Array[]): Promise<void> {
    try {
      return this.writevNow(chunks) ? RESOLVED : this.flushed();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** True when nothing written is still waiting for the OS. */
  get writeIdle(): boolean {
    return this.socket.writableLength === 0;
  }

  /** Resolves once everything written so far has been handed to the OS. */
  flushed(): Promise<void> {
    if (this.writeErr !== null) return Promise.reject(this.writeErr);
    if (this.socket.writableLength === 0) return RESOLVED;
    const upTo = this.issued;
    return new Promise((resolve, reject) => {
      this.flushWaiters.push({ resolve, reject, upTo });
    });
  }

  private onWritten = (err?: Error | null): void => {
    this.done++;
    if (err) {
      if (this.writeErr === null) this.writeErr = err;
      this.rejectFlushWaiters(this.writeErr);
      return;
    }
    const ws = this.flushWaiters;
    let n = 0;
    while (n < ws.length && ws[n]!.upTo <= this.done) ws[n++]!.resolve();
    if (n > 0) ws.splice(0, n);
  };

  private rejectFlushWaiters(err: Error): void {
    const ws = this.flushWaiters;
    if (ws.length === 0) return;
    this.flushWaiters = [];
    for (const w of ws) w.reject(err);
  }

  /** Half-closes: sends EOF after pending writes. Reading stays possible. */
  end(): Promise<void> {
    if (this.socket.writableEnded || this.socket.destroyed) return RESOLVED;
    return new Promise((resolve) => {
      this.socket.end(() => resolve());
    });
  }

  /**
   * Destroys the connection at once. Pending and future reads and writes
   * reject, now: not on the socket's 'close' event, which a socket destroyed
   * earlier does not emit again.
   */
  close(): void {
    this.socket.destroy();
    this.fail(connClosed());
  }

  get closed(): boolean {
    return this.socket.destroyed;
  }

  /**
   * False once nothing more can be written: closed, a write failed, or the
   * socket's stream errored or ended (Node destroys it a tick later, and a
   * writer that never yields writes into that tick).
   */
  get writable(): boolean {
    return this.writeErr === null && this.socket.writable;
  }

  /**
   * Calls `watcher` once if the connection fails or is closed, for waits that
   * are not on the socket itself (a response body being produced, say).
   * Returns the function that removes it: call it as soon as the wait is
   * over. A watcher holds nothing after its removal, unlike a promise raced
   * against a long-lived one, whose reactions pile up for the connection's
   * whole life. Called at once if the connection has already failed.
   */
  onFailure(watcher: (err: Error) => void): () => void {
    if (this.failed || this.socket.destroyed) {
      watcher(this.writeErr ?? connClosed());
      return noop;
    }
    const ws = (this.failureWatchers ??= new Set());
    ws.add(watcher);
    return () => ws.delete(watcher);
  }

  private notifyFailure(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    const ws = this.failureWatchers;
    if (ws === null) return;
    this.failureWatchers = null;
    for (const w of ws) w(err);
  }
}

const noop = (): void => {};
