/**
 * multipart/form-data uploads: weft's readMultipart() (built dist/) against
 * node:http + busboy, both reading every part to the end without keeping
 * it. Two scenarios, each printing throughput (MB/s of request body) and
 * the server's peak RSS side by side:
 *
 * - 64 MiB uploads one after the other on a keep-alive connection, for
 *   --duration seconds;
 * - one 1 GiB upload (per run and per warm-up): memory must stay flat.
 *
 *   npm run build && node bench/multipart.mjs [--quick] [--runs 3] [--duration 10]
 *     [--warmup 2] [--quiet-wait 30] [--redo 2] [--scenario stream|1gib]
 */
import { join } from 'node:path';
import { runComparison } from './lib/compare.mjs';
import { nodeClientLoad } from './lib/load.mjs';
import { COMMON_FLAGS, parseBenchOptions } from './lib/options.mjs';
import { BENCH_DIR, builtWeftProblem, fail } from './lib/paths.mjs';
import { formatNumber, formatTable } from './lib/report.mjs';
import { summarize } from './lib/stats.mjs';

const USAGE = `usage: node bench/multipart.mjs [options]
  ${COMMON_FLAGS}
  [--scenario stream|1gib (both)]`;

const options = parseBenchOptions({ usage: USAGE, extra: { scenario: { type: 'string' } } });
const only = options.values.scenario;
if (only !== undefined && only !== 'stream' && only !== '1gib') fail('--scenario must be stream or 1gib');
const problem = await builtWeftProblem(['createServer', 'readMultipart']);
if (problem !== null) fail(problem);

const server = (file) => ({ command: [process.execPath, join(BENCH_DIR, 'servers', file)] });
const client = join(BENCH_DIR, 'clients', 'multipart-load.mjs');
const scenarios = [
  { key: 'stream', name: '64 MiB uploads, one connection', measure: nodeClientLoad(client, ['--size', String(64 * 1024 * 1024)], 'mbPerSec'), targets: { busboy: 1 } },
  { key: '1gib', name: 'one 1 GiB upload', measure: nodeClientLoad(client, ['--size', String(1024 * 1024 * 1024), '--once'], 'mbPerSec'), targets: { busboy: 1 } },
].filter((s) => only === undefined || s.key === only);

const report = await runComparison({
  name: 'multipart',
  title: 'multipart/form-data upload: weft readMultipart vs node:http + busboy',
  unit: 'MB/s',
  servers: [
    { name: 'weft', spec: server('multipart-weft.mjs') },
    { name: 'busboy', spec: server('multipart-busboy.mjs') },
  ],
  scenarios,
  options,
});

// Peak RSS, which runComparison does not tabulate (lower is better).
const rows = [['scenario', 'server', 'peak RSS median', 'min – max', 'weft ÷ busboy']];
for (const scenario of report.scenarios) {
  const rss = scenario.servers.map((s) => summarize(s.runs.map((r) => r.details.peakRssMB)));
  scenario.servers.forEach((s, i) => {
    const r = rss[i];
    rows.push([
      i === 0 ? scenario.name : '',
      s.name,
      r.n === 0 ? '-' : `${formatNumber(r.median)} MB`,
      r.n === 0 ? '-' : `${formatNumber(r.min)} – ${formatNumber(r.max)}`,
      i === 0 && rss[1].n > 0 && r.n > 0 ? `${(r.median / rss[1].median).toFixed(2)}×` : '',
    ]);
  });
}
console.log(`\nserver peak RSS (VmHWM, lower is better)\n${formatTable(rows, ['l', 'l', 'r', 'r', 'r'])}`);
