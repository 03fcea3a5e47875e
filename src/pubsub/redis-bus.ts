/**
 * The Redis bus: processes on any number of machines share topics through
 * Redis pub/sub (topic "chat" is channel "weft:chat"). Each process keeps two
 * connections, one that publishes and one in subscriber mode, and:
 *
 * - subscribes only to topics it has local subscribers for, and drops the
 *   subscription when the last one leaves (the hub tells it);
 * - pipelines PUBLISH: everything published in one tick goes out in one
 *   write, and is counted against a bounded queue until Redis acknowledges
 *   it (BusQueue: publishers wait past the limit, and past twice it, or
 *   while Redis is down, messages for other processes are dropped, counted
 *   and logged);
 * - wraps each message in an envelope with its origin (envelope.ts) and
 *   skips its own messages when Redis echoes them back;
 * - reconnects after a failure, with a delay that doubles up to a cap,
 *   resubscribes to every topic it needs, then sends what it held meanwhile;
 *   pings both connections and replaces one that stops answering;
 * - logs one line when it loses Redis and one when it is back. Local delivery
 *   never depends on Redis: while it is down, the hub goes on delivering to
 *   the subscribers of this process.
 */
import type * as tls from 'node:tls';
import { Deque } from '../sync/deque.js';
import type { Bus, BusStats, Deliver } from './bus.js';
import { BusQueue } from './bus-queue.js';
import { ENVELOPE_HEAD, newOrigin, openEnvelope } from './envelope.js';
import {
  DEFAULT_BUS_QUEUE_BYTES,
  DEFAULT_CHANNEL_PREFIX,
  DEFAULT_PING_INTERVAL,
  DEFAULT_RECONNECT_MAX,
  DEFAULT_RECONNECT_MIN,
} from './limits.js';
import { RedisConn, type ReplyCallback } from './redis/client.js';
import { RedisError } from './redis/errors.js';
import { describeAddress, parseRedisUrl, type RedisAddress } from './redis/url.js';

/** Options of redisBus(): where Redis is, and how the bus bounds, retries and checks. */
export type RedisBusOptions = {
  /** `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. */
  url: string;
  /** More TLS options for rediss:// (a `ca`, a client certificate). */
  tls?: tls.ConnectionOptions;
  /** Prefix of the Redis channel of every topic. Default "weft:". */
  prefix?: string;
  /** Bytes held for Redis before publishers wait (see BusQueue). Default 4 MiB. */
  queueBytes?: number;
  /** First and longest delay between reconnection attempts (ms). Default 100 and 5000. */
  reconnectMin?: number;
  reconnectMax?: number;
  /** Milliseconds between health pings; 0 disables them. Default 10000. */
  pingInterval?: number;
  /** Milliseconds allowed to connect and authenticate. Default 5000. */
  connectTimeout?: number;
  /** Where disconnects, reconnects and a full queue are reported. Default: console.error. */
  log?: (line: string) => void;
};

type Held = { topic: string; data: string | Uint8Array; size: number };

const sizeOf = (topic: string, data: string | Uint8Array): number =>
  ENVELOPE_HEAD + topic.length + (typeof data === 'string' ? data.length : data.byteLength);

const ignore: ReplyCallback = () => {};

class RedisBus implements Bus {
  readonly kind = 'redis';
  private readonly addr: RedisAddress;
  private readonly name: string;
  private readonly prefix: string;
  private readonly prefixBytes: Buffer;
  private readonly origin = newOrigin();
  private readonly options: RedisBusOptions;
  private readonly log: (line: string) => void;
  private readonly queue: BusQueue;
  private deliver: Deliver | null = null;

  /** Bumped on every connection attempt: callbacks of older connections are ignored. */
  private generation = 0;
  private pub: RedisConn | null = null;
  private sub: RedisConn | null = null;
  /** Connected, resubscribed: publishing goes straight to Redis. */
  private ready = false;
  /** A connection attempt is on its way (not waiting for the retry timer). */
  private connecting = false;
  /** subscribe() calls waiting for that attempt to succeed or fail. */
  private whenSettled: (() => void)[] = [];
  private closed = false;
  private readonly wanted = new Set<string>();
  /** Published while not ready, in order; sent once ready. */
  private readonly held = new Deque<Held>();
  /** Sizes of PUBLISH commands written and not yet acknowledged, oldest first. */
  private readonly unacked = new Deque<number>();

  /** Connection attempts that failed since the bus last worked for a while (the delay doubles with each). */
  private attempts = 0;
  private readySince = 0;
  private downSince = 0;
  private lastFailure = '';
  private retryTimer: NodeJS.Timeout | null = null;
  /** Aborts the connection attempt on its way, if any (close() must not wait out its timeout). */
  private attempt: AbortController | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private pubPinged = false;
  private subPinged = false;

