/**
 * Limits and timeouts of the HTTP layer: every one a named default, every one
 * configurable through ServerOptions.
 */

export type HTTPLimits = {
  /** Longest request line (bytes) → 414. */
  maxRequestLine: number;
  /** Longest method token (bytes) → 501 as soon as it is exceeded, closed. */
  maxMethodLength: number;
  /** Largest request head, request line and fields (bytes) → 431. */
  maxHeadSize: number;
  /** Most field lines in a head → 431. */
  maxHeaderCount: number;
  /** Largest request body the server accepts (bytes) → 413. Infinity: unlimited (streamed). */
  maxBodySize: number;
  /** Longest chunk-size line, extensions included (bytes) → 400. */
  maxChunkLine: number;
  /** Largest trailer section of a chunked body (bytes) → 431. */
  maxTrailerSize: number;
  /** Unread request body discarded after a response to keep the connection (bytes); more closes it. */
  maxDrainSize: number;
};

export const DEFAULT_LIMITS: Readonly<HTTPLimits> = {
  maxRequestLine: 8 * 1024,
  // The longest registered method (UPDATEREDIRECTREF) has 17 characters.
  maxMethodLength: 32,
  maxHeadSize: 16 * 1024,
  maxHeaderCount: 100,
  maxBodySize: Infinity,
  maxChunkLine: 4 * 1024,
  maxTrailerSize: 16 * 1024,
  maxDrainSize: 256 * 1024,
};

export type HTTPTimeouts = {
  /** From the first byte of a request head until it is complete (ms) → 408. */
  headersTimeout: number;
  /** A keep-alive connection waiting for its next request (ms) → closed. */
  idleTimeout: number;
  /** A request body that sends nothing for this long (ms) → 408, closed. */
  bodyTimeout: number;
  /**
   * The whole request, head and body, must arrive within this long of its
   * first byte (ms) → 408, closed. 0: no limit. Raise it for uploads that
   * may take longer than five minutes.
   */
  requestTimeout: number;
  /**
   * Slowest acceptable request body, in bytes per second, averaged over the
   * time the server spent waiting for it → 408, closed. Only time spent
   * waiting for the client counts, never time the application takes to
   * read. 0: no minimum. (Kestrel's MinRequestBodyDataRate.)
   */
  minBodyRate: number;
  /** Waiting time allowed before minBodyRate applies (ms): a body may start slowly. */
  minBodyRateGrace: number;
  /** A response the client does not read for this long (ms) → aborted. */
  sendTimeout: number;
  /** Graceful shutdown: in-flight requests get this long before being cut (ms). */
  shutdownTimeout: number;
  /**
   * At shutdown, a connection that became idle less than this long ago (ms)
   * is not closed at once: a busy client sends its next request as soon as
   * it has a response, so one is probably on the wire. It is answered (with
   * `Connection: close`) if it arrives within this time. Connections idle
   * for longer are closed at once.
   */
  shutdownIdleGrace: number;
};

export const DEFAULT_TIMEOUTS: Readonly<HTTPTimeouts> = {
  headersTimeout: 10_000,
  idleTimeout: 5_000,
  bodyTimeout: 30_000,
  requestTimeout: 300_000,
  minBodyRate: 240,
  minBodyRateGrace: 5_000,
  sendTimeout: 60_000,
  shutdownTimeout: 10_000,
  shutdownIdleGrace: 250,
};

/** Simultaneous connections; more wait to be accepted (or are refused). */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
