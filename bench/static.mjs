/**
 * Static files: weft's serveStatic (bench/servers/static-weft.mjs, built
 * dist/) against nginx (Debian package) and against weft's own dynamic
 * path, all serving the same tree, wrk -t1 on the load core. nginx runs as
 * Debian configures it for files (sendfile on, tcp_nopush on, no
 * open_file_cache), one worker, no access log (weft logs nothing either);
 * "nginx+ofc" adds `open_file_cache max=20000` (its best case).
 *
 * Scenarios (--scenario), each with its targets:
 * - small: a 13-byte file, weft with its defaults (memory cache on):
 *   ≥ 0.85× weft's dynamic "Hello, World!" (bench/servers/weft-http.mjs),
 *   ≥ 1.15× nginx; nginx+ofc and node:http + fs.createReadStream
 *   (bench/servers/static-node.mjs) for reference;
 * - pipelined: the same, 16 requests per write: ≥ 0.8× weft's dynamic path
 *   pipelined the same way;
 * - large: a 1 MiB file, weft's defaults (cached): ≥ 1.0× nginx;
 * - large-uncached: the same with weft's cache off (every request opens and
 *   reads the file): ≥ 0.75× nginx;
 * - tree: 10,000 files of 512 B - 4 KiB (about 23 MB) requested at random,
 *   weft's cacheMaxBytes 8 MiB (cache pressure): ≥ 1.0× nginx;
 * - compressed: a 4 KiB text file, cached, asked for with Accept-Encoding
 *   br and gzip (weft serves its compressed form, kept in the cache):
 *   each ≥ 0.85× the same file asked for without (identity).
 *
 *   npm run build && node bench/static.mjs [--quick] [--runs 3] [--duration 10]
 *     [--warmup 2] [--quiet-wait 30] [--redo 2] [--connections 50]
 *     [--scenario small|pipelined|large|large-uncached|tree|compressed] [--pipeline 16]
 */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { runComparison } from './lib/compare.mjs';
import { checkPipelinedGets } from './lib/http-check.mjs';
import { nginxServer } from './lib/nginx.mjs';
import { COMMON_FLAGS, integerFlag, parseBenchOptions } from './lib/options.mjs';
import { BENCH_DIR, fail, requireCommand } from './lib/paths.mjs';
import { freePort } from './lib/server.mjs';
import { checkedWrkLoad } from './lib/wrk.mjs';
import { benchDir, nodeStaticServer, requireWeftStatic, weftStaticServer } from './static-support.mjs';

const SCENARIOS = ['small', 'pipelined', 'large', 'large-uncached', 'tree', 'compressed'];
const USAGE = `usage: node bench/static.mjs [options]
  ${COMMON_FLAGS}
  [--connections C (50)] [--pipeline P (16)] [--scenario ${SCENARIOS.join('|')} (all)]`;

const options = parseBenchOptions({
  usage: USAGE,
  extra: {
    connections: { type: 'string', default: '50' },
    pipeline: { type: 'string', default: '16' },
    scenario: { type: 'string' },
  },
});
const connections = integerFlag(options.values, 'connections', 1, USAGE);
const pipeline = integerFlag(options.values, 'pipeline', 2, USAGE);
const only = options.values.scenario;
if (only !== undefined && !SCENARIOS.includes(only)) fail(`--scenario must be one of ${SCENARIOS.join(', ')}`);
requireCommand('wrk', 'install it with `apt-get install -y wrk`');
requireCommand('nginx', 'install it with `apt-get install -y nginx`');
await requireWeftStatic();

// The files: the same tree for every server, written more than a second ago
// as far as weft can tell (files modified within CACHE_SETTLE_MS are not cached).
const root = benchDir('weft-bench-static-');
const PAST = (Date.now() - 60_000) / 1000;
const write = (path, bytes) => {
  writeFileSync(join(root, path), bytes);
  utimesSync(join(root, path), PAST, PAST);
};
for (const dir of ['small', 'large', 'text', 'tree']) mkdirSync(join(root, dir));
const HELLO = Buffer.from('Hello, World!');
const MIB = Buffer.alloc(1024 * 1024);
for (let i = 0; i < MIB.length; i++) MIB[i] = (i * 2654435761) >>> 24; // not all zeros
write('small/hello.txt', HELLO);
write('large/1m.bin', MIB);
const TEXT = Buffer.from(
  Array.from({ length: 64 }, (_, i) => `<p>Line ${i} of a page that compresses well, as text does.</p>\n`).join(''),
).subarray(0, 4096);
write('text/page.txt', TEXT);
const TREE_DIRS = 100;
const TREE_FILES = 100;
let treeBytes = 0;
for (let d = 0; d < TREE_DIRS; d++) {
  mkdirSync(join(root, 'tree', String(d)));
  for (let f = 0; f < TREE_FILES; f++) {
    const size = 512 + ((d * TREE_FILES + f) * 2654435761) % 3585; // 512 B - 4 KiB
    treeBytes += size;
    write(`tree/${d}/${f}.txt`, Buffer.alloc(size, 97 + (f % 26)));
  }
}
const TREE_CACHE_BYTES = 8 * 1024 * 1024;

