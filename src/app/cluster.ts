/**
 * Multi-core: a primary process runs N workers with `node:cluster`, all
 * sharing the listening socket (and, with relayPubSub, relaying the pub/sub
 * hub's IPC bus between them).
 *
 * - The primary announces the address once every worker listens: before
 *   that, connections would all go to the first ones.
 * - A worker that cannot start serving (a busy port, a bad certificate) says
 *   why (FATAL_MESSAGE) and the primary exits 1 with that one line: it is a
 *   configuration error, and another worker would fail the same way. Once
 *   all have listened, the same from a restarted worker is only logged: the
 *   others keep serving, and it is restarted like a crash at start.
 * - A worker that dies later is restarted (with a growing delay if workers
 *   keep dying at start, so a crash loop does not spin).
 * - SIGHUP is checked by the primary (`reload`) and passed on to workers.
 * - The first SIGTERM/SIGINT asks every worker to shut down gracefully; they
 *   report what they wait for (DRAINING_MESSAGE); the primary exits once they
 *   have, or once the deadline has passed. A second signal kills them now.
 */
import cluster, { type Worker } from 'node:cluster';
import { startIpcRelay } from '../pubsub/ipc-relay.js';
import { coalesced } from '../sync/coalesce.js';

/** Message from the primary asking a worker to drain and exit. */
export const SHUTDOWN_MESSAGE = 'weft:shutdown';
/** Message from the primary asking a worker to reload its config and certificate. */
export const RELOAD_MESSAGE = 'weft:reload';
/** `{ type, message }` from a worker that cannot serve: the primary exits 1 with `message`. */
export const FATAL_MESSAGE = 'weft:fatal';
/** `{ type, connections }` from a draining worker: the connections it waits for. */
export const DRAINING_MESSAGE = 'weft:draining';

/** A worker that dies sooner than this after starting counts as a crash at start (ms). */
const EARLY_DEATH = 2000;
const MAX_RESTART_DELAY = 10_000;
/** After the shutdown deadline, how long workers get to exit before they are killed (ms). */
const KILL_GRACE = 2000;

type WorkerMessage = { type?: unknown; message?: unknown; connections?: unknown };

export type PrimaryOptions = {
  workers: number;
  /** How long workers get to finish in-flight requests at shutdown (ms). */
  shutdownTimeout: number;
  /** Called once, when every worker listens. */
  onListening: (address: { address: string; port: number }) => void;
  /** A worker cannot serve before all have listened: called once with its reason, then the primary exits 1. */
  onFatal: (message: string) => void;
  /** Shutdown began: the connections the workers wait for, in all. */
  onDraining: (connections: number) => void;
  /** On SIGHUP: checks the new config; workers reload only when it resolves true. */
  reload: () => Promise<boolean>;
  /** Reported restarts and failures. */
  log: (message: string) => void;
  /** Relay the workers' IPC pub/sub bus (ipcBus) between them. Default false. */
  relayPubSub?: boolean;
};

