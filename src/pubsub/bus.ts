/**
 * The interface between a hub and whatever carries its messages to other
 * processes. A bus knows topics, never subscribers: the hub tells it which
 * topics have local subscribers (subscribe/unsubscribe, once per topic) and
 * gives it what is published here; the bus hands the hub what other
 * processes published on those topics. Three buses implement it:
 *
 * - `localBus()`: one process, nothing to carry (the default);
 * - `ipcBus()`: the workers of one `node:cluster`, through the primary;
 * - `redisBus({ url })`: any number of processes and machines on one Redis.
 */

/** A message another process published, handed to the hub (text as a string, binary as bytes). */
export type Deliver = (topic: string, data: string | Buffer) => void;

/** Which bus: one process, the workers of a cluster, or Redis. */
export type BusKind = 'local' | 'ipc' | 'redis';

/** A bus's counters and state, as HubStats.bus reports them. */
export type BusStats = {
  kind: BusKind;
  /** Messages published here reach other processes now. */
  connected: boolean;
  /** Bytes of messages held for other processes (waiting, or not yet acknowledged). */
  queuedBytes: number;
  /** Messages for other processes dropped because the queue was full or the bus down. */
  queueFull: number;
  /** Messages received from other processes. */
  received: number;
  /** Times the bus lost its connection, and found it again. */
  disconnects: number;
  reconnects: number;
  /** Where the bus goes (a Redis URL without its password), when it goes anywhere. */
  address?: string;
  /** Messages written to a connection that failed before they were acknowledged (they may or may not have arrived). */
  unconfirmed?: number;
};

/**
 * What carries a hub's messages to other processes: localBus(), ipcBus()
 * or redisBus(), or one of the application's. The hub that is given it owns
 * it: it calls start() once, and close() closes it.
 */
export type Bus = {
  readonly kind: BusKind;
  /** Called once by the hub that owns the bus, before anything else. */
  start(deliver: Deliver): void;
  /**
   * Carries a message to the other processes. Undefined when it was taken
   * (or dropped, and counted); a promise when the publisher should wait for
   * room before publishing more (backpressure).
   */
  publish(topic: string, data: string | Uint8Array): Promise<void> | undefined;
  /**
   * This process has a first subscriber to `topic`. Undefined when that is
   * in effect at once, else a promise that resolves once it is (or once the
   * bus is down: it is renewed on reconnection).
   */
  subscribe(topic: string): Promise<void> | undefined;
  /** This process has no subscriber to `topic` any more. */
  unsubscribe(topic: string): void;
  stats(): BusStats;
  /** Stops carrying messages and releases connections and timers. */
  close(): Promise<void>;
};

/** The bus of a single process: there is nobody else to tell. */
export function localBus(): Bus {
  return {
    kind: 'local',
    start() {},
    publish: () => undefined,
    subscribe: () => undefined,
    unsubscribe() {},
    stats: () => ({ kind: 'local', connected: true, queuedBytes: 0, queueFull: 0, received: 0, disconnects: 0, reconnects: 0 }),
    close: () => Promise.resolve(),
  };
}
