/**
 * One connection to a Redis server, on weft's own connection layer (a Conn
 * from `dial()`, a DynBuf for what is read, a BufWriter for what is
 * written). No reconnection here: whoever needs a connection that survives
 * the server going away (the Redis bus) owns that policy and opens a new
 * RedisConn.
 *
 * - Pipelined: commands are written at once and gathered into one socket
 *   write per tick; replies come back in command order and are matched to
 *   their callbacks through a FIFO.
 * - Subscriber connections: pub/sub messages (`message` pushes) go to
 *   `onMessage` instead of the FIFO; SUBSCRIBE/UNSUBSCRIBE confirmations,
 *   one per channel, answer the command that asked for them.
 * - An error reply rejects its own command only; bytes that are not RESP,
 *   or a reply nobody asked for, close the connection (framing is lost).
 * - When the connection ends, every command still waiting is rejected with
 *   WEFT_REDIS_CLOSED (saying whether a reply was cut off), and `onClose`
 *   is called once.
 */
import type * as tls from 'node:tls';
import { BufWriter } from '../../net/bufwriter.js';
import type { Conn } from '../../net/conn.js';
import { dial } from '../../net/dial.js';
import { DynBuf } from '../../net/dynbuf.js';
import type { NetError } from '../../net/errors.js';
import { Deque } from '../../sync/deque.js';
import { RedisClientError, RedisError, redisClosed, redisProtocol } from './errors.js';
import { INCOMPLETE, ReplyParser, writeCommand, type RedisValue, type RespArg } from './resp.js';

/** Time allowed to connect, including TLS, AUTH and SELECT (milliseconds). */
export const DEFAULT_CONNECT_TIMEOUT = 5_000;
/** Commands gathered before the write buffer is flushed without waiting for the tick to end (bytes). */
export const REDIS_WRITE_BUFFER = 64 * 1024;
/** TCP keep-alive probes after this long without traffic (milliseconds). */
const KEEPALIVE = 15_000;

/** Options of RedisConn.connect(). */
export type RedisConnOptions = {
  host: string;
  port: number;
  /** TLS options (for rediss://); absent: plain TCP. */
  tls?: tls.ConnectionOptions;
  /** ACL user for `AUTH username password`; without it, `AUTH password`. */
  username?: string;
  password?: string;
  /** Database selected after connecting (SELECT), when not 0. */
  db?: number;
  /** Milliseconds allowed to connect, authenticate and select. Default 5000. */
  connectTimeout?: number;
  /**
   * Aborting it gives up connecting: a connection already open is closed
   * (its pending AUTH or SELECT failing with WEFT_REDIS_CLOSED), one still
   * dialling once it opens.
   */
  signal?: AbortSignal;
  /** Largest bulk string accepted in a reply (bytes; a whole reply may span this plus 64 KiB). Default 64 MiB. */
  maxBulk?: number;
  /** For a subscriber connection: called with every pub/sub message. */
  onMessage?: (channel: Buffer, payload: Buffer) => void;
  /** Called once when the connection ends, by either side, with the reason. */
  onClose?: (err: RedisClientError) => void;
};

/** Receives a command's reply: an error (a RedisError reply, or the connection closing), or the value. */
export type ReplyCallback = (err: Error | null, value: RedisValue) => void;

const MESSAGE = Buffer.from('message');
const noop = (): void => {};

/**
 * A connection to Redis made by RedisConn.connect(): send() and command()
 * pipeline commands, close() ends it (see the module comment).
 */
export class RedisConn {
  private readonly conn: Conn;
  private readonly writer: BufWriter;
  private readonly unread = new DynBuf();
  private readonly parser: ReplyParser;
  private readonly waiting = new Deque<ReplyCallback>();
  private readonly onMessage: ((channel: Buffer, payload: Buffer) => void) | undefined;
  private readonly onClose: ((err: RedisClientError) => void) | undefined;
  private tickScheduled = false;
  private ended: RedisClientError | null = null;

  private constructor(conn: Conn, options: RedisConnOptions) {
    this.conn = conn;
    this.writer = new BufWriter(conn, REDIS_WRITE_BUFFER);
    this.parser = new ReplyParser(options.maxBulk);
    this.onMessage = options.onMessage;
    this.onClose = options.onClose;
    void this.readLoop();
  }

