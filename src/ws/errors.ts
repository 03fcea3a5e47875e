/**
 * Errors of the WebSocket layer. Each carries a stable `code` for callers and
 * tests to match on; protocol errors also carry the close code they cause
 * (RFC 6455 §7.4.1), as `ws`'s receiver does.
 */

export type WSErrorCode =
  /** The peer broke RFC 6455 / RFC 7692 framing rules (close 1002). */
  | 'WEFT_WS_PROTOCOL'
  /** A text message or close reason was not valid UTF-8 (close 1007). */
  | 'WEFT_WS_INVALID_UTF8'
  /** Compressed data that does not inflate (close 1007). */
  | 'WEFT_WS_INVALID_PAYLOAD'
  /** A message exceeded a size or frame-count limit (close 1009). */
  | 'WEFT_WS_TOO_BIG'
  /** The connection is closing or closed: no more sending or reading. */
  | 'WEFT_WS_CLOSED'
  /** The connection ended before the message being read was complete. */
  | 'WEFT_WS_ABORTED'
  /** `recv()` and `receive()`/`for await` were mixed on one connection. */
  | 'WEFT_WS_MODE'
  /** The peer did not answer a heartbeat ping in time, or left too many ping() calls unanswered. */
  | 'WEFT_WS_HEARTBEAT';

/**
 * A WebSocket failure with a stable `code` to match on, and the close code
 * it sends when it comes from the peer (1002, 1007, 1009).
 *
 * @example
 * try {
 *   await ws.send(data);
 * } catch (err) {
 *   if (!(err instanceof WSError && err.code === 'WEFT_WS_CLOSED')) throw err; // closing: nothing to do
 * }
 */
export class WSError extends Error {
  readonly code: WSErrorCode;
  /** The close code this error sends to the peer (0 when none applies). */
  readonly closeCode: number;
  constructor(code: WSErrorCode, message: string, closeCode = 0) {
    super(message);
    this.name = 'WSError';
    this.code = code;
    this.closeCode = closeCode;
  }
}

export const protocolError = (message: string): WSError => new WSError('WEFT_WS_PROTOCOL', message, 1002);
export const invalidUtf8 = (message: string): WSError => new WSError('WEFT_WS_INVALID_UTF8', message, 1007);
export const invalidPayload = (message: string): WSError => new WSError('WEFT_WS_INVALID_PAYLOAD', message, 1007);
export const tooBig = (message: string): WSError => new WSError('WEFT_WS_TOO_BIG', message, 1009);
/** The connection is closing or closed; `cause`, when given, is the socket's failure that closed it. */
export function wsClosed(cause?: unknown): WSError {
  const err = new WSError('WEFT_WS_CLOSED', 'websocket closed');
  if (cause !== undefined) err.cause = cause;
  return err;
}
