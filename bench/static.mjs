/**
 * Static files: weft's serveStatic (bench/servers/static-weft.mjs, built
 * dist/) against nginx (Debian package, sendfile on) and node:http piping
 * fs.createReadStream (bench/servers/static-node.mjs), all serving the same
 * files, wrk -t1 keep-alive on the load core:
 *
 * - 13 B file (/small/hello.txt): weft's small-file memory cache on;
 *   targets ≥ 1.5× node:http, ≥ 0.7× nginx;
 * - 1 MiB file (/large/1m.bin): weft's cache off, so every request opens,
 *   stats and reads the file like the others do; target ≥ 1.5× node:http.
 *
 * weft runs with compression: false and precompressed: false, as nginx runs
 * without gzip and gzip_static (wrk sends no Accept-Encoding anyway).
 *
 *   npm run build && node bench/static.mjs [--quick] [--runs 3] [--duration 10]
 *     [--warmup 2] [--quiet-wait 30] [--redo 2] [--connections 50]
 *     [--scenario small|large] [--tcp-nopush on|off]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runComparison } from './lib/compare.mjs';
import { checkPipelinedGets } from './lib/http-check.mjs';
import { nginxServer } from './lib/nginx.mjs';
import { COMMON_FLAGS, integerFlag, parseBenchOptions } from './lib/options.mjs';
import { fail, requireCommand } from './lib/paths.mjs';
import { freePort } from './lib/server.mjs';
import { checkedWrkLoad } from './lib/wrk.mjs';
import { benchDir, nodeStaticServer, requireWeftStatic, weftStaticServer } from './static-support.mjs';

const USAGE = `usage: node bench/static.mjs [options]
  ${COMMON_FLAGS}
  [--connections C (50)] [--scenario small|large (both)] [--tcp-nopush on|off (on)]`;

const options = parseBenchOptions({
  usage: USAGE,
  extra: {
    connections: { type: 'string', default: '50' },
    scenario: { type: 'string' },
    'tcp-nopush': { type: 'string', default: 'on' },
  },
});
const connections = integerFlag(options.values, 'connections', 1, USAGE);
const only = options.values.scenario;
if (only !== undefined && only !== 'small' && only !== 'large') fail('--scenario must be small or large');
const tcpNopush = options.values['tcp-nopush'] === 'on';
requireCommand('wrk', 'install it with `apt-get install -y wrk`');
requireCommand('nginx', 'install it with `apt-get install -y nginx`');
await requireWeftStatic();

// The files: the same tree for every server.
const root = benchDir('weft-bench-static-');
mkdirSync(join(root, 'small'));
mkdirSync(join(root, 'large'));
const HELLO = Buffer.from('Hello, World!');
const MIB = Buffer.alloc(1024 * 1024);
for (let i = 0; i < MIB.length; i++) MIB[i] = (i * 2654435761) >>> 24; // not all zeros, never compressed here anyway
writeFileSync(join(root, 'small', 'hello.txt'), HELLO);
writeFileSync(join(root, 'large', '1m.bin'), MIB);

const WEFT_OPTIONS = { compression: false, precompressed: false };
const servers = [
  {
    name: 'weft',
    spec: weftStaticServer([
      { prefix: '/small', root: join(root, 'small'), options: { ...WEFT_OPTIONS, cache: true } },
      { prefix: '/large', root: join(root, 'large'), options: { ...WEFT_OPTIONS, cache: false } },
    ]),
  },
  { name: 'node:http', spec: nodeStaticServer(root) },
  { name: 'nginx', spec: async () => nginxServer({ port: await freePort(), root, tcpNopush }) },
];

const scenarios = [
  {
    key: 'small',
    name: `13 B file, ${connections} conns`,
    measure: checkedWrkLoad({ connections, path: '/small/hello.txt' }),
    verify: (port) => checkPipelinedGets(port, { path: '/small/hello.txt', count: 3, body: HELLO }),
    targets: { 'node:http': 1.5, nginx: 0.7 },
  },
  {
    key: 'large',
    name: `1 MiB file, ${connections} conns`,
    measure: checkedWrkLoad({ connections, path: '/large/1m.bin' }),
    verify: (port) => checkPipelinedGets(port, { path: '/large/1m.bin', count: 3, body: MIB }),
    targets: { 'node:http': 1.5 },
  },
].filter((s) => only === undefined || s.key === only);

await runComparison({
  name: 'static',
  title: 'weft serveStatic vs node:http + fs.createReadStream vs nginx, wrk -t1 keep-alive',
  unit: 'req/s',
  servers,
  scenarios,
  options,
  settings: { connections, wrkThreads: 1, weft: WEFT_OPTIONS, nginx: { sendfile: true, tcpNopush } },
});
