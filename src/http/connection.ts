/**
 * The per-connection loop (book 7.1, RFC 9112 §9): read a request head, hand
 * the request and its body to the handler, write the response, and go round
 * again while the connection may be kept alive.
 *
 * - Pipelined requests are answered in order; when the next request is
 *   already buffered, the response stays in the write buffer so that a batch
 *   of pipelined responses leaves in one write.
 * - Bad input gets its precise status and `Connection: close`; application
 *   exceptions become 500; nothing a client sends can crash the process.
 * - An unread request body is drained (up to a bound) before the next request,
 *   or the connection is closed.
 */
import type { ChunkSink, Conn } from '../net/conn.js';
import { DynBuf } from '../net/dynbuf.js';
import { BufWriter } from '../net/bufwriter.js';
import { bodyFromBuffer } from './body.js';
import {
  HTTPError,
  STATUS_TEXT,
  errorStatus,
  notedErrorFormatter,
  withNotedErrorHeaders,
  type ErrorFormatter,
} from './errors.js';
import { methodTooLong, parseRequestHead, type RequestHead } from './head.js';
import type { HTTPLimits, HTTPTimeouts } from './limits.js';
import { chunkedBody, lengthBody, noRequestBody, type BodySource, type RequestBody } from './request-body.js';
import { ResponseError, writeResponse, type WriteOptions, type WriteProgress, type WriteResult } from './response.js';
import type { Handler, HTTPReq, HTTPRes } from './types.js';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n');
const NO_BODY = noRequestBody();

/** Buffered input up to this size (bytes) is decoded before the end of a head is searched for. */
const DECODE_FIRST = 1024;
/** Lingering close: after the last response, read and discard at most this much (bytes)... */
const LINGER_BYTES = 64 * 1024;
/** ...for at most this long (ms), then close. */
const LINGER_MS = 1000;

/** One line per response, for access logs. */
export type ResponseInfo = {
  req: HTTPReq;
  code: number;
  /** Body bytes sent. */
  bytes: number;
  /** From the complete request head to the end of the response (ms). */
  durationMs: number;
  /** The response was cut off (the client went away, a body failed, shutdown's deadline): `bytes` is what was sent. */
  aborted: boolean;
};

/** What every connection of a server shares. */
export type ConnectionContext = {
  handler: Handler;
  limits: HTTPLimits;
  timeouts: HTTPTimeouts;
  /** A coarse clock (ms), advanced by the server's timeout sweeper. */
  clock: { now: number };
  secure: boolean;
  server: string | null;
  /** Pass CONNECT requests to the handler instead of answering 501. */
  allowConnect: boolean;
  /** Set when the server shuts down: finish the current request, then close. */
  stopping: boolean;
  shutdown: AbortSignal;
  onResponse: ((info: ResponseInfo) => void) | null;
  /** Errors of the application (handler exceptions), not of clients. */
  onError: (err: unknown, req: HTTPReq | null) => void;
  /** Builds the response for an error (default: its status and a short text). */
  formatError: ErrorFormatter;
};

export type TimeoutKind = 'idle' | 'head' | 'body';

/** A connection's state as the server's sweeper sees it. */
export type ConnectionState = {
  conn: Conn;
  /** When the current wait times out (ms on ctx.clock), 0 for never. */
  deadline: number;
  kind: TimeoutKind;
  /** Waiting for a request with no byte of it yet: may be closed at shutdown. */
  idle: boolean;
  /** When it last became idle (ms since epoch): a connection idle for only a moment may have a request on the wire. */
  idleSince: number;
  /** Handed to an upgrade handler: the loop no longer owns it. */
  upgraded: boolean;
  /** Send-timeout bookkeeping: socket.bytesWritten at the last progress, and when that was. */
  lastWritten: number;
  stalledSince: number;
  /** When the current request's first byte arrived (ms on ctx.clock): requestTimeout counts from here. */
  requestStart: number;
  /** Body data rate bookkeeping: when the current wait for body bytes began (0: not waiting)... */
  waitStart: number;
  /** ...the time spent waiting for this request's body before it (ms)... */
  bodyWaited: number;
  /** ...and the body bytes received so far. */
  bodyBytes: number;
};

