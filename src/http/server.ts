/**
 * The HTTP server: accepts connections, serves each with the connection loop,
 * enforces timeouts and the connection limit, and shuts down gracefully.
 *
 * Timeouts cost nothing per request: each connection only records a deadline,
 * and one sweeper per server (a coarse interval, a quarter of the shortest
 * timeout) acts on the expired ones. The sweeper also advances the coarse
 * clock the connections read their time from.
 *
 * @example
 * const server = createServer(() => ({ code: 200, body: bodyFromBuffer('hi\n') }));
 * await server.listen({ port: 8080 });
 */
import type { Server as TlsServer, TlsOptions } from 'node:tls';
import type { Conn } from '../net/conn.js';
import { Listener } from '../net/listener.js';
import type { ErrorFormatter } from './errors.js';
import {
  defaultFormatError,
  newConnectionState,
  requestTooSlow,
  serveConnection,
  type ConnectionContext,
  type ConnectionState,
  type ResponseInfo,
} from './connection.js';
import { DEFAULT_LIMITS, DEFAULT_MAX_CONNECTIONS, DEFAULT_TIMEOUTS, type HTTPLimits, type HTTPTimeouts } from './limits.js';
import type { Handler, HTTPReq } from './types.js';

/** After a forced close at shutdown, how long to wait for connection loops to unwind (ms). */
const FORCE_CLOSE_GRACE = 1000;

/**
 * Under pressure (every slot taken, connections waiting for one), a
 * connection makes room for a waiting one if it makes the least use of its
 * slot: waiting on its client for at least this long (ms) — idle since, a
 * head arriving since, or a body that sent nothing since. A
 * client that reconnects as fast as it is cut can then never hold every slot:
 * a request that arrives whole is served within a moment.
 */
export const EVICT_AFTER = 1000;


export type ServerOptions = Partial<HTTPLimits> &
  Partial<HTTPTimeouts> & {
    /** Simultaneous connections. Default 10,000. */
    maxConnections?: number;
    /** Past maxConnections: 'queue' stops accepting until one closes (default), 'refuse' closes new ones at once. */
    overload?: 'queue' | 'refuse';
    /** The Server header's value; null sends none. Default "weft". */
    server?: string | null;
    /** Let the handler answer CONNECT (else 501). */
    allowConnect?: boolean;
    /** Called once per response (access logs). */
    onResponse?: (info: ResponseInfo) => void;
    /** Called for handler exceptions (they become 500), never for clients' mistakes. Default: console.error. */
    onError?: (err: unknown, req: HTTPReq | null) => void;
    /**
     * Builds the response for every HTTPError (thrown by a handler or raised
     * for bad input) and every uncaught exception (500). Its status must be
     * the error's; default: the status and a short text body.
     */
    formatError?: ErrorFormatter;
    /** Unread bytes per connection before reading pauses (bytes). */
    readHighWaterMark?: number;
  };

export type ServerListenOptions = {
  port?: number;
  host?: string;
  backlog?: number;
  /** Serve HTTPS with these options (cert, key, ...). ALPN is set to http/1.1. */
  tls?: TlsOptions;
};

export class Server {
  private readonly ctx: ConnectionContext;
  private readonly maxConnections: number;
  private readonly overload: 'queue' | 'refuse';
  private readonly readHighWaterMark: number | undefined;
  private readonly states = new Set<ConnectionState>();
  /** Connections closed to make room, until their loops have unwound. */
  private readonly evicted = new Set<ConnectionState>();
  private readonly abort = new AbortController();
  private listener: Listener | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private slotFree: (() => void) | null = null;
  private drainWaiters: (() => void)[] = [];
  private closing: Promise<void> | null = null;
  /** close({ force: true }): the shutdown's wait ends at once (forceNow, once it waits). */
  private forced = false;
  private forceNow: (() => void) | null = null;

  constructor(handler: Handler, options: ServerOptions = {}) {
    const limits: HTTPLimits = { ...DEFAULT_LIMITS };
    const timeouts: HTTPTimeouts = { ...DEFAULT_TIMEOUTS };
    for (const k of Object.keys(limits) as (keyof HTTPLimits)[]) if (options[k] !== undefined) limits[k] = options[k]!;
    for (const k of Object.keys(timeouts) as (keyof HTTPTimeouts)[]) {
      if (options[k] !== undefined) timeouts[k] = options[k]!;
    }
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.overload = options.overload ?? 'queue';
    this.readHighWaterMark = options.readHighWaterMark;
    this.ctx = {
      handler,
      limits,
      timeouts,
      clock: { now: Date.now() },
      secure: false,
      server: options.server === undefined ? 'weft' : options.server,
      allowConnect: options.allowConnect ?? false,
      stopping: false,
      shutdown: this.abort.signal,
      onResponse: options.onResponse ?? null,
      onError: options.onError ?? ((err) => console.error('weft: handler error:', err)),
      formatError: options.formatError ?? defaultFormatError,
    };
  }

