/**
 * Multi-core: a primary process runs N workers with `node:cluster`, all
 * sharing the listening socket (and, with relayPubSub, relaying the pub/sub
 * hub's IPC bus between them). The primary restarts a worker that dies (with
 * a growing delay if workers keep dying at start, so a crash loop does not
 * spin), and on SIGTERM/SIGINT asks every worker to shut down gracefully and
 * exits once they have, or once the deadline has passed.
 */
import cluster, { type Worker } from 'node:cluster';
import { startIpcRelay } from '../pubsub/ipc-relay.js';

/** Message from the primary asking a worker to drain and exit. */
export const SHUTDOWN_MESSAGE = 'weft:shutdown';

/** A worker that dies sooner than this after starting counts as a crash at start (ms). */
const EARLY_DEATH = 2000;
const MAX_RESTART_DELAY = 10_000;

export type PrimaryOptions = {
  workers: number;
  /** How long workers get to finish in-flight requests at shutdown (ms). */
  shutdownTimeout: number;
  /** Called once, when every worker listens. */
  onListening: (address: { address: string; port: number }) => void;
  /** Reported restarts and failures. */
  log: (message: string) => void;
  /** Relay the workers' IPC pub/sub bus (ipcBus) between them. Default false. */
  relayPubSub?: boolean;
};

/** Runs the primary: forks and supervises the workers. Returns at once. */
export function runPrimary(options: PrimaryOptions): void {
  let stopping = false;
  let announced = false;
  let restartDelay = 0;
  const started = new Map<Worker, number>();

  const fork = (): void => {
    const w = cluster.fork();
    started.set(w, Date.now());
  };

  // Announced once every worker listens: before that, connections would all
  // go to the first ones (a --workers test would see a single worker).
  const listening = new Set<Worker>();
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
    if (stopping) {
      if (started.size === 0) process.exit(0);
      return;
    }
    options.log(`worker ${w.process.pid} exited (${signal ?? code}); starting another`);
    if (Date.now() - born < EARLY_DEATH) restartDelay = Math.min(MAX_RESTART_DELAY, Math.max(100, restartDelay * 2));
    setTimeout(fork, restartDelay).unref();
  });

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    if (started.size === 0) process.exit(0);
    for (const w of started.keys()) if (w.isConnected()) w.send(SHUTDOWN_MESSAGE);
    // Workers close their own servers; this is the backstop.
    setTimeout(() => {
      for (const w of started.keys()) w.process.kill('SIGKILL');
      process.exit(1);
    }, options.shutdownTimeout + 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  // Bytes cross the IPC channel as bytes, not as JSON arrays of numbers.
  cluster.setupPrimary({ serialization: 'advanced' });
  if (options.relayPubSub) startIpcRelay({ log: options.log });
  for (let i = 0; i < options.workers; i++) fork();
}

/** In a worker: calls `shutdown` when the primary asks, or on SIGTERM/SIGINT. */
export function onShutdownRequest(shutdown: () => void): void {
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    shutdown();
  };
  process.on('message', (m) => {
    if (m === SHUTDOWN_MESSAGE) once();
  });
  process.on('SIGTERM', once);
  process.on('SIGINT', once);
}
