/**
 * Printing results as aligned tables and saving them as JSON under
 * bench/results/ (gitignored), one file per benchmark invocation.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release } from 'node:os';
import { join, relative } from 'node:path';
import { REPO_ROOT, RESULTS_DIR } from './paths.mjs';
import { QUIET_BELOW } from './quiet.mjs';
import { relativeSpread } from './stats.mjs';

/** 1234567.8 -> "1,234,568"; small numbers keep 2 significant decimals. */
export function formatNumber(n) {
  if (n === null || n === undefined) return '-';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}

export function formatRatio(r) {
  return r === null || r === undefined ? '-' : `${r.toFixed(2)}×`;
}

function formatPercent(fraction) {
  return fraction === null || fraction === undefined ? '-' : `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)}%`;
}

/** Rows of cells as text, columns padded; `align` holds 'l' or 'r' per column. */
export function formatTable(rows, align) {
  const widths = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * The report of `runComparison` (see compare.mjs) as text: one table of
 * per-server figures, one of ratios with their targets.
 */
export function formatReport(report) {
  const { unit, runs, durationS, warmupS, pinning } = report;
  const lines = [
    '',
    `${report.name}: ${report.title} (${unit}, higher is better)`,
    `${runs} run(s) × ${durationS} s (+${warmupS} s warm-up) per server, interleaved; ${pinning}`,
    '',
  ];
  const rows = [['scenario', 'server', 'median', 'min – max', 'spread', 'server CPU', 'load CPU', 'other CPU', 'redone', 'failed']];
  for (const scenario of report.scenarios) {
    scenario.servers.forEach((server, i) => {
      const s = server.summary;
      rows.push([
        i === 0 ? scenario.name : '',
        server.name,
        formatNumber(s.median),
        s.n === 0 ? '-' : `${formatNumber(s.min)} – ${formatNumber(s.max)}`,
        formatPercent(relativeSpread(s)),
        formatPercent(server.serverCpuMedian),
        formatPercent(server.loadCpuMedian),
        formatPercent(server.otherCpuMax),
        server.discarded.length === 0 ? '' : String(server.discarded.length),
        server.failures.length === 0 ? '' : String(server.failures.length),
      ]);
    });
  }
  lines.push(formatTable(rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']));
  lines.push('');
  const ratioRows = [['scenario', 'ratio', 'median', 'worst – best', 'target']];
  for (const scenario of report.scenarios) {
    for (const r of scenario.ratios) {
      let target = '';
      if (r.target !== undefined) {
        let verdict = r.ratio === null ? 'no data' : r.ratio.median >= r.target ? 'met' : 'NOT met';
        if (scenario.servers.some((server) => (server.otherCpuMax ?? 0) > QUIET_BELOW)) verdict += ' (disturbed)';
        target = `≥ ${r.target}×: ${verdict}`;
      }
      ratioRows.push([
        scenario.name,
        `${r.subject} ÷ ${r.competitor}`,
        formatRatio(r.ratio?.median),
        r.ratio ? `${formatRatio(r.ratio.low)} – ${formatRatio(r.ratio.high)}` : '-',
        target,
      ]);
    }
  }
  lines.push(formatTable(ratioRows, ['l', 'l', 'r', 'r', 'l']));
  lines.push('');
  lines.push(
    'spread: (max − min) ÷ median. server / load CPU: median share of one core used during the measured runs;',
    'a server near 100% was the bottleneck; a load generator near 100% may have capped the faster server,',
    'which pulls the ratio toward 1×. other CPU: the most that everything else on the machine used in any run;',
    `runs where it exceeded ${formatPercent(QUIET_BELOW)} were redone (up to --redo times each; the JSON keeps them).`,
  );
  const busiest = Math.max(0, ...report.scenarios.flatMap((s) => s.servers.map((server) => server.otherCpuMax ?? 0)));
  if (busiest > QUIET_BELOW) {
    lines.push(
      `warning: other processes used up to ${formatPercent(busiest)} of a core during the runs;`,
      'these numbers are disturbed. Rerun on a quiet machine, or with more --runs.',
    );
  }
  return lines.join('\n');
}

/** Where and on what the benchmark ran, recorded in every JSON result. */
export function environment() {
  let commit = null;
  try {
    commit = execFileSync('git', ['describe', '--always', '--dirty'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // not a git checkout
  }
  return {
    node: process.version,
    platform: `${process.platform} ${release()}`,
    cpuModel: cpus()[0]?.model ?? null,
    cpus: availableParallelism(),
    commit,
  };
}

/** Writes `report` to bench/results/<name>-<timestamp>.json; returns the path relative to the repo. */
export function writeJsonReport(report) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const path = join(RESULTS_DIR, `${report.name}-${stamp}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return relative(REPO_ROOT, path);
}