  /** Binds and starts accepting. Resolves once listening. */
  async listen(options: ServerListenOptions = {}): Promise<this> {
    if (this.listener !== null) throw new Error('already listening');
    const tls = options.tls === undefined ? undefined : { ALPNProtocols: ['http/1.1'], ...options.tls };
    this.listener = await Listener.listen({
      port: options.port,
      host: options.host,
      backlog: options.backlog,
      tls,
      handshakeTimeout: this.ctx.timeouts.headersTimeout,
      readHighWaterMark: this.readHighWaterMark,
    });
    this.ctx.secure = tls !== undefined;
    this.startSweeper();
    void this.acceptLoop(this.listener);
    return this;
  }

  get port(): number {
    return this.listener?.port ?? 0;
  }

  get host(): string {
    return this.listener?.host ?? '';
  }

  /** Open connections. */
  get connections(): number {
    return this.states.size;
  }

  /** Connections accepted by the OS and waiting for a slot (over maxConnections). */
  get queued(): number {
    return this.listener?.pendingCount ?? 0;
  }

  /**
   * Replaces the TLS certificate and key (e.g. on SIGHUP) for connections
   * accepted from now on. Only for a server listening with `tls`.
   */
  setSecureContext(options: TlsOptions): void {
    if (this.listener === null || !this.ctx.secure) throw new Error('not serving TLS');
    (this.listener.server as TlsServer).setSecureContext(options);
  }

