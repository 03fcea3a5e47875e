/**
 * The WebSocket entry points for an HTTP handler: `websocket(app)` is a
 * Handler that accepts every request as a WebSocket running `app`;
 * `acceptWebSocket(req, app)` does the same for one request, so a handler can
 * route, authenticate or choose options first.
 *
 * Both check the handshake (throwing HTTPError 400/403/405/426), and return
 * the 101 response whose `upgrade` runs the application on the connection.
 * From then on the WebSocket owns the connection: when the application
 * returns it is closed with 1000, when it throws with 1011, and `upgrade`
 * resolves only once the TCP connection is closed.
 */
import type { Handler, HTTPReq, HTTPRes } from '../http/types.js';
import type { Conn } from '../net/conn.js';
import type { DynBuf } from '../net/dynbuf.js';
import { CLOSE_INTERNAL_ERROR } from './constants.js';
import { WSError } from './errors.js';
import { acceptHandshake, type HandshakeOptions } from './handshake.js';
import { validateDeflateOptions } from './permessage-deflate.js';
import { openWebSocket, type WSConn, type WSOptions } from './websocket.js';

/** The application: runs for the life of one WebSocket. */
export type WSApp = (ws: WSConn, req: HTTPReq) => Promise<void> | void;

/**
 * Options of websocket() and acceptWebSocket(): the handshake's
 * (subprotocols, origins, permessage-deflate) and the connection's (limits,
 * timeouts, a pub/sub hub as `topics`), each with its default where it is
 * declared.
 *
 * @example
 * websocket(chat, { maxMessageSize: 64 * 1024, heartbeatInterval: 30_000, topics: hub });
 */
export type WebSocketOptions = HandshakeOptions &
  WSOptions & {
    /**
     * Called with what the application threw (the connection is then closed
     * with 1011). Default: console.error.
     */
    onError?: (err: unknown, ws: WSConn) => void;
  };

const noop = (): void => {};

/**
 * Accepts `req` as a WebSocket running `app`, or throws the HTTPError the
 * client should get.
 *
 * @example
 * const handler: Handler = (req) =>
 *   req.path === '/chat' ? acceptWebSocket(req, chat, { selectProtocol: (p) => (p.includes('v1') ? 'v1' : null) }) : notFound();
 */
export function acceptWebSocket(req: HTTPReq, app: WSApp, options: WebSocketOptions = {}): HTTPRes {
  const pmd = options.perMessageDeflate;
  if (typeof pmd === 'object') validateDeflateOptions(pmd);
  const hs = acceptHandshake(req, options);
  const agreement = {
    protocol: hs.protocol,
    extensions: hs.extensions,
    deflate: hs.deflate,
    deflateOptions: typeof pmd === 'object' ? pmd : undefined,
  };
  return {
    code: 101,
    headers: hs.headers,
    upgrade: (conn: Conn, rest: DynBuf, shutdown?: AbortSignal) =>
      runApp(openWebSocket(conn, rest, agreement, options, req, shutdown), app, req, options),
  };
}

/**
 * A Handler that accepts every request as a WebSocket running `app`.
 *
 * @example
 * const echo = websocket(async (ws) => {
 *   for await (const msg of ws) await ws.send(msg.data);
 * });
 */
export function websocket(app: WSApp, options: WebSocketOptions = {}): Handler {
  if (typeof options.perMessageDeflate === 'object') validateDeflateOptions(options.perMessageDeflate);
  return (req) => acceptWebSocket(req, app, options);
}

async function runApp(ws: WSConn, app: WSApp, req: HTTPReq, options: WebSocketOptions): Promise<void> {
  try {
    await app(ws, req);
    if (!ws.isClosing) ws.close().then(undefined, noop);
  } catch (err) {
    // A send that failed because the connection is closing, or a read that
    // failed because the peer broke the protocol or vanished, is how an
    // application usually learns of it: the peer's doing, not a bug to report.
    if (!(err instanceof WSError && err.code !== 'WEFT_WS_MODE')) (options.onError ?? console.error)(err, ws);
    ws.close(CLOSE_INTERNAL_ERROR).then(undefined, noop);
  }
  await ws.closed;
}
