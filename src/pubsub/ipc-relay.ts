/**
 * The primary's half of the IPC bus (ipc-bus.ts): every batch a worker sends
 * is relayed to every other worker. Per worker, the primary counts only the
 * bytes it has handed to that worker's channel and not yet written; a worker
 * that falls behind by more than the limit misses batches (counted, logged
 * once per episode) instead of growing the primary's memory.
 */
import cluster, { type Worker } from 'node:cluster';
import { batchBytes, isIpcBatch } from './ipc-bus.js';
import { DEFAULT_BUS_QUEUE_BYTES } from './limits.js';

/** Options of startIpcRelay(). */
export type IpcRelayOptions = {
  /** Bytes waiting for one worker's channel past which batches for it are dropped. Default 4 MiB. */
  queueBytes?: number;
  /** Where a worker falling behind (and catching up) is reported. Default: console.error. */
  log?: (line: string) => void;
};

/** The relay running in the primary: its drop count, and stop() to end it. */
export type IpcRelay = {
  /** Batches not relayed to a worker that was behind. */
  readonly dropped: number;
  stop(): void;
};

/**
 * Starts relaying in the primary (before or after forking).
 *
 * @example
 * if (cluster.isPrimary) {
 *   startIpcRelay();
 *   for (let i = 0; i < 4; i++) cluster.fork();
 * }
 */
export function startIpcRelay(options: IpcRelayOptions = {}): IpcRelay {
  const limit = options.queueBytes ?? DEFAULT_BUS_QUEUE_BYTES;
  const log = options.log ?? ((line: string) => console.error(`weft: ${line}`));
  const pending = new Map<Worker, number>();
  const behind = new Set<Worker>();
  let dropped = 0;

  const sent = (w: Worker, n: number): void => {
    const left = (pending.get(w) ?? n) - n;
    if (left > 0) pending.set(w, left);
    else pending.delete(w);
  };

  const relay = (from: Worker, m: unknown): void => {
    if (!isIpcBatch(m)) return;
    const n = batchBytes(m.batch);
    for (const w of Object.values(cluster.workers ?? {})) {
      if (w === undefined || w === from || !w.isConnected()) continue;
      const held = pending.get(w) ?? 0;
      if (held > 0 && held + n > limit) {
        dropped++;
        if (!behind.has(w)) {
          behind.add(w);
          log(`pubsub ipc: worker ${w.process.pid} is not keeping up; dropping messages for it`);
        }
        continue;
      }
      if (behind.delete(w)) log(`pubsub ipc: worker ${w.process.pid} caught up`);
      pending.set(w, held + n);
      w.send(m, undefined, {}, () => sent(w, n));
    }
  };

  const forget = (w: Worker): void => {
    pending.delete(w);
    behind.delete(w);
  };

  cluster.on('message', relay);
  cluster.on('exit', forget);
  return {
    get dropped() {
      return dropped;
    },
    stop() {
      cluster.off('message', relay);
      cluster.off('exit', forget);
    },
  };
}