export function newConnectionState(conn: Conn): ConnectionState {
  return {
    conn,
    deadline: 0,
    kind: 'idle',
    idle: true,
    idleSince: Date.now(),
    upgraded: false,
    lastWritten: 0,
    stalledSince: 0,
    requestStart: 0,
    waitStart: 0,
    bodyWaited: 0,
    bodyBytes: 0,
  };
}

/** Why a request's body is cut off by the server's clock. */
export const requestTooSlow = (what: string): HTTPError => new HTTPError(408, what, { close: true });

/**
 * One connection's buffers and state. It is the BodySource of the request
 * bodies read on it: they share its input buffer.
 */
class Session implements BodySource {
  readonly input = new DynBuf();
  readonly out: BufWriter;
  readonly remote: string;
  /** `100 Continue` is owed before the first read of the current body. */
  continuePending = false;
  /** The first byte of the next request head has arrived. */
  inHead = false;
  /** Bytes of the buffered input already searched for the end of a head. */
  scanned = 0;
  /** How far the current response has got (the response writer updates it). */
  readonly progress: WriteProgress = { headSent: false, bytes: 0 };
  /** The options of the response being written: one exchange at a time, so one object, refilled by respond(). */
  readonly opts: WriteOptions = { method: 'GET', version: '1.1', close: false, server: null, progress: this.progress };
  private flushScheduled = false;
  /** Resolves the loop's wait in readMore, once the sink stops. */
  wake: ((step: Step | Promise<Step>) => void) | null = null;

  constructor(
    readonly state: ConnectionState,
    readonly ctx: ConnectionContext,
  ) {
    this.out = new BufWriter(state.conn);
    this.remote = state.conn.remoteAddress;
  }

  async fill(): Promise<boolean> {
    const { state, ctx } = this;
    if (this.continuePending) {
      this.continuePending = false;
      // RFC 9110 §10.1.1: a 100 never follows any byte of the final response.
      if (!this.progress.headSent) this.out.push(CONTINUE);
    }
    const flushed = this.out.flush();
    if (flushed !== undefined) await flushed;
    const t = ctx.timeouts;
    const now = ctx.clock.now;
    if (t.requestTimeout > 0 && now - state.requestStart >= t.requestTimeout) throw requestTooSlow('request not received in time');
    state.kind = 'body';
    state.waitStart = now;
    state.deadline = now + t.bodyTimeout;
    let chunk: Buffer;
    try {
      chunk = await state.conn.read();
    } finally {
      state.deadline = 0;
      state.bodyWaited += ctx.clock.now - state.waitStart;
      state.waitStart = 0;
    }
    if (chunk.length === 0) return false;
    state.bodyBytes += chunk.length;
    this.input.append(chunk);
    return true;
  }

  /**
   * Holds the response just written when the next request is probably
   * buffered already, so that pipelined responses leave in one write. A
   * deferred flush is the safety net for when the next handler is slow.
   */
  flushOrBatch(): Promise<void> | undefined {
    if (this.input.length > 0 && this.out.buffered < this.out.limit) {
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.deferredFlush);
      }
      return undefined;
    }
    return this.out.flush();
  }

  /**
   * Serves each chunk of the next request head the moment it arrives, in
   * the socket's 'data' event (Conn.deliver), for as long as the requests it
   * completes are answered synchronously; the first step that needs a wait
   * (or anything but more bytes) goes to the loop waiting in readMore.
   */
  readonly sink: ChunkSink = (chunk) => {
    let step: Step | Promise<Step>;
    try {
      step = chunk === null ? readChunk(this) : serveChunk(this, chunk);
    } catch (err) {
      // Never out into the socket's event: the loop rejects and closes.
      step = Promise.reject(err);
    }
    if (step === READ) return true;
    const wake = this.wake!;
    this.wake = null;
    wake(step);
    return false;
  };

  private deferredFlush = (): void => {
    this.flushScheduled = false;
    this.out.flush()?.catch(() => this.state.conn.close());
  };
}

