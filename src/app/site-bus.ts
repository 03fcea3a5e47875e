/**
 * The bus under the command's pub/sub hub (the demo chat room): Redis with
 * `--pubsub <url>`, the cluster's IPC channel in a worker of `--workers N`,
 * else none (one process). The primary of `--workers N` relays the IPC bus
 * (runPrimary's relayPubSub).
 */
import { localBus, type Bus } from '../pubsub/bus.js';
import { ipcBus } from '../pubsub/ipc-bus.js';
import { redisBus } from '../pubsub/redis-bus.js';
import type { CliConfig } from './cli-options.js';

export function siteBus(config: Pick<CliConfig, 'pubsub'>, inWorker: boolean): Bus {
  if (config.pubsub !== null) return redisBus({ url: config.pubsub });
  return inWorker ? ipcBus() : localBus();
}

/** Whether the primary relays the IPC bus for its workers. */
export const primaryRelays = (config: Pick<CliConfig, 'pubsub' | 'demo'>): boolean => config.demo && config.pubsub === null;
