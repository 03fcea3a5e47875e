/**
 * Publish/subscribe for WebSocket connections: a hub with topics, and the
 * buses that carry its messages across processes (in-process, node:cluster
 * IPC, Redis), the Redis client they use, and a JSON status endpoint.
 */
export {
  createHub,
  CLOSE_TRY_AGAIN_LATER,
  type Hub,
  type HubOptions,
  type HubStats,
  type PublishOptions,
  type WhenFull,
} from './hub.js';
export { localBus, type Bus, type BusKind, type BusStats, type Deliver } from './bus.js';
export { ipcBus, type IpcBusOptions } from './ipc-bus.js';
export { startIpcRelay, type IpcRelay, type IpcRelayOptions } from './ipc-relay.js';
export { redisBus, type RedisBusOptions } from './redis-bus.js';
export { pubsubStatus } from './status.js';
export { RedisConn, type RedisConnOptions, type ReplyCallback, DEFAULT_CONNECT_TIMEOUT } from './redis/client.js';
export { RedisError, RedisClientError, type RedisClientErrorCode } from './redis/errors.js';
export type { RedisValue, RespArg } from './redis/resp.js';
export { parseRedisUrl, redactUrl, type RedisAddress } from './redis/url.js';
export {
  DEFAULT_OUTBOX_BYTES,
  DEFAULT_BUS_QUEUE_BYTES,
  DEFAULT_RECONNECT_MIN,
  DEFAULT_RECONNECT_MAX,
  DEFAULT_PING_INTERVAL,
  DEFAULT_CHANNEL_PREFIX,
  MAX_TOPIC_LENGTH,
  DEFAULT_MAX_TOPICS_PER_CONNECTION,
} from './limits.js';
