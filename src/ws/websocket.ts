/**
 * A WebSocket connection after the handshake (book 13.5): the application's
 * handle (`WSConn`) and the connection's life from open to TCP close.
 *
 * - Reading runs as one task (receiver.ts); control frames come back here.
 * - Sending is ordered by a FIFO lock (book 13.3): whole messages that need
 *   no compression and find the lock free are framed synchronously (the fast
 *   path); compressed and streamed messages take the lock, so nothing
 *   overtakes them. Control frames never wait for the lock: frames are
 *   written whole, and RFC 6455 §5.4 lets control frames go between fragments.
 * - Closing (RFC 6455 §7): whoever starts, close frames are exchanged, the
 *   server ends TCP first and waits for the peer's end, all bounded by the
 *   close timeout; a protocol error sends its close code and ends TCP at once.
 *   Every path ends in finish(), which releases the socket, timers and zlib
 *   streams exactly once.
 */
import { setMaxListeners } from 'node:events';
import type { HTTPReq } from '../http/types.js';
import type { Conn } from '../net/conn.js';
import type { DynBuf } from '../net/dynbuf.js';
import { createSemaphore, type Semaphore } from '../sync/semaphore.js';
import { closePayload, validateCloseArgs } from './close.js';
import {
  CLOSE_ABNORMAL,
  CLOSE_GOING_AWAY,
  CLOSE_INTERNAL_ERROR,
  CLOSE_NO_STATUS,
  CLOSE_NORMAL,
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_DEFLATE_THRESHOLD,
  DEFAULT_HEARTBEAT_INTERVAL,
  DEFAULT_MAX_FRAMES_PER_MESSAGE,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_RECEIVE_BUFFER_SIZE,
  DEFAULT_STREAM_BUFFER_SIZE,
  DEFAULT_WRITE_BUFFER_SIZE,
  MAX_CONTROL_PAYLOAD,
  OP_BINARY,
  OP_CLOSE,
  OP_CONTINUATION,
  OP_PING,
  OP_PONG,
  OP_TEXT,
} from './constants.js';
import { defaultZlibLimiter, MessageDeflater, MessageInflater } from './deflate.js';
import { WSError, wsClosed } from './errors.js';
import { FrameWriter } from './frame-writer.js';
import type { DeflateOptions, DeflateParams } from './permessage-deflate.js';
import {
  END_ABORTED,
  END_CLOSE_FRAME,
  END_FAILED,
  Receiver,
  type ControlHandler,
  type WSMessage,
  type WSMsg,
} from './receiver.js';

/** Connection settings. Every field is optional; defaults in constants.ts. */
export type WSOptions = {
  /** Largest whole message `receive()`/`for await` delivers, in bytes (→ close 1009). Default 16 MiB. */
  maxMessageSize?: number;
  /** Most frames one message may span (→ close 1009). Default 4096. */
  maxFramesPerMessage?: number;
  /** Milliseconds allowed for the close handshake and TCP close. Default 5000. */
  closeTimeout?: number;
  /**
   * Milliseconds between heartbeat pings; a peer that has not answered the
   * previous one by the next is disconnected. 0 (default) disables them.
   */
  heartbeatInterval?: number;
  /** Bytes of whole messages buffered ahead of the application. Default 1 MiB. */
  receiveBufferSize?: number;
  /** Bytes of a streamed message buffered ahead of `read()`. Default 64 KiB. */
  streamBufferSize?: number;
  /** Outgoing frames gathered per write, in bytes. Default 16 KiB. */
  writeBufferSize?: number;
  /** Semaphore bounding concurrent zlib jobs. Default: one shared by the process (10 permits). */
  zlibLimiter?: Semaphore;
  /** Aborting it closes the connection with 1001 (going away): for server shutdown. */
  signal?: AbortSignal;
};

/** What was agreed in the handshake (see handshake.ts). */
export type Agreement = {
  protocol: string;
  extensions: string;
  deflate: DeflateParams | null;
  /** Compression settings (threshold, level), when deflate is in use. */
  deflateOptions?: DeflateOptions;
};

/** How the connection ended. */
export type CloseInfo = {
  /** The peer's close code (1005 if its frame had none), else the code we sent, else 1006. */
  code: number;
  /** The peer's close reason, "" if none. */
  reason: string;
  /** Close frames went both ways before TCP ended. */
  wasClean: boolean;
};

/** Something to send as one fragmented message, read to its end (a BodyReader or a WSMsg fits). */
export type WSSource = {
  readonly type: 'text' | 'binary';
  read(): Promise<Buffer>;
  close?(): unknown;
};

type PendingPing = { payload: Buffer; resolve: () => void; reject: (err: Error) => void };

