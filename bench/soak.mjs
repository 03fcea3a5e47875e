/**
 * Reliability soak: weft against node:http, in the same run, under what a
 * hostile or careless client does (issue 10). One table, one row per
 * measurement:
 *
 * - echo: the server's peak RSS (VmHWM) while 1 GiB goes through POST /echo
 *   and comes back, Content-Length and chunked (target: weft < 100 MB);
 * - idle: RSS per idle keep-alive connection with 10,000 open (≤ 8 KiB);
 * - flood: a fresh client's success rate and latency while 2,000 slow-header
 *   and 2,000 slow-body connections are held, both servers limited to 3,000
 *   connections (100 %);
 * - reset: connection slots left taken after 100,000 connections reset while
 *   queued behind a full server (0, and a probe answered afterwards);
 * - shutdown: requests lost at SIGTERM under keep-alive load, weft as one
 *   process and with --workers 2 (0).
 *
 * Servers run pinned to CPU 0 (bench/servers/soak-*.mjs, and weft's command
 * for shutdown), clients to CPU 1 (bench/clients/soak-*.mjs). Every phase is
 * bounded in time. Run it alone: `flock /work/wt/bench.lock npm run bench:soak`.
 *
 *   npm run build && node bench/soak.mjs [--quick] [--runs 3] [--quiet-wait 30]
 *     [--only echo,idle,flood,reset,shutdown]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startHeldClient } from './lib/held-client.mjs';
import { runLoad } from './lib/load.mjs';
import { BENCH_DIR, REPO_ROOT, builtWeftProblem, fail, requireBuilt } from './lib/paths.mjs';
import { LOAD_CPU, SERVER_CPU, canPin, pinningSummary } from './lib/pinning.mjs';
import { waitForQuiet } from './lib/quiet.mjs';
import { environment, formatTable, writeJsonReport } from './lib/report.mjs';
import { startServer } from './lib/server.mjs';
import { summarize } from './lib/stats.mjs';

const MEASUREMENTS = ['echo', 'idle', 'flood', 'reset', 'shutdown'];
const USAGE = `usage: node bench/soak.mjs [--quick] [--runs N (3)] [--quiet-wait S (30)] [--only ${MEASUREMENTS.join(',')}]
  --quick       smoke run: 1 run, small sizes (64 MiB echo, 1,000 idle, 200 + 200 slow for 5 s, 5,000 resets), no quiet wait
  --runs N      runs per server and measurement, interleaved
  --quiet-wait  before each run, wait up to S seconds for the machine to be idle (0 skips)
  --only        a comma-separated subset of the measurements`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      'quiet-wait': { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  fail(`${error.message}\n\n${USAGE}`);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const quick = values.quick;
const runs = Number(values.runs ?? (quick ? 1 : 3));
const quietWaitS = Number(values['quiet-wait'] ?? (quick ? 0 : 30));
const only = values.only?.split(',') ?? MEASUREMENTS;
if (!Number.isInteger(runs) || runs < 1 || !(quietWaitS >= 0)) fail(`bad --runs or --quiet-wait\n\n${USAGE}`);
const unknown = only.filter((m) => !MEASUREMENTS.includes(m));
if (unknown.length > 0) fail(`unknown measurement ${unknown.join(', ')}\n\n${USAGE}`);
const problem = await builtWeftProblem(['createServer', 'bodyFromBuffer']);
if (problem !== null) fail(problem);
requireBuilt('dist/app/demo.js');
requireBuilt('dist/cli.js');

/** The sizes of the full run; --quick shrinks them to a smoke test. */
const SIZE = quick
  ? { echoBytes: 64 * 2 ** 20, idle: 1_000, slowHeaders: 200, slowBodies: 200, floodLimit: 300, floodS: 5, resets: 5_000 }
  : { echoBytes: 2 ** 30, idle: 10_000, slowHeaders: 2_000, slowBodies: 2_000, floodLimit: 3_000, floodS: 30, resets: 100_000 };
/** Slow attackers send a header line or a body byte this often (ms), and reconnect this long after a cut (ms). */
const SLOW_INTERVAL_MS = 2_000;
const RECONNECT_DELAY_MS = 250;
/** The probe under a flood: one new connection this often (ms); a probe not answered within PROBE_TIMEOUT_MS fails. */
const PROBE_EVERY_MS = 100;
const PROBE_TIMEOUT_MS = 15_000;
/** Slots the queue-and-reset measurement holds (maxConnections), and the resets in flight at once. */
const RESET_SLOTS = 50;
const RESET_CONCURRENCY = 100;
/** Idle timeouts while connections are held on purpose: nothing may close during the measurement (ms). */
const HOLD_IDLE_MS = 600_000;
/** Time for the server to settle (finish closing, free buffers) before its memory or connections are read (ms). */
const SETTLE_MS = 2_000;
/** Shutdown load: connections, seconds of load, when SIGTERM is sent (s). */
const SHUTDOWN = { connections: 50, durationS: 4, signalAtS: 2 };

