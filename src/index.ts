/**
 * weft: an HTTP/1.1 and WebSocket server on raw sockets, with no runtime
 * dependencies. This module is the package's public surface: what most
 * applications need. Each layer's own index (src/<layer>/index.ts) has more.
 */
export * from './net/index.js';
export * from './http/index.js';
export * from './app/index.js';
export * from './sync/index.js';
export * from './kit/index.js';
export { serveStatic, type StaticOptions, type DotfilesPolicy } from './static/index.js';
export {
  withCompression,
  compressBody,
  negotiateEncoding,
  activeCompressors,
  type Coding,
  type CompressionOptions,
} from './compress/index.js';
export {
  websocket,
  acceptWebSocket,
  WSConn,
  WSError,
  type WSApp,
  type WebSocketOptions,
  type WSMessage,
  type WSMsg,
  type CloseInfo,
  type TopicRegistry,
} from './ws/index.js';
export * from './pubsub/index.js';
