/**
 * Compressed static files: a 1 MiB compressible text file sent gzip-coded by
 * weft's serveStatic three ways, against node:http piping
 * fs.createReadStream through zlib.createGzip() (bench/servers/static-node.mjs
 * with GZIP=1), which compresses on every request. wrk -t1 keep-alive with
 * `Accept-Encoding: gzip`; the servers pinned to one core (zlib's thread
 * pool included). Scenarios, by URL:
 *
 * - /stream/data.txt: compressed on the fly as it is read (weft's cache off):
 *   the same work as node's, so the ratio is the cost of the plumbing;
 * - /cached/data.txt: compressed once, then served from the memory cache;
 * - /sidecar/data.txt: data.txt.gz (gzip -9, made "at build time") beside it.
 *
 *   npm run build && node bench/compress.mjs [--quick] [--runs 3] [--duration 10]
 *     [--warmup 2] [--quiet-wait 30] [--redo 2] [--connections 10]
 *     [--scenario stream|cached|sidecar]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runComparison } from './lib/compare.mjs';
import { COMMON_FLAGS, integerFlag, parseBenchOptions } from './lib/options.mjs';
import { fail, requireCommand } from './lib/paths.mjs';
import { checkedWrkLoad } from './lib/wrk.mjs';
import { benchDir, nodeStaticServer, requireWeftStatic, weftStaticServer } from './static-support.mjs';

const USAGE = `usage: node bench/compress.mjs [options]
  ${COMMON_FLAGS}
  [--connections C (10)] [--scenario stream|cached|sidecar (all)]`;

const SCENARIOS = ['stream', 'cached', 'sidecar'];
const options = parseBenchOptions({
  usage: USAGE,
  extra: {
    connections: { type: 'string', default: '10' },
    scenario: { type: 'string' },
  },
});
const connections = integerFlag(options.values, 'connections', 1, USAGE);
const only = options.values.scenario;
if (only !== undefined && !SCENARIOS.includes(only)) fail(`--scenario must be one of ${SCENARIOS.join(', ')}`);
requireCommand('wrk', 'install it with `apt-get install -y wrk`');
await requireWeftStatic();

/**
 * 1 MiB of JSON-ish lines, deterministic, with enough variety that gzip -6
 * gets about 4:1, like real text assets rather than a repeated string.
 */
function compressibleText(size) {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0);
  const lines = [];
  let length = 0;
  while (length < size) {
    const line = `{"id":${next() % 100000},"name":"${words[next() % words.length]}-${words[next() % words.length]}","score":${(next() % 10000) / 100},"tags":["${words[next() % words.length]}"]}\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, size);
}

const root = benchDir('weft-bench-compress-');
const DATA = compressibleText(1024 * 1024);
for (const dir of SCENARIOS) {
  mkdirSync(join(root, dir));
  writeFileSync(join(root, dir, 'data.txt'), DATA);
}
const SIDECAR = gzipSync(DATA, { level: 9 });
writeFileSync(join(root, 'sidecar', 'data.txt.gz'), SIDECAR);

const servers = [
  {
    name: 'weft',
    spec: weftStaticServer([
      { prefix: '/stream', root: join(root, 'stream'), options: { cache: false, precompressed: false } },
      { prefix: '/cached', root: join(root, 'cached'), options: { precompressed: false } },
      { prefix: '/sidecar', root: join(root, 'sidecar'), options: {} },
    ]),
  },
  { name: 'node:http+gzip', spec: nodeStaticServer(root, { gzip: true }) },
];

/** Throws unless `path` comes back gzip-coded and decodes to the file. */
async function verifyGzip(port, path) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'accept-encoding': 'gzip' } });
  const body = Buffer.from(await res.arrayBuffer()); // fetch decodes it
  if (res.status !== 200) throw new Error(`${path}: status ${res.status}`);
  if (res.headers.get('content-encoding') !== 'gzip') throw new Error(`${path}: Content-Encoding ${res.headers.get('content-encoding')}`);
  if (!body.equals(DATA)) throw new Error(`${path}: the body does not decode to the file`);
}

const scenarios = [
  ['stream', 'gzip on the fly'],
  ['cached', 'gzip once, cached'],
  ['sidecar', 'sidecar data.txt.gz'],
]
  .filter(([key]) => only === undefined || key === only)
  .map(([key, label]) => {
    const path = `/${key}/data.txt`;
    return {
      name: `${label}, ${connections} conns`,
      measure: checkedWrkLoad({ connections, path, headers: ['Accept-Encoding: gzip'] }),
      verify: (port) => verifyGzip(port, path),
    };
  });

await runComparison({
  name: 'compress',
  title: `weft serveStatic gzip vs node:http + createReadStream | createGzip, 1 MiB text (gzip -6 on the fly: ${gzipSync(DATA).length} B; sidecar -9: ${SIDECAR.length} B), wrk -t1`,
  unit: 'req/s',
  servers,
  scenarios,
  options,
  settings: { connections, wrkThreads: 1, fileBytes: DATA.length, sidecarBytes: SIDECAR.length },
});
