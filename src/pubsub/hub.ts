/**
 * A pub/sub hub for WebSocket connections: connections subscribe to topics
 * (`ws.subscribe(topic)` with `websocket(app, { topics: hub })`, or
 * `hub.subscribe(ws, topic)`), and anyone — a WebSocket application, an HTTP
 * handler, a timer — publishes to a topic with `hub.publish()`. Under the
 * hub a bus carries messages to and from other processes (bus.ts).
 *
 * Semantics: at most once, in publication order per publisher and topic,
 * nothing stored. A subscriber gets what is published after its
 * subscription is in effect, until it unsubscribes or closes; text stays
 * text and bytes stay binary.
 *
 * Delivery is bounded per subscriber: bytes handed to its socket and not yet
 * taken by the OS count against `outboxBytes`. A subscriber past it is too
 * slow to keep up: it is closed with 1013 (or, with `whenFull: 'drop'`, the
 * message is dropped for it), counted, and the others carry on. The one
 * exception is a publisher's own copy (`from`): it is always sent, and
 * publish() returns a promise that resolves once the publisher's backlog is
 * back under the limit, so a member that talks faster than it listens is
 * slowed down instead of dropped.
 *
 * Ownership: the hub owns every subscription. A connection's subscriptions
 * end when it unsubscribes or closes (the hub watches `ws.closed`); a topic's
 * bus subscription ends when its last local subscriber leaves.
 */
import { Deque } from '../sync/deque.js';
import type { TopicRegistry, WSConn } from '../ws/websocket.js';
import { localBus, type Bus, type BusStats } from './bus.js';
import { DEFAULT_MAX_TOPICS_PER_CONNECTION, DEFAULT_OUTBOX_BYTES, MAX_TOPIC_LENGTH } from './limits.js';

/** Close code for a subscriber too slow to keep up (IANA registry: "Try Again Later"). */
export const CLOSE_TRY_AGAIN_LATER = 1013;

/** What happens to a subscriber past `outboxBytes`: closed with 1013, or the message dropped for it. */
export type WhenFull = 'close' | 'drop';

/** Options of createHub(); every one has a default. */
export type HubOptions = {
  /** What carries messages to other processes. Default: `localBus()` (one process). */
  bus?: Bus;
  /**
   * Bytes handed to one subscriber's socket and not yet taken by the OS
   * before it is too slow (text counted in UTF-16 units). Default 1 MiB.
   */
  outboxBytes?: number;
  /** A subscriber too slow: `'close'` it with 1013 (default), or `'drop'` the message for it. Both are counted. */
  whenFull?: WhenFull;
  /** Called when a subscriber is closed (or a message dropped for it) for being too slow. */
  onSlow?: (ws: WSConn) => void;
  /** Topics one connection may subscribe to at once; past it subscribe() throws a RangeError. Default 1024. */
  maxTopicsPerConnection?: number;
};

/** Options of one publish(): whom to leave out, who is publishing. */
export type PublishOptions = {
  /** Not sent to this connection (the author, typically). */
  except?: WSConn;
  /**
   * The publishing connection. When it subscribes to the topic, its own copy
   * is never dropped: it waits for room instead, through publish()'s promise.
   */
  from?: WSConn;
};

/** The hub's counters since it was created, in this process (the JSON of pubsubStatus()). */
export type HubStats = {
  /** publish() calls in this process. */
  published: number;
  /** Messages that came from other processes over the bus. */
  received: number;
  /** Copies handed to subscribers' sockets. */
  delivered: number;
  /** Copies not delivered because a subscriber was too slow. */
  dropped: number;
  /** Subscribers closed with 1013 for being too slow. */
  slowClosed: number;
  /** Messages not carried to other processes because the bus queue was full (or the bus down). */
  busQueueFull: number;
  /** Topics with local subscribers, and subscriptions (connection × topic). */
  topics: number;
  subscriptions: number;
  bus: BusStats;
};

