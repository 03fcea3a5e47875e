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
 * bounded in time (bench/soak/: the measurements, their settings, the table).
 * Run it alone: `flock /work/wt/bench.lock npm run bench:soak`.
 *
 *   npm run build && node bench/soak.mjs [--quick] [--runs 3] [--quiet-wait 30]
 *     [--only echo,idle,flood,reset,shutdown]
 */
import { parseArgs } from 'node:util';
import { builtWeftProblem, fail, requireBuilt } from './lib/paths.mjs';
import { LOAD_CPU, SERVER_CPU, canPin, pinningSummary } from './lib/pinning.mjs';
import { waitForQuiet } from './lib/quiet.mjs';
import { environment, formatTable, writeJsonReport } from './lib/report.mjs';
import { soakMeasures } from './soak/measures.mjs';
import {
  HOLD_IDLE_MS,
  MB,
  PROBE_EVERY_MS,
  PROBE_TIMEOUT_MS,
  RECONNECT_DELAY_MS,
  RESET_CONCURRENCY,
  RESET_SLOTS,
  SHUTDOWN,
  SLOW_INTERVAL_MS,
  SOAK_SIZES,
} from './soak/settings.mjs';
import { cells, describeResult, floodRows, formatBytes, idleRow, legend, resetRow, rssRow, shutdownRow } from './soak/table.mjs';

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

const size = SOAK_SIZES[quick ? 'quick' : 'full'];
const { weft, nodeHttp, weftCli, echoPeak, idleRss, floodProbe, resetLeak, shutdownLoss } = soakMeasures(size);
const limit = (n) => ({ maxConnections: n });

/**
 * Each measurement: its servers, run in turn `runs` times (weft, node:http,
 * weft, ...), and the table rows it makes of their results.
 */
const plan = [
  {
    key: 'echo',
    parts: [
      ['length', 'Content-Length', 0],
      ['chunked', 'chunked', 0],
      ['length', 'Content-Length', size.echoUptimeMs],
      ['chunked', 'chunked', size.echoUptimeMs],
    ].map(([framing, framingLabel, uptimeMs]) => {
      const label = uptimeMs === 0 ? `${framingLabel}, fresh server` : `${framingLabel}, server up ${uptimeMs / 1000} s`;
      return {
        label,
        servers: {
          weft: () => echoPeak('weft', weft({}), framing, uptimeMs),
          'node:http': () => echoPeak('node:http', nodeHttp({}), framing, uptimeMs),
        },
        rows: (r) => [rssRow(`peak RSS, ${formatBytes(size.echoBytes)} through POST /echo, ${label}`, r, 100 * MB)],
      };
    }),
  },
  {
    key: 'idle',
    parts: [
      {
        servers: {
          weft: () => idleRss('weft', weft({ idleTimeout: HOLD_IDLE_MS, maxConnections: size.idle + 1_000 })),
          'node:http': () => idleRss('node:http', nodeHttp({ keepAliveTimeout: HOLD_IDLE_MS })),
        },
        rows: (r) => [idleRow(r, size)],
      },
    ],
  },
  {
    key: 'flood',
    parts: [
      {
        servers: {
          weft: () => floodProbe('weft', weft(limit(size.floodLimit))),
          'node:http': () => floodProbe('node:http', nodeHttp(limit(size.floodLimit))),
        },
        rows: (r) => floodRows(r, size),
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
        rows: (r) => [resetRow(r, size)],
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
  settings: { size, SLOW_INTERVAL_MS, RECONNECT_DELAY_MS, PROBE_EVERY_MS, PROBE_TIMEOUT_MS, RESET_SLOTS, RESET_CONCURRENCY, SHUTDOWN },
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

