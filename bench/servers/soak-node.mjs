/**
 * The node:http side of bench/soak.mjs: POST /echo is `req.pipe(res)` with
 * the headers weft's echo sends (the request's Content-Type, its
 * Content-Length when it had one, else chunked); GET /hold is a response
 * that never ends (a "." every second); anything else gets a 6-byte
 * "hello\n". SOAK_OPTIONS (JSON) may set `maxConnections` and
 * `keepAliveTimeout` (server properties) and `headersTimeout` and
 * `requestTimeout` (createServer options); unset ones keep node's defaults.
 * With `"graceful": true`, SIGTERM is `server.close()` and
 * `closeIdleConnections()`, and the process exits once the server has
 * closed. SIGUSR2 writes the stats to $SOAK_STATS (soak-stats.mjs).
 *
 *   SOAK_OPTIONS='{"maxConnections":3000}' node bench/servers/soak-node.mjs
 */
import { createServer } from 'node:http';
import { reportStatsOnSignal, soakOptions } from './soak-stats.mjs';

const HELLO = Buffer.from('hello\n');
const { maxConnections, keepAliveTimeout, headersTimeout, requestTimeout, graceful } = soakOptions();

const server = createServer(
  { ...(headersTimeout === undefined ? {} : { headersTimeout }), ...(requestTimeout === undefined ? {} : { requestTimeout }) },
  (req, res) => {
    if (req.method === 'POST' && req.url === '/echo') {
      const headers = { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' };
      if (req.headers['content-length'] !== undefined) headers['content-length'] = req.headers['content-length'];
      res.writeHead(200, headers);
      req.pipe(res);
      return;
    }
    if (req.url === '/hold') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('.'), 1000);
      res.on('close', () => clearInterval(timer));
      res.write('.');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': HELLO.length });
    res.end(HELLO);
  },
);
if (maxConnections !== undefined) server.maxConnections = maxConnections;
if (keepAliveTimeout !== undefined) server.keepAliveTimeout = keepAliveTimeout;
if (graceful) {
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}
reportStatsOnSignal(
  () => new Promise((resolve) => server.getConnections((err, connections) => resolve({ connections: err ? null : connections }))),
);
server.listen(0, '127.0.0.1', () => console.log('listening on 127.0.0.1:' + server.address().port));
