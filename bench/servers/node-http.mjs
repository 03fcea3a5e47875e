/**
 * The competitor of bench/http.mjs: node:http answering every request with a
 * 13-byte "Hello, World!". Listens on 127.0.0.1:$PORT (default: any port).
 *
 *   PORT=8080 node bench/servers/node-http.mjs
 */
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 13 });
  res.end('Hello, World!');
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log('listening on 127.0.0.1:' + server.address().port);
});
