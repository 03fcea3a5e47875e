/**
 * weft's side of bench/soak.mjs: the built package's createServer with the
 * demo `echo` handler (dist/app/demo.js) on POST /echo and a 6-byte "hello\n"
 * on anything else. SOAK_OPTIONS (JSON) goes to createServer as its options
 * (maxConnections, idleTimeout, ...); SIGUSR2 writes the stats to $SOAK_STATS
 * (soak-stats.mjs). Listens on 127.0.0.1, any port.
 *
 *   SOAK_OPTIONS='{"maxConnections":50}' SOAK_STATS=/tmp/s.json node --expose-gc bench/servers/soak-weft.mjs
 */
import { bodyFromBuffer, createServer } from '../../dist/index.js';
import { echo } from '../../dist/app/demo.js';
import { reportStatsOnSignal, soakOptions } from './soak-stats.mjs';

const HELLO = Buffer.from('hello\n');

const server = createServer(
  (req, body) =>
    req.method === 'POST' && req.path === '/echo'
      ? echo(req, body)
      : { code: 200, headers: { 'content-type': 'text/plain' }, body: bodyFromBuffer(HELLO) },
  soakOptions(),
);
await server.listen({ port: 0, host: '127.0.0.1' });
reportStatsOnSignal(() => ({ connections: server.connections, queued: server.queued }));
console.log('listening on 127.0.0.1:' + server.port);