const KIB = 1024;
const MB = 1e6;

// ---------------------------------------------------------------- servers

const scratch = mkdtempSync(join(tmpdir(), 'weft-soak-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
const site = join(scratch, 'site');
mkdirSync(site);
writeFileSync(join(site, 'hello.txt'), 'hello\n');

let serverCount = 0;
const serverScript = (name) => join(BENCH_DIR, 'servers', name);
const weft = (options) => ({ script: serverScript('soak-weft.mjs'), options });
const nodeHttp = (options) => ({ script: serverScript('soak-node.mjs'), options });

/**
 * Starts a soak server (`{ script, options }` or `{ command }`) pinned to the
 * server CPU, with its stats file; `stats()` asks it for its connections and
 * memory (soak-stats.mjs).
 */
async function start(name, spec) {
  const statsPath = join(scratch, `stats-${++serverCount}.json`);
  const command = spec.command ?? [process.execPath, '--expose-gc', spec.script];
  const running = await startServer({
    name,
    command,
    env: { SOAK_OPTIONS: JSON.stringify(spec.options ?? {}), SOAK_STATS: statsPath },
  });
  running.stats = () => serverStats(running.pid, statsPath);
  return running;
}

/** SIGUSR2 to the server, then its stats file; throws when it does not answer within 10 s. */
async function serverStats(pid, path) {
  rmSync(path, { force: true });
  process.kill(pid, 'SIGUSR2');
  for (let waited = 0; waited < 10_000; waited += 20) {
    await sleep(20);
    try {
      return JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      // not written yet
    }
  }
  throw new Error(`server ${pid} wrote no stats within 10 s of SIGUSR2`);
}

/** Peak RSS of a process so far (bytes), from /proc/<pid>/status. */
function peakRssOf(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmHWM for ${pid}`);
  return Number(m[1]) * KIB;
}

/** Runs a client of bench/clients/ to completion on the load CPU (killed past `boundS` + 15 s); its RESULT object. */
async function runClient(name, args, boundS) {
  const script = join(BENCH_DIR, 'clients', name);
  const { stdout } = await runLoad([process.execPath, script, ...args.map(String)], boundS);
  const line = stdout.split('\n').findLast((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`${name} printed no RESULT line:\n${stdout}`);
  return JSON.parse(line.slice('RESULT '.length));
}

const heldClient = (name, args, readyTimeoutMs) =>
  startHeldClient(join(BENCH_DIR, 'clients', name), args.map(String), { readyTimeoutMs });

// ----------------------------------------------------------- measurements

/** Peak RSS of a fresh server while `SIZE.echoBytes` go through POST /echo and back. */
async function echoPeak(name, spec, framing) {
  const server = await start(name, spec);
  try {
    const result = await runClient('soak-echo.mjs', ['--port', server.port, '--size', SIZE.echoBytes, '--framing', framing], 120);
    return { value: peakRssOf(server.pid), seconds: result.seconds };
  } finally {
    await server.stop();
  }
}

/** (RSS with SIZE.idle idle keep-alive connections − RSS before) ÷ SIZE.idle, after a gc each time. */
async function idleRss(name, spec) {
  const server = await start(name, spec);
  let holders = null;
  try {
    // Warm up first: the first requests compile code and size pools once, not per connection.
    const warm = await heldClient('soak-hold.mjs', ['--port', server.port, '--connections', 500], 30_000);
    await warm.finish();
    await sleep(SETTLE_MS);
    const before = await server.stats();
    holders = await heldClient('soak-hold.mjs', ['--port', server.port, '--connections', SIZE.idle, '--hold-max', 300], 120_000);
    if (holders.ready.open !== SIZE.idle) throw new Error(`only ${holders.ready.open} of ${SIZE.idle} connections opened`);
    await sleep(SETTLE_MS);
    const after = await server.stats();
    const held = await holders.finish();
    holders = null;
    if (held.closedByServer > 0) throw new Error(`the server closed ${held.closedByServer} idle connections during the measurement`);
    if (after.connections !== SIZE.idle) throw new Error(`the server counts ${after.connections} connections, not ${SIZE.idle}`);
    return { value: (after.rss - before.rss) / SIZE.idle, before, after };
  } finally {
    await holders?.kill();
    await server.stop();
  }
}

/** A probe every PROBE_EVERY_MS for SIZE.floodS seconds while the slow attackers hold what they can. */
async function floodProbe(name, spec) {
  const server = await start(name, spec);
  let attack = null;
  try {
    attack = await heldClient(
      'soak-flood.mjs',
      ['--port', server.port, '--slow-headers', SIZE.slowHeaders, '--slow-bodies', SIZE.slowBodies, '--interval', SLOW_INTERVAL_MS,
        '--reconnect-delay', RECONNECT_DELAY_MS, '--max', SIZE.floodS + PROBE_TIMEOUT_MS / 1000 + 60],
      30_000,
    );
    const count = Math.round((SIZE.floodS * 1000) / PROBE_EVERY_MS);
    const probe = await runClient('soak-probe.mjs', ['--port', server.port, '--count', count, '--every', PROBE_EVERY_MS, '--timeout', PROBE_TIMEOUT_MS],
      SIZE.floodS + PROBE_TIMEOUT_MS / 1000);
    const attackResult = await attack.finish();
    attack = null;
    return { value: probe.ok / probe.probes, probe, attack: attackResult };
  } finally {
    await attack?.kill();
    await server.stop();
  }
}

/** Connections the server still counts after SIZE.resets queue-and-reset connections and the holders' release. */
async function resetLeak(name, spec) {
  const server = await start(name, spec);
  let holders = null;
  try {
    holders = await heldClient('soak-hold.mjs', ['--port', server.port, '--connections', RESET_SLOTS, '--concurrency', RESET_SLOTS], 30_000);
    if (holders.ready.open !== RESET_SLOTS) throw new Error(`only ${holders.ready.open} of ${RESET_SLOTS} holders connected`);
    const resets = await runClient('soak-reset.mjs', ['--port', server.port, '--count', SIZE.resets, '--concurrency', RESET_CONCURRENCY], 300);
    const full = await server.stats();
    await holders.finish();
    holders = null;
    let after = await server.stats();
    for (let waited = 0; waited < 10_000 && (after.connections > 0 || after.queued > 0); waited += 500) {
      await sleep(500);
      after = await server.stats();
    }
    const probe = await runClient('soak-probe.mjs', ['--port', server.port, '--count', 1, '--timeout', 5_000], 5);
    return { value: after.connections, queued: after.queued ?? null, probeAnswered: probe.ok === 1, resets, full, after };
  } finally {
    await holders?.kill();
    await server.stop();
  }
}

/** SHUTDOWN.connections keep-alive connections of sequential GETs; the client sends SIGTERM at SHUTDOWN.signalAtS. */
async function shutdownLoss(name, spec, { workers = false } = {}) {
  const server = await start(name, spec);
  try {
    if (workers) await sleep(1_000); // the primary is ready with its first worker; let the others listen too
    const load = await runClient(
      'soak-shutdown.mjs',
      ['--port', server.port, '--pid', server.pid, '--connections', SHUTDOWN.connections, '--duration', SHUTDOWN.durationS,
        '--signal-at', SHUTDOWN.signalAtS, '--path', '/hello.txt'],
      SHUTDOWN.durationS + 15,
    );
    if (!load.signalled) throw new Error('the load ended before it sent SIGTERM');
    const exit = await Promise.race([server.exited, sleep(15_000, null)]);
    return { value: load.before.lost, load, exit };
  } finally {
    await server.stop();
  }
}

// ------------------------------------------------------------- the runs

const weftCli = (...flags) => ({ command: [process.execPath, join(REPO_ROOT, 'dist', 'cli.js'), site, '--port', '0', '--log', 'off', ...flags] });
const limit = (n) => ({ maxConnections: n });

/**
 * Each measurement: its servers, run in turn `runs` times (weft, node:http,
 * weft, ...), and the table rows it makes of their results.
 */
const plan = [
  {
    key: 'echo',
    parts: [
      ['length', 'Content-Length'],
      ['chunked', 'chunked'],
    ].map(([framing, label]) => ({
      label,
      servers: {
        weft: () => echoPeak('weft', weft({}), framing),
        'node:http': () => echoPeak('node:http', nodeHttp({}), framing),
      },
      rows: (r) => [rssRow(`peak RSS, ${formatBytes(SIZE.echoBytes)} through POST /echo, ${label}`, r, 100 * MB)],
    })),
  },
  {
    key: 'idle',
    parts: [
      {
        servers: {
          weft: () => idleRss('weft', weft({ idleTimeout: HOLD_IDLE_MS, maxConnections: SIZE.idle + 1_000 })),
          'node:http': () => idleRss('node:http', nodeHttp({ keepAliveTimeout: HOLD_IDLE_MS })),
        },
        rows: (r) => [idleRow(r)],
      },
    ],
  },
  {
    key: 'flood',
    parts: [
      {
        servers: {
          weft: () => floodProbe('weft', weft(limit(SIZE.floodLimit))),
          'node:http': () => floodProbe('node:http', nodeHttp(limit(SIZE.floodLimit))),
        },
        rows: floodRows,
      },
    ],
  },
  {
    key: 'reset',
    parts: [
      {
        servers: {
          weft: () => resetLeak('weft', weft({ maxConnections: RESET_SLOTS, idleTimeout: HOLD_IDLE_MS })),
          'node:http': () => resetLeak('node:http', nodeHttp({ maxConnections: RESET_SLOTS, keepAliveTimeout: HOLD_IDLE_MS })),
        },
        rows: (r) => [resetRow(r)],
      },
    ],
  },
  {
    key: 'shutdown',
    parts: [
      {
        servers: {
          weft: () => shutdownLoss('weft', weftCli()),
          'node:http': () => shutdownLoss('node:http', nodeHttp({ graceful: true })),
        },
        rows: (r) => [shutdownRow('single process', r)],
      },
      {
        servers: { weft: () => shutdownLoss('weft', weftCli('--workers', '2'), { workers: true }) },
        rows: (r) => [shutdownRow('weft --workers 2', r)],
      },
    ],
  },
].filter((m) => only.includes(m.key));

canPin(SERVER_CPU);
canPin(LOAD_CPU);
const startedAt = new Date().toISOString();
const results = [];
const tableRows = [];
for (const measurement of plan) {
  for (const part of measurement.parts) {
    const outcome = Object.fromEntries(Object.keys(part.servers).map((s) => [s, { runs: [], failures: [] }]));
    for (let run = 1; run <= runs; run++) {
      for (const [server, measure] of Object.entries(part.servers)) {
        const label = `[soak] ${measurement.key}${part.label ? ` (${part.label})` : ''} · run ${run}/${runs} · ${server}`;
        await waitForQuiet(quietWaitS);
        const t0 = performance.now();
        try {
          const result = await measure();
          outcome[server].runs.push({ run, ...result });
          console.error(`${label}: ${describeResult(measurement.key, result)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
        } catch (error) {
          outcome[server].failures.push({ run, error: error.message });
          console.error(`${label}: FAILED\n  ${error.message.replaceAll('\n', '\n  ')}`);
        }
      }
    }
    const rows = part.rows(outcome);
    tableRows.push(...rows);
    results.push({ measurement: measurement.key, part: part.label ?? null, rows, ...outcome });
  }
}

