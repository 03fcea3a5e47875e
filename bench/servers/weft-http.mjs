/**
 * weft's side of bench/http.mjs: the built package (dist/, `npm run build`)
 * answering every request with a 13-byte "Hello, World!", the body bytes
 * allocated once. Listens on 127.0.0.1:$PORT (default: any port).
 *
 *   PORT=8080 node bench/servers/weft-http.mjs
 */
import { bodyFromBuffer, createServer } from '../../dist/index.js';

const HELLO = Buffer.from('Hello, World!');

const server = createServer(() => ({
  code: 200,
  headers: { 'content-type': 'text/plain' },
  body: bodyFromBuffer(HELLO),
}));
await server.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
console.log('listening on 127.0.0.1:' + server.port);
