/**
 * The competitor of bench/ws.mjs: a WebSocket echo with the `ws` package
 * (devDependency), written the way its README does it: a WebSocketServer, and
 * on every 'message' a `send` of the same data with the same type.
 * permessage-deflate is off, as in weft's server.
 *
 * `ws` runs as `npm install ws` leaves it: without its optional native
 * addons (bufferutil, utf-8-validate), which are not installed here. On
 * Node 20 it then unmasks payloads with a JavaScript loop and validates UTF-8
 * with `buffer.isUtf8`.
 *
 *   node bench/servers/ws-ws.mjs [--port 0] [--host 127.0.0.1]
 */
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

const wss = new WebSocketServer({ port: Number(values.port), host: values.host, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on('listening', () => console.log(`listening on ${values.host}:${wss.address().port}`));