const EMPTY = Buffer.alloc(0);
const noop = (): void => {};
const toResult = (m: WSMessage | null): IteratorResult<WSMessage> =>
  m === null ? { value: undefined, done: true } : { value: m, done: false };

export class WSConn implements AsyncIterable<WSMessage> {
  /** The selected subprotocol, "" for none. */
  readonly protocol: string;
  /** The agreed Sec-WebSocket-Extensions value, "" for none. */
  readonly extensions: string;
  /** The upgrade request (path, query, headers), when known. */
  readonly req: HTTPReq | null;
  /** Resolves once the connection is closed and everything it held is released. */
  readonly closed: Promise<CloseInfo>;

  private readonly conn: Conn;
  private readonly writer: FrameWriter;
  private readonly receiver: Receiver;
  private readonly sendLock: Semaphore = createSemaphore(1);
  private readonly deflater: MessageDeflater | null = null;
  private readonly inflater: MessageInflater | null = null;
  private readonly threshold: number;
  private readonly closeTimeout: number;
  private readonly signals: AbortSignal[];

  /** No new sends: close() was called or a close frame went either way. */
  private closing = false;
  private closeSent = false;
  private sentCode = 0;
  private peerCode = 0;
  private peerReason = '';
  private finished = false;
  private resolveClosed!: (info: CloseInfo) => void;
  private closeTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private pongSeen = true;
  private pings: PendingPing[] = [];

  constructor(
    conn: Conn,
    initial: Buffer,
    agreement: Agreement,
    options: WSOptions = {},
    req: HTTPReq | null = null,
    shutdown?: AbortSignal,
  ) {
    this.conn = conn;
    this.req = req;
    this.protocol = agreement.protocol;
    this.extensions = agreement.extensions;
    this.closed = new Promise<CloseInfo>((resolve) => {
      this.resolveClosed = resolve;
    });
    this.closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    this.writer = new FrameWriter(conn, options.writeBufferSize ?? DEFAULT_WRITE_BUFFER_SIZE);
    const pmd = agreement.deflate;
    const dopts = agreement.deflateOptions ?? {};
    this.threshold = dopts.threshold ?? DEFAULT_DEFLATE_THRESHOLD;
    if (pmd !== null) {
      const limiter = options.zlibLimiter ?? defaultZlibLimiter();
      this.deflater = new MessageDeflater(pmd.serverMaxWindowBits, pmd.serverNoContextTakeover, limiter, dopts.level, dopts.memLevel);
      this.inflater = new MessageInflater(pmd.clientMaxWindowBits, pmd.clientNoContextTakeover, limiter);
    }
    this.receiver = new Receiver(conn, this.control, this.inflater, {
      maxMessageSize: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      maxFramesPerMessage: options.maxFramesPerMessage ?? DEFAULT_MAX_FRAMES_PER_MESSAGE,
      receiveBufferSize: options.receiveBufferSize ?? DEFAULT_RECEIVE_BUFFER_SIZE,
      streamBufferSize: options.streamBufferSize ?? DEFAULT_STREAM_BUFFER_SIZE,
    });
    const heartbeat = options.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL;
    if (heartbeat > 0) this.heartbeatTimer = setInterval(this.onHeartbeat, heartbeat);
    this.signals = [options.signal, shutdown].filter((s): s is AbortSignal => s !== undefined);
    for (const signal of this.signals) {
      if (signal.aborted) queueMicrotask(this.onAbortSignal);
      else signal.addEventListener('abort', this.onAbortSignal, { once: true });
    }
    void this.lifecycle(initial);
  }

  /** Remote address of the underlying socket. */
  get remoteAddress(): string {
    return this.conn.remoteAddress;
  }

  /** Bytes accepted by send() and not yet taken by the OS. */
  get bufferedAmount(): number {
    return this.writer.buffered + this.conn.socket.writableLength;
  }

  /** True once close() was called or a close frame went either way: send() rejects. */
  get isClosing(): boolean {
    return this.closing;
  }

  // ---- receiving ----

  /** The next whole message; null once the peer closed (after buffered messages). */
  receive(): Promise<WSMessage | null> {
    return this.receiver.receive();
  }

  /**
   * The next message as a stream (the book's WSMsg): its payload is read
   * with `read()` as it arrives. Calling recv() again abandons the rest of
   * the previous message. Cannot be mixed with receive()/for await.
   */
  recv(): Promise<WSMsg | null> {
    return this.receiver.recv();
  }

  /** `for await (const msg of ws)`: whole messages until the peer closes. */
  [Symbol.asyncIterator](): AsyncIterator<WSMessage> {
    return {
      next: () => this.receiver.receive().then(toResult),
      return: async () => ({ value: undefined, done: true }),
    };
  }