const report = {
  name: 'soak',
  title: 'reliability soak: weft vs node:http',
  startedAt,
  finishedAt: new Date().toISOString(),
  runs,
  quick,
  pinning: pinningSummary(),
  settings: { SIZE, SLOW_INTERVAL_MS, RECONNECT_DELAY_MS, PROBE_EVERY_MS, PROBE_TIMEOUT_MS, RESET_SLOTS, RESET_CONCURRENCY, SHUTDOWN },
  environment: environment(),
  results,
};
console.log(
  [
    '',
    `soak: weft vs node:http, ${runs} run(s) each, interleaved; ${report.pinning}${quick ? '; QUICK: smaller than the targets are stated for' : ''}`,
    '',
    formatTable([['measurement', 'weft', 'node:http', 'weft ÷ node:http', 'target'], ...tableRows.map(cells)], ['l', 'r', 'r', 'l', 'l']),
    '',
    ...legend(),
  ].join('\n'),
);
console.log(`results: ${writeJsonReport(report)}`);
if (results.some((r) => Object.values(r).some((o) => o?.failures?.length > 0))) process.exitCode = 1;

// -------------------------------------------------------------- the table

/** A row: `{ name, weft, node, compare, target }` of cells. */
function cells(row) {
  return [row.name, row.weft, row.node, row.compare, row.target];
}

