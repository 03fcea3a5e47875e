/**
 * weft: an HTTP/1.1 and WebSocket server on raw sockets, with no runtime
 * dependencies. This module is the package's public surface.
 */
export * from './net/index.js';
export * from './http/index.js';
export * from './app/index.js';
