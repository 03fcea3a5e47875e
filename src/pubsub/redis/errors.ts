/**
 * Errors of the Redis client. A RedisError is the server's own error reply
 * (`-ERR ...`, `-WRONGPASS ...`): its `code` is the reply's first word, as
 * Redis documents it. A RedisClientError is this side's: the connection
 * closed, the bytes were not RESP, the URL was malformed.
 */

/** An error reply from the server; `code` is its first word (ERR, WRONGPASS, NOAUTH, NOPERM, ...). */
export class RedisError extends Error {
  readonly code: string;
  constructor(line: string) {
    super(line);
    this.name = 'RedisError';
    const space = line.indexOf(' ');
    this.code = space < 0 ? line : line.slice(0, space);
  }
}

/** What went wrong on this side of a Redis connection. */
export type RedisClientErrorCode =
  /** The connection closed (by either side) before the reply came. */
  | 'WEFT_REDIS_CLOSED'
  /** The server sent bytes that are not RESP2, or a reply over the limits. */
  | 'WEFT_REDIS_PROTOCOL'
  /** Connecting (TCP, TLS, AUTH, SELECT) took longer than allowed. */
  | 'WEFT_REDIS_TIMEOUT'
  /** A redis:// URL that cannot be used. */
  | 'WEFT_REDIS_URL';

/** A failure of the client (not a reply of the server), with a stable `code`. */
export class RedisClientError extends Error {
  readonly code: RedisClientErrorCode;
  constructor(code: RedisClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisClientError';
    this.code = code;
  }
}

export const redisClosed = (message: string, cause?: unknown): RedisClientError =>
  new RedisClientError('WEFT_REDIS_CLOSED', message, { cause });

export const redisProtocol = (message: string): RedisClientError => new RedisClientError('WEFT_REDIS_PROTOCOL', message);