function failedCell(o) {
  return o === undefined ? '–' : o.runs.length === 0 ? 'failed' : null;
}

function verdict(met) {
  return met ? 'met' : 'NOT met';
}

function formatBytes(n) {
  if (n >= 2 ** 30 && n % 2 ** 30 === 0) return `${n / 2 ** 30} GiB`;
  return `${Math.round(n / 2 ** 20)} MiB`;
}

/** "96 MB (95–97)" of a summary in `unit` steps, the range only with several runs. */
function spreadCell(summary, unit, suffix, digits = 0) {
  if (summary.n === 0) return 'failed';
  const f = (x) => (x / unit).toFixed(digits);
  return summary.n === 1 ? `${f(summary.median)} ${suffix}` : `${f(summary.median)} ${suffix} (${f(summary.min)}–${f(summary.max)})`;
}

function ratioCell(a, b) {
  return a.n === 0 || b.n === 0 || b.median === 0 ? '–' : `${(a.median / b.median).toFixed(2)}×`;
}

function rssRow(name, r, limitBytes) {
  const w = summarize(r.weft.runs.map((x) => x.value));
  const n = summarize(r['node:http'].runs.map((x) => x.value));
  return {
    name,
    weft: spreadCell(w, MB, 'MB'),
    node: spreadCell(n, MB, 'MB'),
    compare: ratioCell(w, n),
    target: `weft < ${limitBytes / MB} MB: ${w.n === 0 ? 'no data' : verdict(w.max < limitBytes)}`,
  };
}

