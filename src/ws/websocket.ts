/**
 * A WebSocket connection after the handshake (book 13.5): the application's
 * handle (`WSConn`) and the connection's life from open to TCP close.
 *
 * - Reading runs as one task (receiver.ts); control frames come back here.
 *   The application must keep taking messages (even to drop them): while it
 *   does not, the connection reads nothing more, close frames included.
 * - Sending goes through sender.ts, which orders concurrent producers.
 * - Closing (RFC 6455 §7): whoever starts, close frames are exchanged, the
 *   server ends TCP first and waits for the peer's end, all bounded by the
 *   close timeout. When the peer's close frame or a protocol error ends the
 *   reading, the messages that were complete before it are still delivered,
 *   and our close frame (the echo, or the error's code) waits until the
 *   application is done with them: it asked for the next message, closed or
 *   returned. Its replies go out first. Nothing more is read meanwhile, so
 *   what is delivered then is what was buffered (receiveBufferSize), and the
 *   close timeout, armed at once, bounds the wait. Every path ends in
 *   finish(), which releases the socket, timers and zlib streams exactly once.
 */
import { setMaxListeners } from 'node:events';
import type { HTTPReq } from '../http/types.js';
import type { Conn } from '../net/conn.js';
import type { DynBuf } from '../net/dynbuf.js';
import type { Semaphore } from '../sync/semaphore.js';
import { validateCloseArgs } from './close.js';
import {
  CLOSE_ABNORMAL,
  CLOSE_GOING_AWAY,
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
  MAX_PENDING_PINGS,
  OP_PING,
  OP_PONG,
} from './constants.js';
import { defaultZlibLimiter, MessageDeflater, MessageInflater } from './deflate.js';
import { WSError, wsClosed } from './errors.js';
import { FrameWriter } from './frame-writer.js';
import { Sender, type WSSource } from './sender.js';
import type { DeflateOptions, DeflateParams } from './permessage-deflate.js';
import {
  END_ABORTED,
  END_CLOSE_FRAME,
  END_FAILED,
  Receiver,
  type ControlHandler,
} from './receiver.js';
import type { WSMessage, WSMsg } from './messages.js';

/** Connection settings. Every field is optional; defaults in constants.ts. */
export type WSOptions = {
  /** Largest whole message `receive()`/`for await` delivers, in bytes (→ close 1009). Default 16 MiB. */
  maxMessageSize?: number;
  /**
   * Hard cap on the frames one message may span (→ close 1009). Default:
   * none; each frame after a message's first is charged FRAME_OVERHEAD
   * (64 bytes) against maxMessageSize instead.
   */
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
  /**
   * Outgoing frames gathered per write, in bytes. Default 16 KiB. While the
   * buffer is below this size and the socket keeps up, send() resolves at
   * once and the buffer is written when the tick ends: an application
   * answering 64 pipelined messages makes one system call. 0 writes every
   * frame at once, and send() then resolves only when the OS has the bytes.
   */
  writeBufferSize?: number;
  /** Semaphore bounding concurrent zlib jobs. Default: one shared by the process (10 permits). */
  zlibLimiter?: Semaphore;
  /** Aborting it closes the connection with 1001 (going away): for server shutdown. */
  signal?: AbortSignal;
  /** Where `subscribe()` and `unsubscribe()` go: a pub/sub hub (`createHub()`). Default none. */
  topics?: TopicRegistry;
};

/**
 * The hook behind `ws.subscribe()`/`ws.unsubscribe()`, filled in by a
 * pub/sub hub (src/pubsub), so that this layer knows nothing of topics or
 * delivery. The registry owns the subscriptions it is given and ends them
 * all when the connection closes.
 */
