/**
 * The bus under the command's pub/sub hub (the demo chat room): Redis with
 * `--pubsub <url>` (or `"pubsub"` in the site config), the cluster's IPC
 * channel in a worker of `--workers N`, else none (one process). The
 * primary of `--workers N` relays the IPC bus (runPrimary's relayPubSub).
 */
import { localBus, type Bus } from '../pubsub/bus.js';
import { ipcBus } from '../pubsub/ipc-bus.js';
import { redisBus } from '../pubsub/redis-bus.js';
import { RedisClientError } from '../pubsub/redis/errors.js';
import { parseRedisUrl } from '../pubsub/redis/url.js';
import type { Settings } from './settings.js';

export function siteBus(settings: Pick<Settings, 'pubsub'>, inWorker: boolean): Bus {
  if (settings.pubsub !== null) return redisBus({ url: settings.pubsub });
  return inWorker ? ipcBus() : localBus();
}

/** Whether the primary relays the IPC bus for its workers. */
export const primaryRelays = (settings: Pick<Settings, 'pubsub' | 'demo'>): boolean => settings.demo && settings.pubsub === null;

/** Why `url` cannot be the pub/sub bus's (the password redacted), or null when it can. */
export function pubsubUrlProblem(url: string): string | null {
  try {
    parseRedisUrl(url);
    return null;
  } catch (err) {
    if (err instanceof RedisClientError) return err.message;
    throw err;
  }
}