  // ---- sending ----

  /**
   * Sends a message: a string as text, bytes as binary, a WSSource as one
   * fragmented message read to its end. Resolves once the frame is accepted
   * (see FrameWriter); rejects once the connection is closing. Bytes of
   * WRITEV_THRESHOLD or more are sent without a copy: leave them unmodified
   * until the promise resolves.
   */
  send(data: string | Uint8Array | WSSource): Promise<void> {
    if (this.closing) return Promise.reject(wsClosed());
    if (typeof data === 'string') {
      if (this.sendLock.active === 0 && (this.deflater === null || data.length * 3 < this.threshold)) {
        return this.writer.text(data);
      }
      return this.sendLocked(OP_TEXT, data);
    }
    if (data instanceof Uint8Array) {
      if (this.sendLock.active === 0 && (this.deflater === null || data.length < this.threshold)) {
        return this.writer.frame(OP_BINARY, data);
      }
      return this.sendLocked(OP_BINARY, data);
    }
    return this.sendStream(data);
  }

  private async lock(): Promise<void> {
    if (this.sendLock.tryAcquire()) return;
    try {
      await this.sendLock.acquire();
    } catch {
      throw wsClosed(); // the lock closes when the connection finishes
    }
  }

  private async sendLocked(op: number, data: string | Uint8Array): Promise<void> {
    await this.lock();
    try {
      if (this.closeSent) throw wsClosed();
      let payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let rsv1 = false;
      if (this.deflater !== null && payload.length >= this.threshold) {
        payload = await this.deflater.compress(payload);
        rsv1 = true;
        if (this.closeSent) throw wsClosed();
      }
      await this.writer.frame(op, payload, true, rsv1);
    } finally {
      this.sendLock.release();
    }
  }

  private async sendStream(src: WSSource): Promise<void> {
    await this.lock();
    let started = false;
    try {
      let op = src.type === 'text' ? OP_TEXT : OP_BINARY;
      for (;;) {
        // Each piece is written before the next is read, so a source may
        // reuse its buffer; the message ends with an empty final frame.
        const piece = await src.read();
        if (this.closeSent) throw wsClosed();
        const fin = piece.length === 0;
        started = true;
        await this.writer.frame(op, piece, fin);
        if (fin) return;
        op = OP_CONTINUATION;
      }
    } catch (err) {
      // A started message cannot be taken back: the only way out is to close.
      if (started && !this.closeSent) this.sendClose(CLOSE_INTERNAL_ERROR, 'message source failed');
      throw err;
    } finally {
      this.sendLock.release();
      await src.close?.();
    }
  }

  /**
   * Sends a ping (payload at most 125 bytes); resolves when the peer's pong
   * arrives. A pong answers the ping with the same payload and any sent
   * before it (RFC 6455 §5.5.3 lets a peer answer only the latest ping).
   */
  ping(data: string | Uint8Array = EMPTY): Promise<void> {
    if (this.closing) return Promise.reject(wsClosed());
    const payload = Buffer.from(typeof data === 'string' ? Buffer.from(data, 'utf8') : data); // kept: copy
    if (payload.length > MAX_CONTROL_PAYLOAD) {
      return Promise.reject(new RangeError(`ping payload longer than ${MAX_CONTROL_PAYLOAD} bytes`));
    }
    return new Promise<void>((resolve, reject) => {
      this.pings.push({ payload, resolve, reject });
      this.writer.frame(OP_PING, payload).then(undefined, noop);
    });
  }

  // ---- closing ----

  /**
   * Starts the closing handshake with `code` and `reason` (at most 123 bytes
   * of UTF-8) after the messages already being sent, and resolves once the
   * connection is closed (the peer answered or the close timeout passed).
   * Messages arriving meanwhile are dropped.
   */
  close(code = CLOSE_NORMAL, reason = ''): Promise<CloseInfo> {
    let reasonBytes: Buffer;
    try {
      reasonBytes = validateCloseArgs(code, reason);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.closing) {
      this.closing = true;
      this.armCloseTimer();
      this.receiver.stopDelivering(null);
      void this.closeAfterSends(code, reasonBytes);
    }
    return this.closed;
  }

  /** Drops the connection without a closing handshake. */
  terminate = (): void => {
    if (this.finished) return;
    this.closing = true;
    this.conn.close();
    this.receiver.abort();
    this.inflater?.close();
  };

  private async closeAfterSends(code: number, reason: Buffer): Promise<void> {
    try {
      await this.lock();
    } catch {
      return; // finishing already
    }
    try {
      this.sendClose(code, reason);
    } finally {
      this.sendLock.release();
    }
  }