/**
 * Serves one connection until it closes. Owns `state.conn` and closes it,
 * unless an upgrade handler takes it over.
 *
 * The loop goes from step to step (serve what is buffered, read more, close)
 * and awaits only what must be waited for. A request already buffered
 * (pipelining) is parsed without a wait, and an exchange whose handler and
 * response are synchronous (a body in memory) completes without one; while
 * the loop waits for a head, each chunk is served the moment it arrives (see
 * Session.sink), so a keep-alive connection makes no promise per request.
 */
export async function serveConnection(state: ConnectionState, ctx: ConnectionContext): Promise<void> {
  const conn = state.conn;
  const session = new Session(state, ctx);
  try {
    let step: Step | Promise<Step> = SERVE;
    for (;;) {
      if (step === SERVE) step = serveBuffered(session);
      else if (step === READ) step = readMore(session);
      else break;
      if (step instanceof Promise) step = await step;
    }
    if (step === UPGRADED) return;
    await session.out.flush();
    await closeGracefully(conn, session.input.length > 0);
  } catch {
    // A failed write or read: the peer is gone or misbehaved. Nothing to answer.
  } finally {
    if (!state.upgraded) conn.close();
  }
}

/**
 * Where the connection loop goes next: serve the requests buffered, wait
 * for more bytes, close gracefully, or stop (an upgrade handler owns the
 * connection). A promise of a step resolves to one of these, never to a
 * promise that waits for another step: the chain stays one link long
 * however many requests a connection serves.
 */
type Step = typeof SERVE | typeof READ | typeof CLOSE | typeof UPGRADED;
const SERVE = 'serve';
const READ = 'read';
const CLOSE = 'close';
const UPGRADED = 'upgraded';

/**
 * Serves the requests already buffered, for as long as that needs no wait.
 * READ once more bytes are needed (and the connection is ready to wait for
 * them).
 */
function serveBuffered(session: Session): Step | Promise<Step> {
  for (;;) {
    let head: RequestHead | undefined;
    try {
      head = takeHead(session);
    } catch (err) {
      return unreadable(session, err);
    }
    if (head === undefined) return readyToRead(session);
    const exchanged = exchange(head, session);
    if (exchanged instanceof Promise) return exchanged.then((outcome) => afterExchange(session, outcome) ?? SERVE);
    const step = afterExchange(session, exchanged);
    if (step !== undefined) return step;
  }
}

/** The step after an exchange, or undefined to go on with the next request at once. */
function afterExchange(session: Session, outcome: Outcome): Step | Promise<Step> | undefined {
  if (outcome === 'upgraded') return UPGRADED;
  if (outcome === 'close' || session.ctx.stopping) return CLOSE;
  const flushed = session.flushOrBatch();
  return flushed === undefined ? undefined : flushed.then(() => SERVE);
}

/** beforeRead, as a step: STOP closes, a flush the client has not taken yet is awaited first. */
function readyToRead(session: Session): Step | Promise<Step> {
  const ready = beforeRead(session);
  if (ready === STOP) return CLOSE;
  return ready === undefined ? READ : ready.then(() => READ);
}

/**
 * Waits for more of the next request head. Chunks go straight to the
 * session's sink when the connection can deliver them so; otherwise (a
 * chunk already queued, the read side ended) through read().
 */
function readMore(session: Session): Promise<Step> {
  if (!session.state.conn.deliver(session.sink)) return readChunk(session);
  return new Promise((resolve) => (session.wake = resolve));
}

/** Reads one chunk and serves what it completes. */
function readChunk(session: Session): Promise<Step> {
  return session.state.conn.read().then(
    (chunk) => serveChunk(session, chunk),
    (err: unknown) => unreadable(session, err),
  );
}

/** Takes in a chunk (empty at EOF) and serves the requests it completes. */
function serveChunk(session: Session, chunk: Buffer): Step | Promise<Step> {
  let more: boolean;
  try {
    more = afterRead(session, chunk);
  } catch (err) {
    return unreadable(session, err);
  }
  return more ? serveBuffered(session) : CLOSE;
}

/** A request that could not be read: answered (HTTPError), or the connection failed. */
function unreadable(session: Session, err: unknown): Promise<Step> {
  return answerError(session.out, err, session.ctx).then(() => CLOSE);
}

