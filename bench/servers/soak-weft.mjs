/**
 * weft's side of bench/soak.mjs: the built package's createServer with the
 * demo `echo` handler (dist/app/demo.js) on POST /echo, a response that never
 * ends on GET /hold (a "." every second: a connection busy with a request,
 * which no defence should close), and a 6-byte "hello\n" on anything else. SOAK_OPTIONS (JSON) goes to createServer as its options
 * (maxConnections, idleTimeout, ...); SIGUSR2 writes the stats to $SOAK_STATS
 * (soak-stats.mjs). Listens on 127.0.0.1, any port.
 *
 *   SOAK_OPTIONS='{"maxConnections":50}' SOAK_STATS=/tmp/s.json node --expose-gc bench/servers/soak-weft.mjs
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { bodyFromBuffer, bodyFromGenerator, createServer } from '../../dist/index.js';
import { echo } from '../../dist/app/demo.js';
import { reportStatsOnSignal, soakOptions } from './soak-stats.mjs';

const HELLO = Buffer.from('hello\n');

async function* endless() {
  for (;;) {
    yield '.';
    await sleep(1000);
  }
}

const server = createServer((req, body) => {
  if (req.method === 'POST' && req.path === '/echo') return echo(req, body);
  if (req.path === '/hold') return { code: 200, headers: { 'content-type': 'text/plain' }, body: bodyFromGenerator(endless()) };
  return { code: 200, headers: { 'content-type': 'text/plain' }, body: bodyFromBuffer(HELLO) };
}, soakOptions());
await server.listen({ port: 0, host: '127.0.0.1' });
reportStatsOnSignal(() => ({ connections: server.connections, queued: server.queued }));
console.log('listening on 127.0.0.1:' + server.port);