  private sendClose(code: number, reason: Buffer | string): void {
    if (this.closeSent) return;
    this.closeSent = true;
    this.closing = true;
    this.sentCode = code;
    this.writer.frame(OP_CLOSE, closePayload(code, reason)).then(undefined, noop);
    this.armCloseTimer();
  }

  private armCloseTimer(): void {
    if (this.closeTimer === null && !this.finished) this.closeTimer = setTimeout(this.terminate, this.closeTimeout);
  }

  private async lifecycle(initial: Buffer): Promise<void> {
    const end = await this.receiver.run(initial);
    this.closing = true;
    if (end === END_FAILED) {
      const err = this.receiver.error!;
      this.sendClose(err.closeCode, err.message);
      this.receiver.stopDelivering(err);
    } else {
      this.receiver.stopDelivering(end === END_CLOSE_FRAME ? null : new WSError('WEFT_WS_ABORTED', 'connection closed in the middle of a message'));
    }
    if (end !== END_ABORTED) await this.closeTcp();
    this.finish();
  }

  /** Sends what is buffered, ends our side and waits for the peer's end (RFC 6455 §7.1.1). */
  private async closeTcp(): Promise<void> {
    this.armCloseTimer();
    try {
      await this.writer.flush();
      void this.conn.end();
      while ((await this.conn.read()).length > 0);
    } catch {
      // Destroyed by the close timer, or reset by the peer: either way, done.
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.closing = true;
    if (this.closeTimer !== null) clearTimeout(this.closeTimer);
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    for (const signal of this.signals) signal.removeEventListener('abort', this.onAbortSignal);
    this.writer.close();
    this.conn.close();
    this.receiver.abort();
    this.sendLock.close();
    this.deflater?.close();
    this.inflater?.close();
    const err = wsClosed();
    for (const p of this.pings.splice(0)) p.reject(err);
    const gotClose = this.peerCode !== 0;
    this.resolveClosed({
      code: gotClose ? this.peerCode : this.sentCode !== 0 ? this.sentCode : CLOSE_ABNORMAL,
      reason: this.peerReason,
      wasClean: gotClose && this.closeSent,
    });
  }

  // ---- control frames and heartbeats ----

  private readonly control: ControlHandler = {
    onPing: (payload) => {
      if (this.closeSent) return undefined;
      const written = this.writer.frame(OP_PONG, payload).then(undefined, noop);
      // A peer that pings but does not read would grow our send buffer:
      // while the socket is backed up, read nothing more until it drains.
      return this.conn.writeIdle ? undefined : written;
    },
    onPong: (payload) => {
      this.pongSeen = true;
      const i = this.pings.findIndex((p) => p.payload.equals(payload));
      if (i >= 0) for (const p of this.pings.splice(0, i + 1)) p.resolve();
    },
    onClose: (code, reason) => {
      this.peerCode = code;
      this.peerReason = reason;
      // Echo the code (RFC 6455 §5.5.1); 1005 means there was none to echo.
      this.sendClose(code === CLOSE_NO_STATUS ? 0 : code, '');
    },
  };

  private onHeartbeat = (): void => {
    // A peer we are not reading from (the application is behind) cannot be
    // judged: its pong may be waiting in the socket.
    if (!this.pongSeen && !this.receiver.waitingForApp) {
      this.terminate();
      return;
    }
    this.pongSeen = false;
    this.writer.frame(OP_PING, EMPTY).then(undefined, noop);
  };

  private onAbortSignal = (): void => {
    this.close(CLOSE_GOING_AWAY, 'server shutting down').then(undefined, noop);
  };
}

/**
 * Starts a WebSocket on a connection whose handshake was answered with 101.
 * The WSConn owns `conn` from now on; `rest` holds bytes that arrived after
 * the request head (the first frames, maybe). Aborting `shutdown` (the HTTP
 * server's, at graceful shutdown) closes with 1001, like `options.signal`.
 */
export function openWebSocket(
  conn: Conn,
  rest: DynBuf | Buffer,
  agreement: Agreement,
  options?: WSOptions,
  req?: HTTPReq,
  shutdown?: AbortSignal,
): WSConn {
  const initial = Buffer.isBuffer(rest) ? rest : rest.length > 0 ? rest.takeAll() : EMPTY;
  // The server's shutdown signal gets one listener per open WebSocket: many
  // by design, not a leak, so Node's warning past 10 does not apply.
  if (shutdown !== undefined) setMaxListeners(0, shutdown);
  return new WSConn(conn, initial, agreement, options, req ?? null, shutdown);
}