function idleRow(r) {
  const w = summarize(r.weft.runs.map((x) => x.value));
  const n = summarize(r['node:http'].runs.map((x) => x.value));
  return {
    name: `RSS per idle keep-alive connection, ${SIZE.idle.toLocaleString('en-US')} open`,
    weft: spreadCell(w, KIB, 'KiB', 1),
    node: spreadCell(n, KIB, 'KiB', 1),
    compare: ratioCell(w, n),
    target: `weft ≤ 8 KiB: ${w.n === 0 ? 'no data' : verdict(w.median <= 8 * KIB)}`,
  };
}

function floodRows(r) {
  const name = `${SIZE.slowHeaders.toLocaleString('en-US')} slow-header + ${SIZE.slowBodies.toLocaleString('en-US')} slow-body conns, ${SIZE.floodS} s, limit ${SIZE.floodLimit.toLocaleString('en-US')}`;
  const rate = (o) => {
    if (failedCell(o)) return failedCell(o);
    const ok = o.runs.reduce((s, x) => s + x.probe.ok, 0);
    const all = o.runs.reduce((s, x) => s + x.probe.probes, 0);
    return `${((100 * ok) / all).toFixed(1)} % (${ok}/${all})`;
  };
  const latency = (o) => {
    if (failedCell(o)) return failedCell(o);
    const runsWithAnswers = o.runs.filter((x) => x.probe.ok > 0);
    if (runsWithAnswers.length === 0) return 'no answer';
    const p50 = summarize(runsWithAnswers.map((x) => x.probe.latencyMs.p50)).median;
    const p99 = summarize(runsWithAnswers.map((x) => x.probe.latencyMs.p99)).median;
    return `${formatMs(p50)} / ${formatMs(p99)}`;
  };
  const weftAll = r.weft.runs.length > 0 && r.weft.runs.every((x) => x.probe.ok === x.probe.probes);
  const worst = (o) => Math.min(...o.runs.map((x) => x.probe.ok / x.probe.probes));
  return [
    {
      name: `fresh-client success, ${name}`,
      weft: rate(r.weft),
      node: rate(r['node:http']),
      compare: r.weft.runs.length && r['node:http'].runs.length ? compareWord(worst(r.weft), worst(r['node:http']), true) : '–',
      target: `weft 100 %: ${r.weft.runs.length === 0 ? 'no data' : verdict(weftAll)}`,
    },
    { name: 'fresh-client latency p50 / p99, same flood', weft: latency(r.weft), node: latency(r['node:http']), compare: '', target: '–' },
  ];
}

function resetRow(r) {
  const cell = (o) => {
    if (failedCell(o)) return failedCell(o);
    const leaked = Math.max(...o.runs.map((x) => x.value));
    const answered = o.runs.every((x) => x.probeAnswered);
    return `${leaked} leaked, probe ${answered ? 'answered' : 'NOT answered'}`;
  };
  const ok = (o) => o.runs.length > 0 && o.runs.every((x) => x.value === 0 && x.probeAnswered);
  return {
    name: `slots taken after ${SIZE.resets.toLocaleString('en-US')} queue-and-reset conns, maxConnections ${RESET_SLOTS}`,
    weft: cell(r.weft),
    node: cell(r['node:http']),
    compare: r.weft.runs.length && r['node:http'].runs.length ? (ok(r.weft) === ok(r['node:http']) ? 'same' : ok(r.weft) ? 'weft better' : 'weft worse') : '–',
    target: `weft 0 leaked, probe answered: ${r.weft.runs.length === 0 ? 'no data' : verdict(ok(r.weft))}`,
  };
}