/**
 * Takes the next request head if it is wholly buffered. Undefined when more
 * bytes are needed; throws HTTPError for bad input.
 */
function takeHead(session: Session): RequestHead | undefined {
  const { state, ctx, input } = session;
  const limits = ctx.limits;
  // RFC 9112 §2.2: ignore empty lines before a request line.
  while (input.byteAt(0) === 0x0d && input.byteAt(1) === 0x0a) input.consume(2);
  if (input.length === 0) return undefined;
  // A lone CR may be the start of another empty line: not yet a head.
  if (input.length === 1 && input.byteAt(0) === 0x0d) return undefined;
  if (!session.inHead) {
    // The first byte of a head: headersTimeout and requestTimeout count from here.
    session.inHead = true;
    state.idle = false;
    state.kind = 'head';
    state.requestStart = ctx.clock.now;
    state.deadline = ctx.clock.now + ctx.timeouts.headersTimeout;
  }
  // A short input is decoded first and searched as a string: a V8 builtin
  // instead of a call into Node's C++ binding, and the parser reads the head
  // in place (a slice of it would make every string operation on it slower).
  const decoded = input.length <= DECODE_FIRST ? input.latin1(0, input.length) : null;
  const end = decoded !== null ? decoded.indexOf('\r\n\r\n', session.scanned) : input.indexOf(CRLFCRLF, session.scanned);
  if (end >= 0) {
    if (end + 4 > limits.maxHeadSize) throw headTooLarge(input, limits);
    const text = decoded ?? input.latin1(0, end);
    input.consume(end + 4);
    session.scanned = 0;
    session.inHead = false;
    state.deadline = 0;
    return parseRequestHead(text, limits, session.remote, ctx.secure, end);
  }
  checkHeadSoFar(input, session.scanned, limits);
  session.scanned = Math.max(0, input.length - 3);
  if (input.length > limits.maxHeadSize) throw headTooLarge(input, limits);
  return undefined;
}

/**
 * Date.now(), read once per turn of the event loop: the connections that go
 * idle in one turn share it. Precise to a turn, which is what idleSince
 * needs (shutdownIdleGrace is hundreds of ms); a clock read per keep-alive
 * request was most of beforeRead's time in profiles.
 */
function nowThisTurn(): number {
  if (!turnClockRead) {
    turnClockRead = true;
    turnClock = Date.now();
    setImmediate(endTurn);
  }
  return turnClock;
}
let turnClock = 0;
let turnClockRead = false;
const endTurn = (): void => {
  turnClockRead = false;
};

/** beforeRead(): the server is shutting down and no request has begun: end here. */
const STOP = 'stop';

/**
 * Gets ready to wait for more of the next request head: with nothing of it
 * buffered, the connection is idle (on the idle timeout, closable at
 * shutdown) and holds no buffer. Returns the flush of what is buffered for
 * the client when it must be waited for first, or STOP.
 */
function beforeRead(session: Session): Promise<void> | undefined | typeof STOP {
  const { state, ctx, input, out } = session;
  // A partial head runs on the deadline takeHead set at its first byte; no
  // byte of one yet (at most empty lines, RFC 9112 §2.2) is idle.
  if (!session.inHead) {
    if (!state.idle) {
      state.idle = true;
      state.idleSince = nowThisTurn();
      state.deadline = 0;
    }
    if (ctx.stopping) return STOP;
    // The idle wait runs from the last response (or the accept): empty lines do not extend it.
    if (state.deadline === 0) {
      state.kind = 'idle';
      state.deadline = ctx.clock.now + ctx.timeouts.idleTimeout;
    }
  }
  const flushed = out.flush();
  if (input.length === 0) {
    // Idle: hold no buffer while waiting, maybe for seconds, maybe for ever.
    // (A flush the kernel did not take at once left the buffer to the socket.)
    out.release();
    input.release();
  }
  return flushed;
}

/**
 * Takes in what a read brought: true when there is something to serve,
 * false at a clean EOF between requests. Throws HTTPError for a head cut by
 * EOF.
 */