/**
 * Topics of WebSocket connections, made by createHub(): give it to
 * websocket() as `topics` for `ws.subscribe()`, and publish from anywhere.
 */
export type Hub = TopicRegistry & {
  /**
   * Publishes `data` (a string as text, bytes as binary; bytes must not be
   * modified afterwards) to every subscriber of `topic`, here and, through
   * the bus, in other processes. Returns undefined, or a promise to wait on
   * before publishing more (the publisher's own backlog, or the bus queue).
   *
   * @example
   * const hub = createHub();
   * app.get('/ws', websocket(async (ws) => {
   *   await ws.subscribe('news');
   *   for await (const msg of ws) await hub.publish('news', msg.data, { from: ws });
   * }, { topics: hub }));
   * app.post('/news', async (req, body) => {
   *   await hub.publish('news', (await readAll(body)).toString());
   *   return { code: 204 };
   * });
   */
  publish(topic: string, data: string | Uint8Array, options?: PublishOptions): Promise<void> | undefined;
  /** Local subscribers of `topic`. */
  subscriberCount(topic: string): number;
  readonly bus: Bus;
  stats(): HubStats;
  /** Closes the bus (connections, timers); delivery in this process goes on. */
  close(): Promise<void>;
};

const RESOLVED: Promise<void> = Promise.resolve();
const noop = (): void => {};

/** One connection's side of the hub. Created on its first subscription, kept until it closes. */
class Subscriber {
  readonly ws: WSConn;
  readonly topics = new Set<string>();
  /** Bytes handed to ws.send() whose promises have not settled. */
  inflight = 0;
  /** Their sizes, oldest first: a connection's sends settle in order. */
  private readonly sizes = new Deque<number>();

  constructor(ws: WSConn) {
    this.ws = ws;
  }

  send(data: string | Uint8Array, size: number): Promise<void> {
    this.inflight += size;
    this.sizes.push(size);
    const p = this.ws.send(data);
    p.then(this.settled, this.settled);
    return p;
  }

  private settled = (): void => {
    this.inflight -= this.sizes.shift()!;
  };
}

type Topic = {
  readonly subscribers: Set<Subscriber>;
  /** The bus subscription, until it is in effect. */
  ready: Promise<void> | undefined;
};

const sizeOf = (data: string | Uint8Array): number => (typeof data === 'string' ? data.length : data.byteLength);

function checkTopic(topic: string): void {
  if (typeof topic !== 'string') throw new TypeError(`a topic is a string, not ${typeof topic}`);
  if (topic.length === 0 || topic.length > MAX_TOPIC_LENGTH) {
    throw new RangeError(`a topic is 1 to ${MAX_TOPIC_LENGTH} characters long, not ${topic.length}`);
  }
}

