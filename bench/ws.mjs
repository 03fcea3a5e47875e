/**
 * WebSocket echo: weft's `websocket()` handler (bench/servers/ws-weft.mjs,
 * built dist/) against the `ws` package (bench/servers/ws-ws.mjs), both
 * without permessage-deflate, driven by the same raw-`net` load generator
 * (bench/clients/ws-load.mjs) on the load core:
 *
 * - small: 32-byte text messages, 50 connections × 64 in flight (target
 *   ≥ 1.2× ws): the cost per message of parsing, delivering and framing;
 * - large: 64 KiB binary messages, 16 connections × 1 in flight (target
 *   ≥ 1.0× ws): the cost per byte of reading, unmasking and writing.
 *
 *   npm run build && node bench/ws.mjs [--quick] [--runs 3] [--duration 10]
 *     [--warmup 2] [--quiet-wait 30] [--redo 2] [--scenario small|large]
 *     [--connections 50] [--batch 64] [--size 32]
 *     [--large-connections 16] [--large-batch 1] [--large-size 65536]
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { runComparison } from './lib/compare.mjs';
import { nodeClientLoad } from './lib/load.mjs';
import { COMMON_FLAGS, integerFlag, parseBenchOptions } from './lib/options.mjs';
import { BENCH_DIR, REPO_ROOT, builtWeftProblem, fail } from './lib/paths.mjs';
import { formatNumber } from './lib/report.mjs';
import { summarize } from './lib/stats.mjs';

const USAGE = `usage: node bench/ws.mjs [options]
  ${COMMON_FLAGS}
  [--scenario small|large (both)]
  small (text):   [--connections C (50)] [--batch B (64)] [--size BYTES (32)]
  large (binary): [--large-connections C (16)] [--large-batch B (1)] [--large-size BYTES (65536)]`;

const options = parseBenchOptions({
  usage: USAGE,
  extra: {
    scenario: { type: 'string' },
    connections: { type: 'string', default: '50' },
    batch: { type: 'string', default: '64' },
    size: { type: 'string', default: '32' },
    'large-connections': { type: 'string', default: '16' },
    'large-batch': { type: 'string', default: '1' },
    'large-size': { type: 'string', default: '65536' },
  },
});
const only = options.values.scenario;
if (only !== undefined && only !== 'small' && only !== 'large') fail('--scenario must be small or large');
const small = {
  connections: integerFlag(options.values, 'connections', 1, USAGE),
  batch: integerFlag(options.values, 'batch', 1, USAGE),
  size: integerFlag(options.values, 'size', 1, USAGE),
  type: 'text',
};
const large = {
  connections: integerFlag(options.values, 'large-connections', 1, USAGE),
  batch: integerFlag(options.values, 'large-batch', 1, USAGE),
  size: integerFlag(options.values, 'large-size', 1, USAGE),
  type: 'binary',
};


const problem = await builtWeftProblem(['createServer', 'websocket']);
if (problem !== null) fail(problem);
try {
  createRequire(join(REPO_ROOT, 'package.json')).resolve('ws');
} catch {
  fail('the `ws` package is not installed; run `npm install` (it is a devDependency)');
}

const CLIENT = join(BENCH_DIR, 'clients', 'ws-load.mjs');

/** "32 B", "64 KiB" */
function bytes(n) {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}

function scenario(shape, target) {
  return {
    name: `${bytes(shape.size)} ${shape.type}, ${shape.connections} conns × ${shape.batch} in flight`,
    measure: nodeClientLoad(
      CLIENT,
      [
        '--connections', String(shape.connections),
        '--batch', String(shape.batch),
        '--size', String(shape.size),
        '--type', shape.type,
      ],
      'messagesPerSec',
    ),
    targets: { ws: target },
  };
}

const scenarios = [];
if (only === undefined || only === 'small') scenarios.push(scenario(small, 1.2));
if (only === undefined || only === 'large') scenarios.push(scenario(large, 1.0));

const report = await runComparison({
  name: 'ws',
  title: "weft's WebSocket echo vs the ws package, permessage-deflate off",
  unit: 'msg/s',
  servers: [
    { name: 'weft', spec: { command: [process.execPath, join(BENCH_DIR, 'servers', 'ws-weft.mjs'), '--port', '0'] } },
    { name: 'ws', spec: { command: [process.execPath, join(BENCH_DIR, 'servers', 'ws-ws.mjs'), '--port', '0'] } },
  ],
  scenarios,
  options,
  settings: { small: only === 'large' ? null : small, large: only === 'small' ? null : large },
});

// The same medians as payload throughput, which says more for large messages.
console.log('');
console.log('payload echoed, one way (MB/s = 10^6 bytes/s, medians):');
for (const s of report.scenarios) {
  const cells = s.servers.map((server) => {
    const median = summarize(server.runs.map((r) => r.details.megabytesPerSec)).median;
    return `${server.name} ${median === null ? '-' : formatNumber(median)}`;
  });
  console.log(`  ${s.name}: ${cells.join(', ')}`);
}