  /**
   * Connects, authenticates (when a password is given) and selects the
   * database. Rejects with the server's RedisError (WRONGPASS, NOAUTH, ...),
   * the socket's error, or WEFT_REDIS_TIMEOUT.
   */
  static async connect(options: RedisConnOptions): Promise<RedisConn> {
    const timeout = options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
    const started = Date.now();
    const signal = options.signal;
    const conn = await dial({ host: options.host, port: options.port, tls: options.tls, timeout, keepAlive: KEEPALIVE, signal }).catch((err: unknown) => {
      throw (err as NetError).code === 'WEFT_DIAL_ABORTED' ? abandoned() : err;
    });
    if (signal?.aborted) {
      conn.close();
      throw abandoned();
    }
    const c = new RedisConn(conn, options);
    const timer = setTimeout(() => {
      c.shutdown(new RedisClientError('WEFT_REDIS_TIMEOUT', `no answer from ${options.host}:${options.port} within ${timeout} ms`));
    }, Math.max(0, timeout - (Date.now() - started)));
    const abandon = (): void => c.shutdown(abandoned());
    signal?.addEventListener('abort', abandon, { once: true });
    try {
      if (options.password !== undefined) {
        await c.command(options.username !== undefined ? ['AUTH', options.username, options.password] : ['AUTH', options.password]);
      }
      if (options.db !== undefined && options.db !== 0) await c.command(['SELECT', String(options.db)]);
    } catch (err) {
      c.close();
      // A timeout shows up as the connection closing under the command: say which it was.
      throw c.ended?.code === 'WEFT_REDIS_TIMEOUT' ? c.ended : err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abandon);
    }
    return c;
  }

  /** Commands sent whose replies have not come yet. */
  get pending(): number {
    return this.waiting.length;
  }

  /** True once the connection has ended; every command then fails with WEFT_REDIS_CLOSED. */
  get closed(): boolean {
    return this.ended !== null;
  }

  /**
   * Sends a command; `done` gets its reply. Commands sent in the same tick
   * go out in one write. `done` is never called synchronously.
   */
  send(args: readonly RespArg[], done: ReplyCallback): void {
    const ended = this.ended;
    if (ended !== null) {
      queueMicrotask(() => done(ended, null));
      return;
    }
    this.waiting.push(done);
    // A failed write ends the connection through the read side as well.
    writeCommand(this.writer, args)?.then(undefined, noop);
    if (this.writer.buffered >= REDIS_WRITE_BUFFER) this.flush();
    else if (!this.tickScheduled) {
      this.tickScheduled = true;
      process.nextTick(this.onTick);
    }
  }

  /**
   * Sends a command; resolves with its reply, rejects with a RedisError for
   * an error reply or WEFT_REDIS_CLOSED if the connection ends first.
   *
   * @example
   * const c = await RedisConn.connect({ host: '127.0.0.1', port: 6379 });
   * await c.command(['SET', 'greeting', 'hello']);
   * const value = await c.command(['GET', 'greeting']); // <Buffer 68 65 6c 6c 6f>
   * c.close();
   */
  command(args: readonly RespArg[]): Promise<RedisValue> {
    return new Promise((resolve, reject) => this.send(args, (err, value) => (err !== null ? reject(err) : resolve(value))));
  }

  /** Closes the connection; commands still waiting fail with WEFT_REDIS_CLOSED. */
  close(): void {
    this.shutdown(redisClosed('connection closed by the client'));
  }

  private onTick = (): void => {
    this.tickScheduled = false;
    this.flush();
  };

  private flush(): void {
    if (this.ended !== null) return;
    this.writer.flush()?.then(undefined, noop);
  }

  private async readLoop(): Promise<void> {
    let why: RedisClientError;
    try {
      for (;;) {
        const chunk = await this.conn.read();
        if (chunk.length === 0) {
          why = redisClosed(this.closeMessage('the server closed the connection'));
          break;
        }
        this.unread.append(chunk);
        if (this.unread.length >= this.parser.need) this.dispatchReplies();
      }
    } catch (err) {
      why =
        err instanceof RedisClientError
          ? err
          : redisClosed(this.closeMessage(`connection lost (${(err as Error).message})`), err);
    }
    this.shutdown(why);
  }

  private closeMessage(what: string): string {
    const n = this.waiting.length;
    const cut = this.unread.length > 0 ? ' in the middle of a reply' : '';
    return n === 0 && cut === '' ? what : `${what}${cut}, ${n} ${n === 1 ? 'reply' : 'replies'} pending`;
  }

  /** Hands every complete reply buffered to whoever waits for it. */
  private dispatchReplies(): void {
    const buf = this.unread;
    while (buf.length > 0 && this.ended === null) {
      const value = this.parser.parse(buf.peek());
      if (value === INCOMPLETE) return;
      // take(), not consume(): bulk strings are views into these bytes, which must stay as they are.
      buf.take(this.parser.end);
      this.dispatch(value);
    }
  }

  private dispatch(value: RedisValue): void {
    if (this.onMessage !== undefined && Array.isArray(value) && value.length === 3 && isMessage(value[0]!)) {
      const [, channel, payload] = value;
      if (!Buffer.isBuffer(channel) || !Buffer.isBuffer(payload)) throw redisProtocol('a pub/sub message that is not two bulk strings');
      this.onMessage(channel, payload);
      return;
    }
    const done = this.waiting.shift();
    if (done === undefined) throw redisProtocol('a reply that no command asked for');
    if (value instanceof RedisError) done(value, null);
    else done(null, value);
  }

  /** Ends the connection once, failing every command still waiting. */
  private shutdown(why: RedisClientError): void {
    if (this.ended !== null) return;
    this.ended = why;
    this.conn.close();
    for (let done = this.waiting.shift(); done !== undefined; done = this.waiting.shift()) done(why, null);
    this.onClose?.(why);
  }
}

const abandoned = (): RedisClientError => redisClosed('connection attempt abandoned');

const isMessage = (v: RedisValue): boolean => Buffer.isBuffer(v) && v.equals(MESSAGE);
