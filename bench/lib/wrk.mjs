/**
 * HTTP load with wrk (Debian package `wrk`, 4.1). `wrkLoad` makes a scenario
 * `measure` function that runs wrk pinned to the load CPU and reports
 * requests per second, with wrk's latency percentiles and error counts as
 * details (latencies only without pipelining). Pipelining uses
 * bench/clients/wrk-pipeline.lua.
 */
import { join } from 'node:path';
import { BENCH_DIR } from './paths.mjs';
import { runLoad } from './load.mjs';

export const WRK_PIPELINE_SCRIPT = join(BENCH_DIR, 'clients', 'wrk-pipeline.lua');

/**
 * @param {object} options
 * @param {number} options.connections open connections (wrk -c)
 * @param {number} [options.threads] wrk threads, default 1: the load CPU is one core
 * @param {number} [options.pipeline] requests per write; 1 (default) is plain keep-alive
 * @param {string} [options.path] request path, default "/"
 * @param {string[]} [options.headers] extra request header lines ("Accept-Encoding: gzip")
 * @param {{ path: string, args: string[] }} [options.script] a wrk Lua script and its arguments
 *   (instead of the pipelining one)
 */
export function wrkLoad({ connections, threads = 1, pipeline = 1, path = '/', headers = [], script }) {
  return async ({ port, durationS }) => {
    const argv = ['wrk', `-t${threads}`, `-c${connections}`, `-d${durationS}s`, '--latency'];
    for (const header of headers) argv.push('-H', header);
    const lua = script ?? (pipeline > 1 ? { path: WRK_PIPELINE_SCRIPT, args: [String(pipeline)] } : null);
    if (lua !== null) argv.push('-s', lua.path);
    argv.push(`http://127.0.0.1:${port}${path}`);
    if (lua !== null && lua.args.length > 0) argv.push('--', ...lua.args);
    const { stdout, cpu } = await runLoad(argv, durationS);
    const result = parseWrkOutput(stdout);
    // wrk times a pipelined batch, not each request, and prints 0 for some
    // percentiles; its latencies mean nothing there.
    if (pipeline > 1) result.latencyMs = null;
    return { value: result.requestsPerSec, loadCpu: cpu, details: result };
  };
}

const UNIT_TO_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function toMs(text) {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  return match ? Number(match[1]) * UNIT_TO_MS[match[2]] : null;
}

/**
 * Parses wrk's report. Returns `{ requestsPerSec, requests, latencyMs:
 * { avg, stdev, max, p50, p75, p90, p99 }, errors: { connect, read, write,
 * timeout, non2xx3xx } }`; latencies are null when wrk didn't print them.
 * Throws when the "Requests/sec:" line is missing.
 */
export function parseWrkOutput(text) {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  if (rps === null) throw new Error(`wrk output has no "Requests/sec:" line:\n${text}`);
  const latency = /^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)/m.exec(text);
  const percentile = (p) => {
    const match = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(text);
    return match ? toMs(match[1]) : null;
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  const total = /(\d+) requests in/.exec(text);
  return {
    requestsPerSec: Number(rps[1]),
    requests: total ? Number(total[1]) : null,
    latencyMs: {
      avg: latency ? toMs(latency[1]) : null,
      stdev: latency ? toMs(latency[2]) : null,
      max: latency ? toMs(latency[3]) : null,
      p50: percentile(50),
      p75: percentile(75),
      p90: percentile(90),
      p99: percentile(99),
    },
    errors: {
      connect: socketErrors ? Number(socketErrors[1]) : 0,
      read: socketErrors ? Number(socketErrors[2]) : 0,
      write: socketErrors ? Number(socketErrors[3]) : 0,
      timeout: socketErrors ? Number(socketErrors[4]) : 0,
      non2xx3xx: non2xx ? Number(non2xx[1]) : 0,
    },
  };
}

/** A one-line description of wrk's errors, or '' when there were none. */
export function describeWrkErrors(errors) {
  const parts = Object.entries(errors)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${n}`);
  return parts.join(', ');
}

/**
 * wrkLoad, refusing a run in which wrk saw errors (socket errors, non-2xx/3xx
 * responses): error responses are not throughput. Timeouts fail the run too,
 * unless `timeoutsFatal: false`, which only warns about them.
 */
export function checkedWrkLoad({ timeoutsFatal = true, ...options }) {
  const measure = wrkLoad(options);
  return async (run) => {
    const result = await measure(run);
    const { timeout, ...others } = result.details.errors;
    const problems = describeWrkErrors(timeoutsFatal ? result.details.errors : others);
    if (problems !== '') throw new Error(`wrk reported errors: ${problems}`);
    if (!timeoutsFatal && timeout > 0) console.warn(`warning: wrk saw ${timeout} timeouts`);
    return result;
  };
}
