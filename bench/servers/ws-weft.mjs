/**
 * weft's side of bench/ws.mjs: the built package (dist/, `npm run build`)
 * echoing every WebSocket message, in the idiomatic shape of weft's API: one
 * task per connection, `for await` over whole messages, `await ws.send()`.
 * Text comes back as text, binary as binary. permessage-deflate stays off
 * (weft's default), as in the `ws` server.
 *
 *   node bench/servers/ws-weft.mjs [--port 0] [--host 127.0.0.1]
 */
import { parseArgs } from 'node:util';
import { createServer, websocket } from '../../dist/index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

const server = createServer(
  websocket(async (ws) => {
    for await (const m of ws) await ws.send(m.data);
  }),
);
await server.listen({ port: Number(values.port), host: values.host });
console.log(`listening on ${values.host}:${server.port}`);