/** Creates a hub; with `bus`, it delivers across processes. */
export function createHub(options: HubOptions = {}): Hub {
  const bus = options.bus ?? localBus();
  const limit = options.outboxBytes ?? DEFAULT_OUTBOX_BYTES;
  if (!(limit > 0)) throw new RangeError(`outboxBytes must be > 0, got ${limit}`);
  const dropOnly = (options.whenFull ?? 'close') === 'drop';
  const maxTopics = options.maxTopicsPerConnection ?? DEFAULT_MAX_TOPICS_PER_CONNECTION;
  const topics = new Map<string, Topic>();
  const subscribers = new Map<WSConn, Subscriber>();
  const counts = { published: 0, received: 0, delivered: 0, dropped: 0, slowClosed: 0, subscriptions: 0 };

  /** Hands one copy to `sub`; a promise when the publisher (`own`) should wait for room. */
  const offer = (sub: Subscriber, data: string | Uint8Array, size: number, own: boolean): Promise<void> | undefined => {
    if (sub.ws.isClosing) return undefined; // its close ends its subscriptions
    if (!own && sub.inflight > 0 && sub.inflight + size > limit) {
      tooSlow(sub);
      return undefined;
    }
    counts.delivered++;
    const p = sub.send(data, size);
    return own && sub.inflight > limit ? p.then(noop, noop) : undefined;
  };

  const tooSlow = (sub: Subscriber): void => {
    counts.dropped++;
    if (!dropOnly) {
      counts.slowClosed++;
      endAll(sub);
      sub.ws.close(CLOSE_TRY_AGAIN_LATER, 'too slow to keep up').then(undefined, noop);
    }
    options.onSlow?.(sub.ws);
  };

  const deliver = (topic: string, data: string | Uint8Array, except?: WSConn, from?: WSConn): Promise<void> | undefined => {
    const t = topics.get(topic);
    if (t === undefined) return undefined;
    const size = sizeOf(data);
    let wait: Promise<void> | undefined;
    for (const sub of t.subscribers) {
      if (sub.ws === except) continue;
      wait = offer(sub, data, size, sub.ws === from) ?? wait;
    }
    return wait;
  };

  const end = (sub: Subscriber, topic: string): void => {
    if (!sub.topics.delete(topic)) return;
    counts.subscriptions--;
    const t = topics.get(topic)!;
    t.subscribers.delete(sub);
    if (t.subscribers.size === 0) {
      topics.delete(topic);
      bus.unsubscribe(topic);
    }
  };

  const endAll = (sub: Subscriber): void => {
    for (const topic of sub.topics) end(sub, topic);
  };

  const subscribe = (ws: WSConn, topic: string): Promise<void> => {
    checkTopic(topic);
    if (ws.isClosing) return RESOLVED;
    let sub = subscribers.get(ws);
    if (sub === undefined) {
      const created = (sub = new Subscriber(ws));
      subscribers.set(ws, created);
      // Once per connection: a connection that subscribes and unsubscribes
      // all day adds nothing to its `closed` promise.
      void ws.closed.then(() => {
        endAll(created);
        subscribers.delete(ws);
      });
    }
    let t = topics.get(topic);
    if (sub.topics.has(topic)) return t!.ready ?? RESOLVED;
    if (sub.topics.size >= maxTopics) throw new RangeError(`a connection subscribes to ${maxTopics} topics at most`);
    sub.topics.add(topic);
    counts.subscriptions++;
    if (t === undefined) {
      const topicState: Topic = (t = { subscribers: new Set(), ready: undefined });
      topics.set(topic, topicState);
      const ready = bus.subscribe(topic);
      if (ready !== undefined) {
        const clear = (): void => {
          topicState.ready = undefined;
        };
        topicState.ready = ready.then(clear, clear);
      }
    }
    t.subscribers.add(sub);
    return t.ready ?? RESOLVED;
  };

  bus.start((topic, data) => {
    counts.received++;
    deliver(topic, data);
  });

  return {
    bus,

    subscribe(ws, topic) {
      try {
        return subscribe(ws, topic);
      } catch (err) {
        return Promise.reject(err); // a bad topic, or too many: the caller awaits, so it hears of it there
      }
    },

    unsubscribe(ws, topic) {
      const sub = subscribers.get(ws);
      if (sub !== undefined) end(sub, topic);
    },

    publish(topic, data, publishOptions = {}) {
      checkTopic(topic);
      if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
        throw new TypeError('a message is a string (text) or a Uint8Array (binary)');
      }
      counts.published++;
      const own = deliver(topic, data, publishOptions.except, publishOptions.from);
      const room = bus.publish(topic, data);
      if (own === undefined) return room;
      return room === undefined ? own : Promise.all([own, room]).then(noop);
    },

    subscriberCount(topic) {
      return topics.get(topic)?.subscribers.size ?? 0;
    },

    stats() {
      const b = bus.stats();
      return { ...counts, busQueueFull: b.queueFull, topics: topics.size, bus: b };
    },

    close() {
      return bus.close();
    },
  };
}
