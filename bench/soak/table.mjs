/**
 * bench/soak.mjs's table: one row per measurement, `{ name, weft, node,
 * compare, target }`, made from every run's results (`{ runs, failures }` per
 * server), the one-line description of a run for the progress log, and the
 * legend printed under the table.
 */
import { summarize } from '../lib/stats.mjs';
import { KIB, MB, PROBE_EVERY_MS, PROBE_TIMEOUT_MS, RECONNECT_DELAY_MS, RESET_SLOTS, SHUTDOWN, SLOW_INTERVAL_MS } from './settings.mjs';

/** A row as the table's cells. */
export function cells(row) {
  return [row.name, row.weft, row.node, row.compare, row.target];
}

function failedCell(o) {
  return o === undefined ? '–' : o.runs.length === 0 ? 'failed' : null;
}

function verdict(met) {
  return met ? 'met' : 'NOT met';
}

export function formatBytes(n) {
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

export function rssRow(name, r, limitBytes) {
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

export function idleRow(r, size) {
  const w = summarize(r.weft.runs.map((x) => x.value));
  const n = summarize(r['node:http'].runs.map((x) => x.value));
  return {
    name: `RSS per idle keep-alive connection, ${size.idle.toLocaleString('en-US')} open`,
    weft: spreadCell(w, KIB, 'KiB', 1),
    node: spreadCell(n, KIB, 'KiB', 1),
    compare: ratioCell(w, n),
    target: `weft ≤ 8 KiB: ${w.n === 0 ? 'no data' : verdict(w.median <= 8 * KIB)}`,
  };
}

export function floodRows(r, size) {
  const name = `${size.slowHeaders.toLocaleString('en-US')} slow-header + ${size.slowBodies.toLocaleString('en-US')} slow-body conns, ${size.floodS} s, limit ${size.floodLimit.toLocaleString('en-US')}`;
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

export function resetRow(r, size) {
  const cell = (o) => {
    if (failedCell(o)) return failedCell(o);
    const leaked = Math.max(...o.runs.map((x) => x.value));
    const answered = o.runs.every((x) => x.probeAnswered);
    return `${leaked} leaked, probe ${answered ? 'answered' : 'NOT answered'}`;
  };
  const ok = (o) => o.runs.length > 0 && o.runs.every((x) => x.value === 0 && x.probeAnswered);
  return {
    name: `slots taken after ${size.resets.toLocaleString('en-US')} queue-and-reset conns, maxConnections ${RESET_SLOTS}`,
    weft: cell(r.weft),
    node: cell(r['node:http']),
    compare: r.weft.runs.length && r['node:http'].runs.length ? (ok(r.weft) === ok(r['node:http']) ? 'same' : ok(r.weft) ? 'weft better' : 'weft worse') : '–',
    target: `weft 0 leaked, probe answered: ${r.weft.runs.length === 0 ? 'no data' : verdict(ok(r.weft))}`,
  };
}

export function shutdownRow(mode, r) {
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

export function describeResult(key, result) {
  switch (key) {
    case 'echo':
      return `peak RSS ${(result.value / MB).toFixed(1)} MB (${(result.startRss / MB).toFixed(1)} MB at the start), ${result.seconds.toFixed(1)} s`;
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

export function legend() {
  return [
    'peak RSS: VmHWM of a server process after the upload streamed through POST /echo and back (client writes with backpressure),\n  started at once or once the server had been up (idle) the time the row says.',
    'RSS per idle connection: (RSS with the connections open − RSS before), after a gc each time, ÷ their number; each connection made one GET.',
    `fresh-client success: a new-connection GET every ${PROBE_EVERY_MS} ms during the flood, answered 200 within ${PROBE_TIMEOUT_MS / 1000} s; attackers send a`,
    `  header line or a body byte every ${SLOW_INTERVAL_MS / 1000} s and reconnect ${RECONNECT_DELAY_MS} ms after a cut; latency of the answered probes, median of the runs.`,
    'slots taken: the server\'s connection count after the holders left (signal, not a request); then one probe GET.',
    'requests lost: written before SIGTERM, no whole response. "after a/r/d": after the signal, requests answered / connects refused /',
    '  requests dropped. With --workers, node:cluster\'s primary still accepts connections once the workers stopped listening and drops',
    '  them: those are post-signal connections, counted as dropped after the signal, not as lost. Sums over the runs.',
  ];
}
