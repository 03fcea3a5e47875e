/**
 * Limits and defaults of the pub/sub layer, each with its unit. The options
 * that accept them document them where they are accepted (HubOptions,
 * RedisBusOptions, IpcBusOptions).
 */

/**
 * Bytes handed to one subscriber's socket and not yet taken by the OS
 * before it counts as too slow (closed with 1013, or the message dropped).
 * A single message bigger than this still goes to a subscriber with
 * nothing pending.
 */
export const DEFAULT_OUTBOX_BYTES = 1024 * 1024;

/** Longest topic name (UTF-16 units). */
export const MAX_TOPIC_LENGTH = 256;

/** Topics one connection may subscribe to at once (each costs the hub, and maybe Redis, a subscription). */
export const DEFAULT_MAX_TOPICS_PER_CONNECTION = 1024;

/**
 * Bytes of messages a bus holds for other processes (waiting to be written,
 * or written and not yet acknowledged). Past it publishers wait while the
 * bus is connected; past twice it, or while it is down, messages for other
 * processes are dropped and counted (`busQueueFull`).
 */
export const DEFAULT_BUS_QUEUE_BYTES = 4 * 1024 * 1024;

/** First delay before reconnecting to Redis; it doubles on every failure (milliseconds). */
export const DEFAULT_RECONNECT_MIN = 100;
/** Longest delay between two reconnection attempts (milliseconds). */
export const DEFAULT_RECONNECT_MAX = 5_000;

/**
 * A Redis connection is pinged this often; one that has not answered the
 * previous ping by the next is taken for dead and replaced (milliseconds;
 * 0 disables the check).
 */
export const DEFAULT_PING_INTERVAL = 10_000;

/** Channel prefix on Redis: topic "chat" is channel "weft:chat". */
export const DEFAULT_CHANNEL_PREFIX = 'weft:';
