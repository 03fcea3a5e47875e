/**
 * bench/soak.mjs, the fresh client: --count GETs, one started every --every
 * ms whatever the previous ones are doing, each on a new connection
 * (`Connection: close`). A probe succeeds when a whole 200 response arrives
 * within --timeout ms of its connect. Prints `RESULT {"probes", "ok",
 * "failures": {kind: n}, "failedAfterMs": {kind: [ms, ...]}, "latencyMs":
 * {p50, p99, max}}`, latencies of the successful probes only.
 *
 *   node bench/clients/soak-probe.mjs --port P [--count 300] [--every 100] [--timeout 15000]
 */
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { responseParser } from './soak-responses.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    count: { type: 'string', default: '300' },
    every: { type: 'string', default: '100' },
    timeout: { type: 'string', default: '15000' },
  },
});
const port = Number(values.port);
const count = Number(values.count);
const timeoutMs = Number(values.timeout);
const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n');

/** Resolves with `{ ok, ms, kind? }`: ms until the answer or the failure. */
function probe() {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ port, host: '127.0.0.1' });
    let outcome = null;
    const end = (result) => {
      if (outcome !== null) return;
      outcome = result;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const failed = (kind) => ({ ok: false, kind, ms: performance.now() - started });
    const timer = setTimeout(() => end(failed('timeout')), timeoutMs);
    const parser = responseParser((response) =>
      end(response.status === 200 ? { ok: true, ms: performance.now() - started } : failed(`status ${response.status}`)),
    );
    socket.on('connect', () => socket.write(REQUEST));
    socket.on('data', (chunk) => {
      try {
        parser.feed(chunk);
      } catch {
        end(failed('malformed'));
      }
    });
    socket.on('error', (error) => end(failed(error.code ?? 'error')));
    socket.on('close', () => end(failed('closed')));
  });
}

const running = [];
for (let i = 0; i < count; i++) {
  if (i > 0) await new Promise((resolve) => setTimeout(resolve, Number(values.every)));
  running.push(probe());
}
const results = await Promise.all(running);
const ms = results.filter((r) => r.ok).map((r) => r.ms).sort((a, b) => a - b);
const failures = {};
const failedAfterMs = {};
for (const r of results) {
  if (r.ok) continue;
  failures[r.kind] = (failures[r.kind] ?? 0) + 1;
  (failedAfterMs[r.kind] ??= []).push(Math.round(r.ms));
}
const quantile = (q) => (ms.length === 0 ? null : ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]);
console.log(
  'RESULT ' +
    JSON.stringify({ probes: count, ok: ms.length, failures, failedAfterMs, latencyMs: { p50: quantile(0.5), p99: quantile(0.99), max: quantile(1) } }),
);