  /** Resolves once no connection is open (at once if none is). */
  drained(): Promise<void> {
    if (this.states.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** The AbortSignal given to upgrade handlers: aborted when shutdown begins. */
  get shutdownSignal(): AbortSignal {
    return this.abort.signal;
  }

  private async acceptLoop(listener: Listener): Promise<void> {
    for (;;) {
      while (this.states.size >= this.maxConnections && this.overload === 'queue') {
        this.makeRoom();
        await new Promise<void>((resolve) => (this.slotFree = resolve));
      }
      let conn: Conn;
      try {
        conn = await listener.accept();
      } catch {
        return; // the listener was closed
      }
      if (this.ctx.stopping || this.states.size >= this.maxConnections) {
        conn.close();
        continue;
      }
      this.serve(conn);
    }
  }

  private serve(conn: Conn): void {
    const state = newConnectionState(conn);
    this.states.add(state);
    serveConnection(state, this.ctx)
      .catch((err) => this.ctx.onError(err, null))
      .finally(() => {
        this.states.delete(state);
        this.evicted.delete(state);
        if (this.slotFree !== null) {
          const wake = this.slotFree;
          this.slotFree = null;
          wake();
        }
        if (this.states.size === 0) for (const wake of this.drainWaiters.splice(0)) wake();
      });
  }

  /**
   * Closes as many connections as wait for a slot (less those already
   * closing), choosing those that use theirs least (EVICT_AFTER): idle ones
   * first, the longest idle first; then those waiting longest on their
   * client. Upgraded connections are never chosen.
   */
  private makeRoom(): void {
    let want = (this.listener?.pendingCount ?? 0) - this.evicted.size;
    if (want <= 0 || this.ctx.stopping) return;
    const now = this.ctx.clock.now;
    const idleBefore = Date.now() - EVICT_AFTER; // idleSince is wall-clock time
    const idle: ConnectionState[] = [];
    const waiting: { s: ConnectionState; since: number }[] = [];
    for (const s of this.states) {
      if (s.upgraded || this.evicted.has(s)) continue;
      if (s.idle) {
        // Not one just accepted, whose request may be a moment away.
        if (s.idleSince <= idleBefore) idle.push(s);
      }
      else if (s.kind === 'head' && s.deadline !== 0 && now - s.requestStart >= EVICT_AFTER) waiting.push({ s, since: s.requestStart });
      else if (s.kind === 'body' && s.waitStart !== 0 && now - s.waitStart >= EVICT_AFTER) waiting.push({ s, since: s.waitStart });
    }
    idle.sort((a, b) => a.idleSince - b.idleSince);
    waiting.sort((a, b) => a.since - b.since);
    for (const s of [...idle, ...waiting.map((w) => w.s)]) {
      if (want-- <= 0) break;
      this.evicted.add(s);
      s.conn.close();
    }
  }

  private startSweeper(): void {
    const t = this.ctx.timeouts;
    const shortest = Math.min(t.headersTimeout, t.idleTimeout, t.bodyTimeout, t.sendTimeout);
    const every = Math.max(10, Math.min(1000, Math.floor(shortest / 4)));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  private sweep(): void {
    const now = (this.ctx.clock.now = Date.now());
    const t = this.ctx.timeouts;
    const sendTimeout = t.sendTimeout;
    // A connection queued over the limit waits no longer than a head may
    // take, and connections that became evictable since make room for it.
    this.listener?.dropPendingSince(now - t.headersTimeout);
    if (this.states.size >= this.maxConnections && this.overload === 'queue') this.makeRoom();
    for (const s of this.states) {
      if (s.deadline !== 0 && now >= s.deadline) {
        s.deadline = 0;
        if (s.kind === 'idle') s.conn.close();
        else s.conn.interruptRead(requestTooSlow(`${s.kind === 'head' ? 'request head' : 'request body'} timed out`));
      } else if (s.kind === 'body' && s.waitStart !== 0) {
        const slow = bodyTooSlow(s, now, t);
        if (slow !== null) {
          s.deadline = 0;
          s.conn.interruptRead(requestTooSlow(slow));
        }
      }
      // A response the client stopped reading: no bytes leave for sendTimeout.
      const socket = s.conn.socket;
      if (socket.writableLength > 0) {
        const written = socket.bytesWritten;
        if (written !== s.lastWritten) {
          s.lastWritten = written;
          s.stalledSince = now;
        } else if (now - s.stalledSince >= sendTimeout) {
          s.conn.close();
        }
      } else {
        s.stalledSince = now;
      }
    }
  }

  /**
   * Graceful shutdown: stops accepting, closes idle connections, lets
   * in-flight requests finish (their responses say `Connection: close`),
   * signals upgraded connections (WebSocket closes with 1001), and after
   * `timeout` ms closes whatever is left. `force: true` (a second Ctrl-C)
   * closes what is left now, in a shutdown already under way or not.
   */
  close(options: { timeout?: number; force?: boolean } = {}): Promise<void> {
    if (this.closing === null) this.closing = this.shutdown(options.timeout ?? this.ctx.timeouts.shutdownTimeout);
    if (options.force === true) {
      this.forced = true;
      this.forceNow?.();
    }
    return this.closing;
  }

  /**
   * Connections with a request in progress (or handed to an upgrade
   * handler): what a graceful shutdown waits for.
   */
  get busy(): number {
    let n = 0;
    for (const s of this.states) if (!s.idle || s.upgraded) n++;
    return n;
  }

  private async shutdown(timeout: number): Promise<void> {
    this.ctx.stopping = true;
    this.abort.abort();
    await this.listener?.close();
    if (this.slotFree !== null) this.slotFree();
    let idleTimer: NodeJS.Timeout | undefined;
    const grace = this.ctx.timeouts.shutdownIdleGrace;
    const recent = Date.now() - grace;
    let waitForRecent = false;
    for (const s of this.states) {
      if (!s.idle || s.upgraded) continue;
      if (s.idleSince <= recent) s.conn.close();
      else waitForRecent = true;
    }
    if (waitForRecent) {
      idleTimer = setTimeout(() => {
        for (const s of this.states) if (s.idle && !s.upgraded) s.conn.close();
      }, grace);
    }
    if (this.states.size > 0) {
      const drained = this.drained();
      let timer: NodeJS.Timeout | undefined;
      // The deadline, or close({ force: true }) before it.
      const deadline = new Promise<void>((resolve) => {
        this.forceNow = resolve;
        timer = setTimeout(resolve, this.forced ? 0 : timeout);
      });
      await Promise.race([drained, deadline]);
      this.forceNow = null;
      clearTimeout(timer);
      if (this.states.size > 0) {
        for (const s of this.states) s.conn.close();
        // Loops unwind at once on a closed connection, unless application
        // code they wait on never returns: give them a moment, not forever.
        const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, FORCE_CLOSE_GRACE)));
        await Promise.race([drained, grace]);
        clearTimeout(timer);
      }
    }
    clearTimeout(idleTimer);
    if (this.sweeper !== null) clearInterval(this.sweeper);
  }
}

/**
 * Why a request body being waited for is too slow, or null: the whole
 * request past requestTimeout, or the body's average rate, over the time
 * spent waiting for it, under minBodyRate once the grace period is over.
 */
function bodyTooSlow(s: ConnectionState, now: number, t: HTTPTimeouts): string | null {
  if (t.requestTimeout > 0 && now - s.requestStart >= t.requestTimeout) return 'request not received in time';
  if (t.minBodyRate > 0) {
    const waited = s.bodyWaited + (now - s.waitStart);
    if (waited >= t.minBodyRateGrace && s.bodyBytes * 1000 < t.minBodyRate * waited) return 'request body too slow';
  }
  return null;
}

/** Creates a server for `handler`; call listen() to start it. */
export function createServer(handler: Handler, options?: ServerOptions): Server {
  return new Server(handler, options);
}