export type TopicRegistry = {
  subscribe(ws: WSConn, topic: string): Promise<void>;
  unsubscribe(ws: WSConn, topic: string): void;
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

type PendingPing = { payload: Buffer; resolve: () => void; reject: (err: Error) => void };

const EMPTY = Buffer.alloc(0);
const noop = (): void => {};
const noRegistry = (): TypeError => new TypeError('ws.subscribe() needs a hub: websocket(app, { topics: createHub() })');
const toResult = (m: WSMessage | null): IteratorResult<WSMessage> =>
  m === null ? { value: undefined, done: true } : { value: m, done: false };

/**
 * An open WebSocket, as the application sees it: whole messages with
 * `for await`/`receive()` or streamed ones with `recv()`, `send()`, `ping()`,
 * `close()`, and `closed` to learn how it ended.
 *
 * @example
 * const shout: WSApp = async (ws) => {
 *   for await (const msg of ws) {
 *     if (msg.type === 'text') await ws.send(msg.data.toUpperCase());
 *   }
 * };
 */
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
  private readonly sender: Sender;
  private readonly receiver: Receiver;
  private readonly inflater: MessageInflater | null = null;
  private readonly closeTimeout: number;
  private readonly signals: AbortSignal[];
  private readonly topics: TopicRegistry | null;

  /** No new sends: close() was called or our close frame went out. */
  private closing = false;
  /** Reading has ended (peer's close, protocol error): waiting for the application before our close frame. */
  private lingering = false;
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
    this.topics = options.topics ?? null;
    this.writer = new FrameWriter(conn, options.writeBufferSize ?? DEFAULT_WRITE_BUFFER_SIZE);
    const pmd = agreement.deflate;
    const dopts = agreement.deflateOptions ?? {};
    let deflater: MessageDeflater | null = null;
    if (pmd !== null) {
      const limiter = options.zlibLimiter ?? defaultZlibLimiter();
      deflater = new MessageDeflater(pmd.serverMaxWindowBits, pmd.serverNoContextTakeover, limiter, dopts.level, dopts.memLevel);
      this.inflater = new MessageInflater(pmd.clientMaxWindowBits, pmd.clientNoContextTakeover, limiter);
    }
    this.sender = new Sender(this.writer, deflater, dopts.threshold ?? DEFAULT_DEFLATE_THRESHOLD, this.onCloseSent);
    this.receiver = new Receiver(conn, this.control, this.inflater, {
      maxMessageSize: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      maxFramesPerMessage: options.maxFramesPerMessage ?? DEFAULT_MAX_FRAMES_PER_MESSAGE,
      receiveBufferSize: options.receiveBufferSize ?? DEFAULT_RECEIVE_BUFFER_SIZE,
      streamBufferSize: options.streamBufferSize ?? DEFAULT_STREAM_BUFFER_SIZE,
    });
    // A peer that vanishes while nothing reads the socket (the application is
    // behind, or finishing before our close frame) must still end it all.
    conn.socket.once('close', this.terminate);
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

  /** True once close() was called or our close frame went out: send() rejects. */
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
      next: () => {
        // Buffered messages skip a promise hop: this runs once per message.
        const m = this.receiver.tryReceive();
        return m !== undefined ? Promise.resolve({ value: m, done: false }) : this.receiver.receive().then(toResult);
      },
      return: async () => ({ value: undefined, done: true }),
    };
  }

  // ---- sending ----

  /**
   * Sends a message: a string as text, bytes as binary, a WSSource (a
   * BodyReader, a received WSMsg) as one fragmented message read to its end.
   * Concurrent calls are sent in call order. Resolves once the frame is
   * accepted: at once while the write buffer has room and the socket keeps
   * up, else when the OS has taken the bytes; rejects once the connection is
   * closing. Bytes of WRITEV_THRESHOLD (4 KiB) or more are sent without a
   * copy: leave them unmodified until the promise resolves.
   */
  send(data: string | Uint8Array | WSSource): Promise<void> {
    if (this.closing) return Promise.reject(wsClosed());
    if (typeof data === 'string' || data instanceof Uint8Array) return this.sender.message(data);
    return this.sender.stream(data);
  }

  /**
   * Sends a ping (payload at most 125 bytes); resolves when the peer's pong
   * arrives. A pong answers the ping with the same payload and any sent
   * before it (RFC 6455 §5.5.3 lets a peer answer only the latest ping).
   * Of pings left unanswered, only the latest MAX_PENDING_PINGS (16) wait:
   * an older one rejects with WEFT_WS_HEARTBEAT.
   */
  ping(data: string | Uint8Array = EMPTY): Promise<void> {
    if (this.closing) return Promise.reject(wsClosed());
    const payload = Buffer.from(typeof data === 'string' ? Buffer.from(data, 'utf8') : data); // kept: copy
    if (payload.length > MAX_CONTROL_PAYLOAD) {
      return Promise.reject(new RangeError(`ping payload longer than ${MAX_CONTROL_PAYLOAD} bytes`));
    }
    return new Promise<void>((resolve, reject) => {
      if (this.pings.length === MAX_PENDING_PINGS) {
        this.pings.shift()!.reject(new WSError('WEFT_WS_HEARTBEAT', `more than ${MAX_PENDING_PINGS} pings unanswered`));
      }
      this.pings.push({ payload, resolve, reject });
      this.sender.control(OP_PING, payload).then(undefined, noop);
    });
  }

  // ---- topics ----

  /**
   * Subscribes this connection to `topic` on the hub given as
   * `options.topics`: what is published there is sent here, until
   * `unsubscribe(topic)` or the connection closes. Resolves once the
   * subscription is in effect across processes (see the hub's bus); rejects
   * for a topic the hub refuses.
   */
  subscribe(topic: string): Promise<void> {
    // A rejection, not a throw, like the hub's refusals: `.catch()` sees both.
    if (this.topics === null) return Promise.reject(noRegistry());
    return this.topics.subscribe(this, topic);
  }

  /** Ends this connection's subscription to `topic` (nothing if there was none). */
  unsubscribe(topic: string): void {
    if (this.topics === null) throw noRegistry();
    this.topics.unsubscribe(this, topic);
  }

  // ---- closing ----

  /**
   * Starts the closing handshake with `code` and `reason` (at most 123 bytes
   * of UTF-8) after the messages already being sent, and resolves once the
   * connection is closed (the peer answered or the close timeout passed).
   * Messages arriving meanwhile are dropped. Called after the peer's close
   * frame or a protocol error, it only says the application is done: the
   * echo or the error's close code is sent.
   */
  close(code = CLOSE_NORMAL, reason = ''): Promise<CloseInfo> {
    let reasonBytes: Buffer;
    try {
      reasonBytes = validateCloseArgs(code, reason);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.lingering) {
      this.closing = true;
      this.receiver.appDone();
    } else if (!this.closing) {
      this.closing = true;
      this.armCloseTimer();
      this.receiver.stopDelivering(null);
      void this.sender.closeAfterPending(code, reasonBytes);
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

  /** The close frame went out (whoever started): no more sends, and a deadline for TCP. */
  private onCloseSent = (): void => {
    this.closing = true;
    this.armCloseTimer();
  };

  private armCloseTimer(): void {
    if (this.closeTimer === null && !this.finished) this.closeTimer = setTimeout(this.onCloseTimeout, this.closeTimeout);
  }

  private onCloseTimeout = (): void => {
    // The application never finished: our close frame, as a courtesy, on a connection we drop anyway.
    if (this.lingering) {
      this.sendCloseReply();
      this.writer.flush().then(undefined, noop);
    }
    this.terminate();
  };

  /** From open to closed: read until the end, close TCP, release everything. */
  private async lifecycle(initial: Buffer): Promise<void> {
    try {
      const end = await this.receiver.run(initial);
      this.stopHeartbeat();
      if (end === END_FAILED || end === END_CLOSE_FRAME) {
        this.receiver.stopDelivering(this.receiver.error);
        if (this.closing) {
          this.sendCloseReply(); // ours may wait behind a send: the peer is done, cut it
        } else {
          this.lingering = true;
          this.armCloseTimer();
          await this.receiver.whenAppDone();
          this.lingering = false;
          if (this.conn.closed) return;
          await this.sender.closeAfterPending(...this.closeReply());
        }
      } else {
        this.closing = true;
        this.receiver.stopDelivering(null); // a message cut off by the EOF rejects its read (Receiver.closeQueues)
        if (end === END_ABORTED) return;
      }
      this.closing = true;
      await this.closeTcp();
    } finally {
      this.finish();
    }
  }

  /**
   * Our close frame after the peer's or after a protocol error: the error's
   * code (failing the connection, RFC 6455 §7.1.7), else the peer's code
   * echoed (§5.5.1; none if its frame had none).
   */
  private closeReply(): [code: number, reason: string] {
    const err = this.receiver.error;
    if (err !== null) return [err.closeCode, err.message];
    return [this.peerCode === CLOSE_NO_STATUS ? 0 : this.peerCode, ''];
  }

  private sendCloseReply(): void {
    this.sender.close(...this.closeReply());
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
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
    this.stopHeartbeat();
    for (const signal of this.signals) signal.removeEventListener('abort', this.onAbortSignal);
    this.conn.socket.off('close', this.terminate);
    const closeSent = this.sender.closeSent;
    this.sender.finish();
    this.conn.close();
    this.receiver.abort();
    this.inflater?.close();
    const err = wsClosed();
    for (const p of this.pings.splice(0)) p.reject(err);
    const gotClose = this.peerCode !== 0;
    const sentCode = this.sender.sentCode;
    this.resolveClosed({
      code: gotClose ? this.peerCode : sentCode !== 0 ? sentCode : CLOSE_ABNORMAL,
      reason: this.peerReason,
      wasClean: gotClose && closeSent,
    });
  }

  // ---- control frames and heartbeats ----

  private readonly control: ControlHandler = {
    onPing: (payload) => {
      if (this.sender.closeSent) return undefined;
      const written = this.sender.control(OP_PONG, payload).then(undefined, noop);
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
      // Answered once reading has ended (lifecycle).
      this.peerCode = code;
      this.peerReason = reason;
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
    this.sender.control(OP_PING, EMPTY).then(undefined, noop);
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
