/**
 * The bus between the workers of one `node:cluster`, with no extra service:
 * each worker sends what it publishes to the primary over the IPC channel,
 * batched (everything published in one turn of the event loop is one IPC
 * message), and the primary relays every batch to every other worker
 * (ipc-relay.ts). The primary keeps no state per subscriber or per topic;
 * each worker delivers what it receives to its own subscribers, and
 * ignores topics it has none for.
 *
 * The channel is fastest with `serialization: 'advanced'` (runPrimary sets
 * it; bytes then cross as bytes); with the default JSON serialization,
 * binary messages still arrive intact, only slower.
 */
import type { Bus, BusStats, Deliver } from './bus.js';
import { BusQueue } from './bus-queue.js';
import { DEFAULT_BUS_QUEUE_BYTES } from './limits.js';

/** The `type` of the IPC messages of the bus, worker to primary and primary to worker. */
export const IPC_BATCH = 'weft:pubsub';

/** One IPC message: topics and messages, alternating. */
export type IpcBatch = { type: typeof IPC_BATCH; batch: (string | Uint8Array)[] };

/** Options of ipcBus(). */
export type IpcBusOptions = {
  /** Bytes handed to the IPC channel and not yet written before publishers wait (see BusQueue). Default 4 MiB. */
  queueBytes?: number;
  /** Where losing the primary and a full queue are reported. Default: console.error. */
  log?: (line: string) => void;
};

export const isIpcBatch = (m: unknown): m is IpcBatch =>
  typeof m === 'object' && m !== null && (m as IpcBatch).type === IPC_BATCH && Array.isArray((m as IpcBatch).batch);

/** Bytes of a batch, as the queues count them. */
export function batchBytes(batch: readonly unknown[]): number {
  let n = 0;
  for (const item of batch) n += typeof item === 'string' ? item.length : item instanceof Uint8Array ? item.byteLength : 16;
  return n;
}

/** A message as it arrives: text as it was, bytes as a Buffer whichever serialization carried them. */
function asData(item: unknown): string | Buffer | null {
  if (typeof item === 'string') return item;
  if (item instanceof Uint8Array) return Buffer.from(item.buffer, item.byteOffset, item.byteLength);
  const json = item as { type?: unknown; data?: unknown }; // a Buffer through JSON serialization
  if (typeof json === 'object' && json !== null && json.type === 'Buffer' && Array.isArray(json.data)) return Buffer.from(json.data as number[]);
  return null;
}

/**
 * The bus of a cluster worker. Throws outside a process with an IPC channel.
 *
 * @example
 * // in each worker (the primary runs startIpcRelay())
 * const hub = createHub({ bus: ipcBus() });
 */
export function ipcBus(options: IpcBusOptions = {}): Bus {
  if (typeof process.send !== 'function') throw new Error('ipcBus() needs an IPC channel: run it in a cluster worker');
  const log = options.log ?? ((line: string) => console.error(`weft: ${line}`));
  const queue = new BusQueue(options.queueBytes ?? DEFAULT_BUS_QUEUE_BYTES, 'pubsub ipc', log);
  let deliver: Deliver | null = null;
  let batch: (string | Uint8Array)[] = [];
  let pendingBytes = 0;
  let scheduled: NodeJS.Immediate | null = null;
  let received = 0;
  let disconnects = 0;
  let closed = false;

  const flush = (): void => {
    scheduled = null;
    const message: IpcBatch = { type: IPC_BATCH, batch };
    const n = pendingBytes;
    batch = [];
    pendingBytes = 0;
    // The callback comes once the message is written to the channel, or with the error that stopped it.
    process.send!(message, undefined, {}, () => queue.release(n));
  };

  const onMessage = (m: unknown): void => {
    if (!isIpcBatch(m) || deliver === null) return;
    const items = m.batch;
    for (let i = 0; i + 1 < items.length; i += 2) {
      const topic = items[i];
      const data = asData(items[i + 1]);
      if (typeof topic !== 'string' || data === null) continue;
      received++;
      deliver(topic, data);
    }
  };

  const onDisconnect = (): void => {
    disconnects++;
    log('pubsub ipc: lost the channel to the primary; messages stay in this worker');
  };

  return {
    kind: 'ipc',
    start(d) {
      if (deliver !== null) throw new Error('a bus serves one hub');
      deliver = d;
      process.on('message', onMessage);
      process.on('disconnect', onDisconnect);
    },
    publish(topic, data) {
      if (closed) return undefined;
      const n = topic.length + (typeof data === 'string' ? data.length : data.byteLength);
      const admission = queue.admit(n, process.connected === true);
      if (admission === 'dropped') return undefined;
      batch.push(topic, data);
      pendingBytes += n;
      if (scheduled === null) scheduled = setImmediate(flush);
      return admission === 'taken' ? undefined : admission;
    },
    subscribe: () => undefined,
    unsubscribe() {},
    stats(): BusStats {
      return {
        kind: 'ipc',
        connected: process.connected === true,
        queuedBytes: queue.bytes,
        queueFull: queue.dropped,
        received,
        disconnects,
        reconnects: 0,
      };
    },
    close() {
      if (!closed) {
        closed = true;
        if (scheduled !== null) clearImmediate(scheduled);
        scheduled = null;
        queue.release(pendingBytes);
        batch = [];
        process.off('message', onMessage);
        process.off('disconnect', onDisconnect);
        queue.close();
      }
      return Promise.resolve();
    },
  };
}