/** Runs the primary: forks and supervises the workers. Returns at once. */
export function runPrimary(options: PrimaryOptions): void {
  let stopping = false;
  let failed = false;
  let announced = false;
  let restartDelay = 0;
  const started = new Map<Worker, number>();
  const listening = new Set<Worker>();
  /** Workers yet to report what they drain; their counts so far. */
  const draining = new Set<Worker>();
  let drainingTotal = 0;

  const fork = (): void => {
    const w = cluster.fork();
    started.set(w, Date.now());
    w.on('message', (m: WorkerMessage) => onMessage(w, m));
  };

  const killAll = (): void => {
    for (const w of started.keys()) w.process.kill('SIGKILL');
  };

  const onMessage = (w: Worker, m: WorkerMessage): void => {
    // Once every worker has listened, one that cannot start is a restart that
    // met a config file broken since: those serving go on, and it is retried
    // (with the growing delay) until the file is mended.
    if (m?.type === FATAL_MESSAGE && announced) return options.log(`worker ${w.process.pid} cannot start: ${String(m.message)}`);
    if (m?.type === FATAL_MESSAGE && !failed) {
      failed = true;
      stopping = true;
      killAll();
      options.onFatal(String(m.message));
      process.exit(1);
    }
    if (m?.type === DRAINING_MESSAGE && draining.delete(w)) {
      drainingTotal += Number(m.connections) || 0;
      if (draining.size === 0) options.onDraining(drainingTotal);
    }
  };

  cluster.on('listening', (w, address) => {
    restartDelay = 0;
    listening.add(w);
    if (!announced && listening.size >= options.workers) {
      announced = true;
      options.onListening({ address: address.address ?? '127.0.0.1', port: address.port });
    }
  });

  cluster.on('exit', (w, code, signal) => {
    const born = started.get(w) ?? 0;
    started.delete(w);
    listening.delete(w);
    if (draining.delete(w) && draining.size === 0) options.onDraining(drainingTotal);
    if (stopping || failed) {
      if (started.size === 0 && !failed) process.exit(0);
      return;
    }
    options.log(`worker ${w.process.pid} exited (${signal ?? code}); starting another`);
    if (Date.now() - born < EARLY_DEATH) restartDelay = Math.min(MAX_RESTART_DELAY, Math.max(100, restartDelay * 2));
    // A shutdown that begins meanwhile must not get a worker that never hears of it.
    setTimeout(() => {
      if (!stopping) fork();
    }, restartDelay).unref();
  });

  const stop = (): void => {
    if (stopping) {
      // A second signal: stop waiting.
      killAll();
      process.exit(1);
    }
    stopping = true;
    if (started.size === 0) process.exit(0);
    for (const w of started.keys()) {
      if (!w.isConnected()) continue;
      draining.add(w);
      w.send(SHUTDOWN_MESSAGE);
    }
    // Workers close their own servers; this is the backstop.
    setTimeout(() => {
      killAll();
      process.exit(1);
    }, options.shutdownTimeout + KILL_GRACE).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // One reload at a time, workers told of each in order; SIGHUPs during a reload make one more.
  const reload = coalesced(async () => {
    if (!(await options.reload()) || stopping) return;
    for (const w of started.keys()) if (w.isConnected()) w.send(RELOAD_MESSAGE);
  });
  process.on('SIGHUP', () => void reload());

  // Bytes cross the IPC channel as bytes, not as JSON arrays of numbers.
  cluster.setupPrimary({ serialization: 'advanced' });
  if (options.relayPubSub) startIpcRelay({ log: options.log });
  for (let i = 0; i < options.workers; i++) fork();
}

export type WorkerHooks = {
  /** Begin a graceful shutdown (called once). */
  shutdown: () => void;
  /** Stop waiting and exit now (a second signal). */
  force: () => void;
  /** The primary passes on a SIGHUP. */
  reload: () => void;
};

/**
 * In a worker: calls `hooks.shutdown` when the primary asks or on
 * SIGTERM/SIGINT (Ctrl-C in a terminal reaches every process of the group,
 * so one Ctrl-C brings both the signal and the primary's request), and
 * `hooks.force` on a second signal. `hooks.reload` on the primary's word; a
 * SIGHUP sent to the worker itself is ignored: the primary checks the
 * config before workers reload.
 */
export function onPrimaryRequests(hooks: WorkerHooks): void {
  let stopping = false;
  const begin = (): void => {
    if (stopping) return;
    stopping = true;
    hooks.shutdown();
  };
  const signal = (): void => (stopping ? hooks.force() : begin());
  process.on('message', (m) => {
    if (m === SHUTDOWN_MESSAGE) begin();
    else if (m === RELOAD_MESSAGE && !stopping) hooks.reload();
  });
  process.on('SIGTERM', signal);
  process.on('SIGINT', signal);
  process.on('SIGHUP', () => {});
}

/** In a worker: tells the primary why this worker cannot serve, then exits 1. Never resolves. */
export function reportFatal(message: string): Promise<never> {
  return new Promise(() => process.send!({ type: FATAL_MESSAGE, message }, () => process.exit(1)));
}

/** In a worker: tells the primary how many connections its shutdown waits for. */
export function reportDraining(connections: number): void {
  if (process.connected) process.send!({ type: DRAINING_MESSAGE, connections });
}
