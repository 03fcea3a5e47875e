/**
 * Pub/sub fan-out across two servers on one Redis: weft's hub on its Redis
 * bus (bench/servers/pubsub-weft.mjs) against socket.io with
 * @socket.io/redis-adapter (bench/servers/pubsub-socketio.mjs). Each run
 * starts a fresh Redis and two servers of one kind, all pinned to the server
 * CPU (bench/servers/pubsub-pair.mjs); one load generator on the load CPU
 * (bench/clients/pubsub-load.mjs) holds --subscribers WebSocket subscribers
 * split over both servers and --publishers publishers on both sides.
 *
 * - saturated: each publisher keeps --window messages in flight (a message
 *   leaves flight when a subscriber on the other server has it), so the
 *   figure is how many messages a second the pair delivers at most;
 * - fixed rate: --rate messages a second in all, well below saturation, for
 *   latency and CPU per delivered message at an everyday load.
 *
 * Printed beside msg/s: p50/p99 publish-to-deliver latency, server CPU (both
 * servers) and Redis CPU per delivered message, and messages lost (what a
 * subscriber had not received DRAIN_MS after publishing stopped, or the
 * subscribers a server closed).
 *
 *   npm run build && node bench/pubsub.mjs [--quick] [--runs 3] [--duration 10]
 *     [--warmup 2] [--quiet-wait 30] [--redo 2] [--scenario saturated|rate]
 *     [--subscribers 1000] [--publishers 10] [--window 4] [--size 64] [--rate 50]
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { runComparison } from './lib/compare.mjs';
import { runLoad } from './lib/load.mjs';
import { COMMON_FLAGS, integerFlag, parseBenchOptions } from './lib/options.mjs';
import { BENCH_DIR, REPO_ROOT, builtWeftProblem, fail, requireCommand } from './lib/paths.mjs';
import { formatNumber } from './lib/report.mjs';
import { summarize } from './lib/stats.mjs';

const USAGE = `usage: node bench/pubsub.mjs [options]
  ${COMMON_FLAGS}
  [--scenario saturated|rate (both)] [--subscribers N (1000)] [--publishers N (10)]
  [--window N (4)] [--size BYTES (64)] [--rate MSG/S (50)]`;

const options = parseBenchOptions({
  usage: USAGE,
  extra: {
    scenario: { type: 'string' },
    subscribers: { type: 'string', default: '1000' },
    publishers: { type: 'string', default: '10' },
    window: { type: 'string', default: '4' },
    size: { type: 'string', default: '64' },
    rate: { type: 'string', default: '50' },
  },
});
const only = options.values.scenario;
if (only !== undefined && only !== 'saturated' && only !== 'rate') fail('--scenario must be saturated or rate');
const shape = {
  subscribers: integerFlag(options.values, 'subscribers', 2, USAGE),
  publishers: integerFlag(options.values, 'publishers', 2, USAGE),
  window: integerFlag(options.values, 'window', 1, USAGE),
  size: integerFlag(options.values, 'size', 32, USAGE),
  rate: integerFlag(options.values, 'rate', 1, USAGE),
};

requireCommand('redis-server', 'apt-get install -y redis-server');
const problem = await builtWeftProblem(['createServer', 'createHub', 'redisBus']);
if (problem !== null) fail(problem);
const require = createRequire(join(REPO_ROOT, 'package.json'));
for (const name of ['socket.io', '@socket.io/redis-adapter', 'redis']) {
  try {
    require.resolve(name);
  } catch {
    fail(`the \`${name}\` package is not installed; run \`npm install\` (it is a devDependency)`);
  }
}

const CLIENT = join(BENCH_DIR, 'clients', 'pubsub-load.mjs');
const PAIR = join(BENCH_DIR, 'servers', 'pubsub-pair.mjs');
const READY = /impl=(\w+) ports=(\d+),(\d+) pids=(\d+),(\d+) redis=(\d+)/;

/** Runs the load generator against the pair the harness started (its ready line says which kind, where). */
function measure(extra) {
  return async ({ durationS, readyLine }) => {
    const m = READY.exec(readyLine);
    if (m === null) throw new Error(`pubsub-pair printed no ports: ${readyLine}`);
    const impl = m[1];
    const argv = [process.execPath, CLIENT, '--impl', impl, '--ports', `${m[2]},${m[3]}`, '--server-pids', `${m[4]},${m[5]}`,
      '--redis-pid', m[6], '--duration', String(durationS), '--subscribers', String(shape.subscribers),
      '--publishers', String(shape.publishers), '--window', String(shape.window), '--size', String(shape.size), ...extra];
    // Connecting a thousand subscribers and draining take time of their own.
    const { stdout, cpu } = await runLoad(argv, durationS + 40);
    const line = stdout.split('\n').reverse().find((l) => l.startsWith('RESULT '));
    if (line === undefined) throw new Error(`pubsub-load printed no RESULT line:\n${stdout}`);
    const result = JSON.parse(line.slice('RESULT '.length));
    if (result.outOfOrder > 0) throw new Error(`${impl}: ${result.outOfOrder} messages out of order`);
    return { value: result.deliveredPerSec, loadCpu: cpu, details: result };
  };
}

const pair = (impl) => ({ command: [process.execPath, PAIR, '--impl', impl] });

const scenarios = [];
const fanout = `${shape.subscribers} subs on 2 servers, ${shape.publishers} pubs, ${shape.size} B`;
if (only === undefined || only === 'saturated') scenarios.push({ name: `${fanout}, window ${shape.window}`, measure: measure([]), targets: { 'socket.io': 1.0 } });
if (only === undefined || only === 'rate') scenarios.push({ name: `${fanout}, ${shape.rate} msg/s`, measure: measure(['--rate', String(shape.rate)]) });

const report = await runComparison({
  name: 'pubsub',
  title: "weft's hub on its Redis bus vs socket.io + @socket.io/redis-adapter, fan-out across two servers",
  unit: 'msg/s delivered',
  servers: [
    { name: 'weft', spec: pair('weft') },
    { name: 'socket.io', spec: pair('socketio') },
  ],
  scenarios,
  options,
  settings: shape,
});

console.log('');
console.log('per delivered message (medians over runs):');
const median = (runs, key) => summarize(runs.map((r) => r.details[key]).filter((v) => v !== null && v !== undefined)).median;
const cell = (v, digits = 2) => (v === null ? '-' : v.toFixed(digits));
for (const s of report.scenarios) {
  console.log(`  ${s.name}`);
  for (const server of s.servers) {
    const runs = server.runs;
    const lost = runs.map((r) => r.details.lost + r.details.closedSubscribers);
    console.log(
      `    ${server.name.padEnd(10)} p50 ${cell(median(runs, 'p50Ms'))} ms  p99 ${cell(median(runs, 'p99Ms'))} ms  ` +
        `server ${cell(median(runs, 'serverUsPerDelivery'), 3)} µs  redis ${cell(median(runs, 'redisUsPerDelivery'), 3)} µs  ` +
        `published ${formatNumber(median(runs, 'publishedPerSec') ?? 0)}/s  lost ${lost.join('/') || '-'}`,
    );
  }
  const [w, io] = s.servers;
  const cpuRatio = median(io.runs, 'serverUsPerDelivery') / median(w.runs, 'serverUsPerDelivery');
  if (Number.isFinite(cpuRatio)) console.log(`    server CPU per delivered message: socket.io ÷ weft = ${cpuRatio.toFixed(2)}×`);
}