/** weft serving `dir` of the tree under /`dir` with `staticOptions` (serveStatic's; its defaults otherwise). */
const weft = (dir, staticOptions = {}) => weftStaticServer([{ prefix: `/${dir}`, root: join(root, dir), options: staticOptions }]);
const weftDynamic = { command: [process.execPath, join(BENCH_DIR, 'servers', 'weft-http.mjs')] };
const nginx = { name: 'nginx', spec: async () => nginxServer({ port: await freePort(), root }) };
const nginxOfc = {
  name: 'nginx+ofc',
  spec: async () => nginxServer({ port: await freePort(), root, name: 'nginx+ofc', extraHttp: 'open_file_cache max=20000 inactive=60s;' }),
};

const getsOf = (path, body, extra = {}) => (port) => checkPipelinedGets(port, { path, count: 3, body, ...extra });
const keepAlive = (path, extra = {}) => checkedWrkLoad({ connections, path, ...extra });
const piped = (path) => checkedWrkLoad({ connections, path, pipeline, timeoutsFatal: false });

const scenarios = [
  {
    key: 'small',
    name: `13 B file, ${connections} conns`,
    measure: keepAlive('/small/hello.txt'),
    verify: getsOf('/small/hello.txt', HELLO),
    servers: [
      { name: 'weft', spec: weft('small') },
      { name: 'weft dynamic', spec: weftDynamic, measure: keepAlive('/'), verify: getsOf('/', HELLO) },
      nginx,
      nginxOfc,
      { name: 'node:http', spec: nodeStaticServer(root) },
    ],
    targets: { 'weft dynamic': 0.85, nginx: 1.15 },
  },
  {
    key: 'pipelined',
    name: `13 B file, ×${pipeline} pipelined, ${connections} conns`,
    measure: piped('/small/hello.txt'),
    verify: getsOf('/small/hello.txt', HELLO),
    servers: [
      { name: 'weft', spec: weft('small') },
      { name: 'weft dynamic', spec: weftDynamic, measure: piped('/'), verify: getsOf('/', HELLO) },
      nginx,
    ],
    targets: { 'weft dynamic': 0.8 },
  },
  {
    key: 'large',
    name: `1 MiB file (weft: cached), ${connections} conns`,
    measure: keepAlive('/large/1m.bin'),
    verify: getsOf('/large/1m.bin', MIB),
    servers: [{ name: 'weft', spec: weft('large') }, nginx],
    targets: { nginx: 1.0 },
  },
  {
    key: 'large-uncached',
    name: `1 MiB file (weft: cache off), ${connections} conns`,
    measure: keepAlive('/large/1m.bin'),
    verify: getsOf('/large/1m.bin', MIB),
    servers: [{ name: 'weft', spec: weft('large', { cache: false }) }, nginx],
    targets: { nginx: 0.75 },
  },
  {
    key: 'tree',
    name: `10,000 files at random (weft: ${TREE_CACHE_BYTES / 1048576} MiB cache), ${connections} conns`,
    measure: keepAlive('/', { script: { path: join(BENCH_DIR, 'clients', 'wrk-random-path.lua'), args: ['tree', String(TREE_DIRS), String(TREE_FILES)] } }),
    verify: getsOf('/tree/7/42.txt', Buffer.alloc(512 + ((7 * TREE_FILES + 42) * 2654435761) % 3585, 97 + (42 % 26))),
    servers: [{ name: 'weft', spec: weft('tree', { cacheMaxBytes: TREE_CACHE_BYTES }) }, nginx, nginxOfc],
    targets: { nginx: 1.0 },
  },
  {
    key: 'compressed',
    name: `4 KiB text, cached, ${connections} conns`,
    measure: keepAlive('/text/page.txt'),
    verify: getsOf('/text/page.txt', TEXT),
    servers: [
      { name: 'weft identity', spec: weft('text') },
      {
        name: 'weft br',
        spec: weft('text'),
        measure: keepAlive('/text/page.txt', { headers: ['Accept-Encoding: br'] }),
        verify: getsOf('/text/page.txt', TEXT, { headers: ['Accept-Encoding: br'], decode: brotliDecompressSync }),
      },
      {
        name: 'weft gzip',
        spec: weft('text'),
        measure: keepAlive('/text/page.txt', { headers: ['Accept-Encoding: gzip'] }),
        verify: getsOf('/text/page.txt', TEXT, { headers: ['Accept-Encoding: gzip'], decode: gunzipSync }),
      },
    ],
    ratios: [
      { subject: 'weft br', competitor: 'weft identity', target: 0.85 },
      { subject: 'weft gzip', competitor: 'weft identity', target: 0.85 },
    ],
  },
].filter((s) => only === undefined || s.key === only);

await runComparison({
  name: 'static',
  title: "weft serveStatic vs nginx (Debian's file settings) and weft's dynamic path, wrk -t1",
  unit: 'req/s',
  servers: [],
  scenarios,
  options,
  settings: {
    connections,
    pipeline,
    wrkThreads: 1,
    nginx: { sendfile: true, tcpNopush: true, openFileCache: 'nginx+ofc only', accessLog: false, workers: 1 },
    tree: { files: TREE_DIRS * TREE_FILES, bytes: treeBytes, weftCacheMaxBytes: TREE_CACHE_BYTES },
  },
});