function afterRead(session: Session, chunk: Buffer): boolean {
  if (chunk.length === 0) {
    session.state.deadline = 0;
    if (session.input.length === 0) return false;
    throw new HTTPError(400, 'incomplete request head', { close: true });
  }
  session.input.append(chunk);
  return true;
}

function headTooLarge(input: DynBuf, limits: HTTPLimits): HTTPError {
  const sp = input.indexOf(0x20);
  if (sp < 0 || sp > limits.maxMethodLength) return methodTooLong();
  const eol = input.indexOf('\r\n');
  if (eol < 0 || eol > limits.maxRequestLine) return new HTTPError(414, undefined, { close: true });
  return new HTTPError(431, undefined, { close: true });
}

/**
 * Fails early on an incomplete head, without waiting for the rest (RFC 9112
 * §2.2, §3): a bare CR or LF, an over-long method or request line. Only the
 * bytes from `from` on are new; the one before them is looked at again, as
 * it may be a CR whose LF has just arrived.
 */
function checkHeadSoFar(input: DynBuf, from: number, limits: HTTPLimits): void {
  const start = Math.max(0, from - 1);
  for (let i = input.indexOf(0x0d, start); i >= 0; i = input.indexOf(0x0d, i + 1)) {
    const next = input.byteAt(i + 1);
    if (next !== 0x0a && next !== -1) throw new HTTPError(400, 'bare CR in request head', { close: true });
  }
  for (let i = input.indexOf(0x0a, start); i >= 0; i = input.indexOf(0x0a, i + 1)) {
    if (i === 0 || input.byteAt(i - 1) !== 0x0d) throw new HTTPError(400, 'bare LF in request head', { close: true });
  }
  const eol = input.indexOf('\r\n');
  if (eol < 0) {
    const sp = input.indexOf(0x20);
    if ((sp < 0 ? input.length : sp) > limits.maxMethodLength) throw methodTooLong();
    if (input.length > limits.maxRequestLine) throw new HTTPError(414, undefined, { close: true });
  }
}

/** After an exchange: keep the connection, close it, or leave it to an upgrade handler. */
type Outcome = 'keep' | 'close' | 'upgraded';

/** What an exchange needs from one step to the next. */
type Exchange = {
  readonly head: RequestHead;
  readonly session: Session;
  readonly body: RequestBody;
  /** performance.now() when the head was complete, for the access log (0 without one). */
  readonly started: number;
};

/**
 * One request/response exchange: the request body, the handler, the
 * response. Synchronous while the handler and the response are (a body in
 * memory): a promise only once something must be waited for.
 */
function exchange(head: RequestHead, session: Session): Outcome | Promise<Outcome> {
  const { state, ctx, progress } = session;
  const req = head.req;
  const started = ctx.onResponse !== null ? performance.now() : 0;
  // RFC 9110 §10.1.1: once body bytes are here, a 100 is not needed.
  session.continuePending = head.expectContinue && session.input.length === 0;
  progress.headSent = false;
  progress.bytes = 0;
  state.bodyWaited = 0;
  state.bodyBytes = session.input.length;

  let body: RequestBody;
  try {
    body =
      head.bodyLength === 0
        ? NO_BODY
        : head.bodyLength > 0
          ? lengthBody(session, head.bodyLength, ctx.limits)
          : chunkedBody(session, ctx.limits);
  } catch (err) {
    return answerError(session.out, err, ctx).then(() => 'close' as const);
  }
  const x: Exchange = { head, session, body, started };

  if (req.method === 'CONNECT' && !ctx.allowConnect) return respond(x, errorResponse(ctx, new HTTPError(501), req), true);
  let res: HTTPRes | Promise<HTTPRes>;
  try {
    res = ctx.handler(req, body);
  } catch (err) {
    return handlerFailed(x, err);
  }
  return res instanceof Promise ? awaitHandler(x, res) : respond(x, res, head.close);
}

async function awaitHandler(x: Exchange, pending: Promise<HTTPRes>): Promise<Outcome> {
  let res: HTTPRes;
  try {
    res = await pending;
  } catch (err) {
    return handlerFailed(x, err);
  }
  return respond(x, res, x.head.close);
}