  private received = 0;
  private unconfirmed = 0;
  private rejected = 0;
  private disconnects = 0;
  private reconnects = 0;
  private everConnected = false;

  constructor(options: RedisBusOptions) {
    this.options = options;
    this.addr = parseRedisUrl(options.url);
    this.name = `pubsub ${describeAddress(this.addr)}`;
    this.prefix = options.prefix ?? DEFAULT_CHANNEL_PREFIX;
    this.prefixBytes = Buffer.from(this.prefix, 'utf8');
    this.log = options.log ?? ((line) => console.error(`weft: ${line}`));
    this.queue = new BusQueue(options.queueBytes ?? DEFAULT_BUS_QUEUE_BYTES, this.name, this.log);
  }

  start(deliver: Deliver): void {
    if (this.deliver !== null) throw new Error('a bus serves one hub');
    this.deliver = deliver;
    this.connect();
  }

  publish(topic: string, data: string | Uint8Array): Promise<void> | undefined {
    if (this.closed) return undefined;
    const size = sizeOf(topic, data);
    const admission = this.queue.admit(size, this.ready);
    if (admission === 'dropped') return undefined;
    if (this.ready) this.write(topic, data, size);
    else this.held.push({ topic, data, size });
    return admission === 'taken' ? undefined : admission;
  }

  subscribe(topic: string): Promise<void> | undefined {
    this.wanted.add(topic);
    const sub = this.sub;
    if (sub === null) {
      // Subscribed on (re)connection: wait for it if a connection is on its way.
      if (!this.connecting) return undefined;
      return new Promise<void>((resolve) => this.whenSettled.push(resolve));
    }
    return new Promise<void>((resolve) => {
      sub.send(['SUBSCRIBE', [this.prefix, topic]], (err) => {
        if (err instanceof RedisError) this.log(`${this.name}: SUBSCRIBE ${this.prefix}${topic} refused: ${err.message}`);
        resolve();
      });
    });
  }

  unsubscribe(topic: string): void {
    this.wanted.delete(topic);
    this.sub?.send(['UNSUBSCRIBE', [this.prefix, topic]], ignore);
  }

