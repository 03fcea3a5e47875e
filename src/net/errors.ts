/**
 * Errors raised by the connection layer. Each carries a stable `code` so that
 * callers and tests match on codes, never on message text.
 */

export type NetErrorCode =
  | 'WEFT_CONN_CLOSED'
  | 'WEFT_CONCURRENT_READ'
  | 'WEFT_LISTENER_CLOSED'
  | 'WEFT_MESSAGE_TOO_LONG'
  | 'WEFT_DIAL_TIMEOUT'
  | 'WEFT_DIAL_ABORTED';

export class NetError extends Error {
  readonly code: NetErrorCode;
  constructor(code: NetErrorCode, message: string) {
    super(message);
    this.name = 'NetError';
    this.code = code;
  }
}

/** Read or write on a connection that was closed (by us, or reset by the peer). */
export const connClosed = (): NetError => new NetError('WEFT_CONN_CLOSED', 'connection closed');

/** A message did not end within the allowed length (`DynBuf.cut`). */
export class MessageTooLongError extends NetError {
  readonly limit: number;
  constructor(limit: number) {
    super('WEFT_MESSAGE_TOO_LONG', `message longer than ${limit} bytes`);
    this.name = 'MessageTooLongError';
    this.limit = limit;
  }
}