/** The handler threw: the client's fault gets its status, the application's a 500 (and onError). */
function handlerFailed(x: Exchange, err: unknown): Outcome | Promise<Outcome> {
  const { session, body } = x;
  const { ctx, state } = session;
  const req = x.head.req;
  const fault = clientFault(err, body);
  if (!state.conn.writable || (fault instanceof Error && !(fault instanceof HTTPError))) return 'close';
  if (fault === null) ctx.onError(err, req);
  const close = x.head.close || (fault instanceof HTTPError && fault.close === true);
  return respond(x, errorResponse(ctx, fault ?? err, req), close);
}

/** Writes the response; then hands the connection over (an upgrade), or readies it for the next request. */
function respond(x: Exchange, res: HTTPRes, close: boolean): Outcome | Promise<Outcome> {
  const { session, body } = x;
  const { ctx, out } = session;
  const req = x.head.req;
  // The request body must be consumed before the next request can be parsed.
  // A body the response itself streams (an echo) may still be read; one it
  // will not read is drained afterwards if small enough.
  if (body.broken || ctx.stopping) close = true;
  else if (!body.finished && !streams(res) && (session.continuePending || x.head.bodyLength > ctx.limits.maxDrainSize)) {
    close = true;
  }

  const upgrade =
    res.upgrade !== undefined &&
    (res.code === 101 || (req.method === 'CONNECT' && res.code >= 200 && res.code < 300));
  const opts = session.opts;
  opts.method = req.method;
  opts.version = req.version;
  opts.close = close;
  opts.server = ctx.server;
  let written: WriteResult | Promise<WriteResult>;
  try {
    written = writeResponse(out, res, opts);
  } catch (err) {
    return writeFailed(x, res, opts, err);
  }
  if (written instanceof Promise) return awaitWrite(x, res, opts, written, upgrade);
  return afterResponse(x, res, written, upgrade);
}

async function awaitWrite(x: Exchange, res: HTTPRes, opts: WriteOptions, pending: Promise<WriteResult>, upgrade: boolean): Promise<Outcome> {
  let written: WriteResult;
  try {
    written = await pending;
  } catch (err) {
    return writeFailed(x, res, opts, err);
  }
  return afterResponse(x, res, written, upgrade);
}

/**
 * Writing the response failed. Once part of it is out (or the peer is
 * gone), its framing cannot be finished honestly, so the connection ends
 * here: a clean close (not a reset, which could destroy what was sent)
 * after an incomplete body tells the client the response was cut. When
 * nothing was written, the error is answered instead.
 */
async function writeFailed(x: Exchange, res: HTTPRes, opts: WriteOptions, err: unknown): Promise<Outcome> {
  const { session, body } = x;
  const { ctx, state, out, progress } = session;
  const req = x.head.req;
  const fault = clientFault(err, body);
  // A connection that can no longer be written to was lost by the peer: its error is not the application's.
  const lost = !state.conn.writable;
  const cut = lost || !(err instanceof ResponseError && err.beforeHead) || (fault !== null && !(fault instanceof HTTPError));
  if (cut) {
    if (fault === null && !lost) ctx.onError(err, req);
    logResponse(ctx, req, res.code, progress.bytes, x.started, true);
    return 'close';
  }
  if (fault === null) ctx.onError(err, req);
  const answer = errorResponse(ctx, fault ?? err, req);
  opts.close = true;
  const written = await writeResponse(out, answer, opts);
  return afterResponse(x, answer, written, false);
}

/** The response is written: log it, then hand over (an upgrade), close, or drain what is left of the body. */
function afterResponse(x: Exchange, res: HTTPRes, written: WriteResult, upgrade: boolean): Outcome | Promise<Outcome> {
  const { session, body } = x;
  const { ctx } = session;
  logResponse(ctx, x.head.req, res.code, written.bytes, x.started, false);
  if (upgrade) return handOver(x, res);
  if (written.close) return 'close';
  if (!body.finished) {
    // No 100 was sent: the client may be waiting for one, or sending anyway.
    if (session.continuePending) return 'close';
    return body.drain(ctx.limits.maxDrainSize).then((drained) => (drained ? 'keep' : 'close'));
  }
  return 'keep';
}