function shutdownRow(mode, r) {
  const cell = (o) => {
    if (failedCell(o)) return failedCell(o);
    const sum = (f) => o.runs.reduce((s, x) => s + f(x.load), 0);
    const lost = sum((l) => l.before.lost);
    const before = sum((l) => l.before.answered + l.before.lost);
    const after = `${sum((l) => l.after.answered)}/${sum((l) => l.after.refused)}/${sum((l) => l.after.dropped + l.after.connectErrors)}`;
    return `${lost} of ${before.toLocaleString('en-US')}; after ${after}`;
  };
  const lost = (o) => o.runs.reduce((s, x) => s + x.load.before.lost + x.load.before.connectErrors, 0);
  const node = r['node:http'];
  return {
    name: `requests lost at SIGTERM, ${SHUTDOWN.connections} keep-alive conns, ${mode}`,
    weft: cell(r.weft),
    node: cell(node),
    compare: node === undefined || !r.weft.runs.length || !node.runs.length ? '–' : compareWord(lost(r.weft), lost(node), false),
    target: `weft 0 lost: ${r.weft.runs.length === 0 ? 'no data' : verdict(lost(r.weft) === 0)}`,
  };
}

/** 'same', 'weft better' or 'weft worse', comparing weft's figure `a` with node's `b`. */
function compareWord(a, b, higherIsBetter) {
  if (a === b) return 'same';
  return a > b === higherIsBetter ? 'weft better' : 'weft worse';
}

function formatMs(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

function describeResult(key, result) {
  switch (key) {
    case 'echo':
      return `peak RSS ${(result.value / MB).toFixed(1)} MB, ${result.seconds.toFixed(1)} s`;
    case 'idle':
      return `${(result.value / KIB).toFixed(2)} KiB per connection (RSS ${(result.before.rss / MB).toFixed(1)} → ${(result.after.rss / MB).toFixed(1)} MB)`;
    case 'flood':
      return `${result.probe.ok}/${result.probe.probes} probes answered, p50 ${result.probe.latencyMs.p50?.toFixed(1)} ms, p99 ${result.probe.latencyMs.p99?.toFixed(1)} ms, failures ${JSON.stringify(result.probe.failures)}; attackers ${JSON.stringify({ connects: result.attack.connects, cut: result.attack.cut, failed: result.attack.failed })}`;
    case 'reset':
      return `${result.value} connections, ${result.queued ?? '-'} queued after ${result.resets.connected} resets (${result.resets.failed} failed connects, ${result.resets.seconds.toFixed(1)} s); probe ${result.probeAnswered ? 'answered' : 'NOT answered'}`;
    case 'shutdown':
      return `${JSON.stringify(result.load.before)} before, ${JSON.stringify(result.load.after)} after the signal; exit ${result.exit === null ? 'NOT within 15 s' : `code ${result.exit.code}`}`;
  }
  return JSON.stringify(result);
}

function legend() {
  return [
    'peak RSS: VmHWM of a fresh server process after the upload streamed through POST /echo and back (client writes with backpressure).',
    'RSS per idle connection: (RSS with the connections open − RSS before), after a gc each time, ÷ their number; each connection made one GET.',
    `fresh-client success: a new-connection GET every ${PROBE_EVERY_MS} ms during the flood, answered 200 within ${PROBE_TIMEOUT_MS / 1000} s; attackers send a`,
    `  header line or a body byte every ${SLOW_INTERVAL_MS / 1000} s and reconnect ${RECONNECT_DELAY_MS} ms after a cut; latency of the answered probes, median of the runs.`,
    'slots taken: the server\'s connection count after the holders left (signal, not a request); then one probe GET.',
    'requests lost: written before SIGTERM, no whole response. "after a/r/d": after the signal, requests answered / connects refused /',
    '  requests dropped. With --workers, node:cluster\'s primary still accepts connections once the workers stopped listening and drops',
    '  them: those are post-signal connections, counted as dropped after the signal, not as lost. Sums over the runs.',
  ];
}