  stats(): BusStats {
    return {
      kind: 'redis',
      connected: this.ready,
      queuedBytes: this.queue.bytes,
      queueFull: this.queue.dropped,
      received: this.received,
      disconnects: this.disconnects,
      reconnects: this.reconnects,
      address: describeAddress(this.addr),
      unconfirmed: this.unconfirmed,
    };
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.generation++;
      if (this.retryTimer !== null) clearTimeout(this.retryTimer);
      this.attempt?.abort();
      this.attempt = null;
      this.stopPinging();
      this.pub?.close();
      this.sub?.close();
      this.pub = this.sub = null;
      this.ready = false;
      this.settle();
      for (let h = this.held.shift(); h !== undefined; h = this.held.shift()) this.queue.release(h.size);
      this.queue.close();
    }
    return Promise.resolve();
  }

  // ---- connecting ----

  private connect(): void {
    this.retryTimer = null;
    this.connecting = true;
    const generation = ++this.generation;
    const attempt = (this.attempt = new AbortController());
    const a = this.addr;
    const common = {
      host: a.host,
      port: a.port,
      tls: a.tls ? { ...this.options.tls } : undefined,
      username: a.username,
      password: a.password,
      db: a.db,
      connectTimeout: this.options.connectTimeout,
      signal: attempt.signal,
      onClose: (err: Error) => this.lost(generation, err),
    };
    void Promise.allSettled([RedisConn.connect(common), RedisConn.connect({ ...common, onMessage: this.onMessage })]).then(
      ([p, s]) => {
        if (this.attempt === attempt) this.attempt = null;
        const pub = p.status === 'fulfilled' ? p.value : null;
        const sub = s.status === 'fulfilled' ? s.value : null;
        if (this.closed || generation !== this.generation || pub === null || sub === null || pub.closed || sub.closed) {
          pub?.close();
          sub?.close();
          if (this.closed || generation !== this.generation) return;
          const reason = p.status === 'rejected' ? p.reason : s.status === 'rejected' ? s.reason : new Error('connection closed at once');
          this.failed(reason as Error);
          return;
        }
        this.up(generation, pub, sub);
      },
    );
  }

  private failed(err: Error): void {
    this.settle();
    this.attempts++;
    const why = describeError(err);
    if (why !== this.lastFailure) {
      this.lastFailure = why;
      this.log(`${this.name}: cannot connect (${why}); retrying`);
    }
    const min = this.options.reconnectMin ?? DEFAULT_RECONNECT_MIN;
    const max = this.options.reconnectMax ?? DEFAULT_RECONNECT_MAX;
    const delay = Math.min(max, min * 2 ** Math.min(this.attempts - 1, 20));
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.retryTimer.unref();
  }

  /** Both connections are up: resubscribe, then send what was held. */
  private up(generation: number, pub: RedisConn, sub: RedisConn): void {
    this.pub = pub;
    this.sub = sub;
    let left = this.wanted.size + 1;
    const subscribed = (): void => {
      // A connection that failed meanwhile answers every SUBSCRIBE with an error first, then reports its end.
      if (--left === 0 && generation === this.generation && !pub.closed && !sub.closed) this.resume(this.wanted.size);
    };
    for (const topic of this.wanted) {
      sub.send(['SUBSCRIBE', [this.prefix, topic]], (err) => {
        if (err instanceof RedisError) this.log(`${this.name}: SUBSCRIBE ${this.prefix}${topic} refused: ${err.message}`);
        subscribed();
      });
    }
    subscribed();
  }

  private resume(topics: number): void {
    this.ready = true;
    this.settle();
    const held = this.held.length;
    for (let h = this.held.shift(); h !== undefined; h = this.held.shift()) this.write(h.topic, h.data, h.size);
    if (this.everConnected) {
      this.reconnects++;
      const seconds = ((Date.now() - this.downSince) / 1000).toFixed(1);
      this.log(`${this.name}: reconnected after ${seconds} s; ${topics} topic${topics === 1 ? '' : 's'} resubscribed, ${held} held message${held === 1 ? '' : 's'} sent`);
    } else if (this.attempts > 0) {
      this.log(`${this.name}: connected`);
    }
    this.everConnected = true;
    this.readySince = Date.now();
    this.lastFailure = '';
    this.startPinging();
  }

  /** The connection attempt is over: wake the subscribe() calls that waited for it. */
  private settle(): void {
    this.connecting = false;
    for (const resolve of this.whenSettled.splice(0)) resolve();
  }

  /**
   * A connection of the current pair ended: drop both, reconnect. At once
   * after a connection that had been working for a while; otherwise (it
   * failed while resubscribing, or the server keeps accepting and dropping
   * us) through the growing delay, so that nothing spins.
   */
  private lost(generation: number, err: Error): void {
    if (this.closed || generation !== this.generation || this.pub === null) return;
    const { pub, sub } = this;
    const wasReady = this.ready;
    this.pub = this.sub = null;
    this.ready = false;
    this.stopPinging();
    pub.close();
    sub?.close();
    if (!wasReady) {
      this.failed(err);
      return;
    }
    this.disconnects++;
    this.downSince = Date.now();
    this.log(`${this.name}: lost the connection (${describeError(err)}); reconnecting`);
    if (Date.now() - this.readySince < (this.options.reconnectMax ?? DEFAULT_RECONNECT_MAX)) {
      this.lastFailure = describeError(err); // said just above
      this.failed(err);
      return;
    }
    this.attempts = 0;
    this.connect();
  }

  // ---- publishing and receiving ----

  private write(topic: string, data: string | Uint8Array, size: number): void {
    this.unacked.push(size);
    const head = typeof data === 'string' ? this.origin.text : this.origin.binary;
    this.pub!.send(['PUBLISH', [this.prefix, topic], [head, data]], this.onPublished);
  }

  private onPublished: ReplyCallback = (err) => {
    this.queue.release(this.unacked.shift()!);
    if (err === null) return;
    if (err instanceof RedisError) {
      if (this.rejected++ === 0) this.log(`${this.name}: PUBLISH refused: ${err.message}`);
    } else {
      this.unconfirmed++;
    }
  };

  private onMessage = (channel: Buffer, payload: Buffer): void => {
    const n = this.prefixBytes.length;
    if (channel.length <= n || channel.compare(this.prefixBytes, 0, n, 0, n) !== 0) return;
    const data = openEnvelope(payload, this.origin);
    if (data === null) return;
    this.received++;
    this.deliver!(channel.toString('utf8', n), data);
  };

  // ---- health ----

  private startPinging(): void {
    const interval = this.options.pingInterval ?? DEFAULT_PING_INTERVAL;
    if (interval <= 0) return;
    this.pubPinged = this.subPinged = false;
    this.pingTimer = setInterval(this.ping, interval);
    this.pingTimer.unref();
  }

  private stopPinging(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  /** A connection that has not answered the previous ping is taken for dead. */
  private ping = (): void => {
    const { pub, sub } = this;
    if (pub === null || sub === null) return;
    if (this.pubPinged || this.subPinged) {
      (this.pubPinged ? pub : sub).close();
      return;
    }
    this.pubPinged = this.subPinged = true;
    pub.send(['PING'], () => (this.pubPinged = false));
    sub.send(['PING'], () => (this.subPinged = false));
  };
}

function describeError(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}

/**
 * A bus through Redis pub/sub, for processes on several machines.
 *
 * @example
 * const hub = createHub({ bus: redisBus({ url: 'redis://10.0.0.5:6379' }) });
 */
export function redisBus(options: RedisBusOptions): Bus {
  return new RedisBus(options);
}
