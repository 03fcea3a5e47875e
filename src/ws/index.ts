/**
 * WebSocket (RFC 6455) with permessage-deflate (RFC 7692): the handshake as
 * an HTTP handler, frames, messages whole or streamed, closing, heartbeats.
 */
export { websocket, acceptWebSocket, type WSApp, type WebSocketOptions } from './accept.js';
export { acceptHandshake, acceptKey, type Handshake, type HandshakeOptions } from './handshake.js';
export {
  WSConn,
  openWebSocket,
  type Agreement,
  type CloseInfo,
  type WSOptions,
  type TopicRegistry,
} from './websocket.js';
export type { WSSource } from './sender.js';
export type { WSMessage, WSMsg } from './messages.js';
export type { DeflateOptions, DeflateParams } from './permessage-deflate.js';
export { liveZlibStreams } from './deflate.js';
export { WSError, type WSErrorCode } from './errors.js';
export {
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_FRAMES_PER_MESSAGE,
  FRAME_OVERHEAD,
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_HEARTBEAT_INTERVAL,
  DEFAULT_RECEIVE_BUFFER_SIZE,
  DEFAULT_STREAM_BUFFER_SIZE,
  DEFAULT_WRITE_BUFFER_SIZE,
  DEFAULT_DEFLATE_THRESHOLD,
  DEFAULT_ZLIB_CONCURRENCY,
} from './constants.js';