/** Gives the connection to the response's upgrade handler, which owns it from now on. */
async function handOver(x: Exchange, res: HTTPRes): Promise<Outcome> {
  const { session } = x;
  const { state, ctx, out } = session;
  await out.flush();
  state.upgraded = true;
  state.deadline = 0;
  try {
    await res.upgrade!(state.conn, session.input, ctx.shutdown);
  } catch (err) {
    // The handler owned the connection and failed: do not leak the socket.
    ctx.onError(err, x.head.req);
    state.conn.close();
  }
  return 'upgraded';
}

/** True when the response body is produced as it is written, so it may read the request body. */
const streams = (res: HTTPRes): boolean => res.body !== undefined && res.body.bytes === undefined;

/**
 * The client's doing behind a failure, if it was: the request body's own
 * failure (malformed framing, too large, too slow, a reset), whatever the
 * application made of it, or an HTTPError thrown on purpose. Null when the
 * application failed.
 */
function clientFault(err: unknown, body: RequestBody): unknown {
  if (body.failure !== null) return body.failure;
  if (err instanceof HTTPError) return err;
  if (err instanceof ResponseError && err.cause instanceof HTTPError) return err.cause;
  return null;
}

function logResponse(ctx: ConnectionContext, req: HTTPReq, code: number, bytes: number, started: number, aborted: boolean): void {
  if (ctx.onResponse !== null) ctx.onResponse({ req, code, bytes, durationMs: performance.now() - started, aborted });
}

/**
 * The default response for an error: its status, a short text body. The
 * message of a 5xx is never shown: it may hold the application's secrets.
 */
export const defaultFormatError: ErrorFormatter = (err) => {
  const status = errorStatus(err);
  const text = err instanceof HTTPError && status < 500 ? err.message : (STATUS_TEXT[status] ?? 'Error');
  return {
    code: status,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...(err instanceof HTTPError ? err.headers : undefined) },
    body: bodyFromBuffer(text + '\n'),
  };
};

/**
 * The application's response for an error. A formatter that fails, or
 * answers with another status, must not turn an error into a success or a
 * crash: the default one answers then.
 */
function errorResponse(ctx: ConnectionContext, err: unknown, req: HTTPReq | null): HTTPRes {
  // A router's own formatter, and headers wrappers added on the way up (errors.ts).
  const format = notedErrorFormatter(err) ?? ctx.formatError;
  if (format !== defaultFormatError) {
    try {
      const res = format(err, req);
      if (res.code === errorStatus(err)) return withNotedErrorHeaders(err, res);
    } catch (formatErr) {
      ctx.onError(formatErr, req);
    }
  }
  return withNotedErrorHeaders(err, defaultFormatError(err, req));
}

/** Answers a request that could not be read, then the loop closes. */
async function answerError(out: BufWriter, err: unknown, ctx: ConnectionContext): Promise<void> {
  if (!(err instanceof HTTPError)) throw err; // the connection failed: nothing to answer
  const res = errorResponse(ctx, err, null);
  await writeResponse(out, res, { method: 'GET', version: '1.1', close: true, server: ctx.server, progress: { headSent: false, bytes: 0 } });
  await out.flush();
}

/**
 * Closes after the last response: half-close, then (when the client may still
 * be sending) keep reading briefly, so that the kernel does not answer unread
 * bytes with a reset that would destroy the response in flight.
 */
async function closeGracefully(conn: Conn, unread: boolean): Promise<void> {
  if (conn.closed) return;
  // After a timeout's 408 the client may still be sending: read it away too.
  conn.resumeReading();
  await conn.end();
  if (!unread && conn.readEnded) return;
  let budget = LINGER_BYTES;
  const timer = setTimeout(() => conn.close(), LINGER_MS);
  try {
    for (;;) {
      const chunk = await conn.read();
      budget -= chunk.length;
      if (chunk.length === 0 || budget < 0) break;
    }
  } finally {
    clearTimeout(timer);
  }
}
