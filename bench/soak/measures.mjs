/**
 * The measurements of bench/soak.mjs, each one run of one server: start it
 * pinned (lib/server.mjs), drive it with the soak clients pinned to the load
 * CPU, read it (VmHWM, or its stats on SIGUSR2), stop it; every phase bounded,
 * every process stopped in a `finally`. `soakMeasures(size)` makes them for
 * the sizes of a full or a --quick run; it owns a scratch directory (the
 * servers' stats files, the site weft's command serves), removed at exit.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHeldClient } from '../lib/held-client.mjs';
import { runLoad } from '../lib/load.mjs';
import { BENCH_DIR, REPO_ROOT } from '../lib/paths.mjs';
import { startServer } from '../lib/server.mjs';
import {
  KIB,
  PROBE_EVERY_MS,
  PROBE_TIMEOUT_MS,
  RECONNECT_DELAY_MS,
  RESET_CONCURRENCY,
  RESET_SLOTS,
  SETTLE_MS,
  SHUTDOWN,
  SLOW_INTERVAL_MS,
} from './settings.mjs';

export function soakMeasures(size) {
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

  /** VmHWM (peak RSS so far) or VmRSS of a process (bytes), from /proc/<pid>/status. */
  function residentOf(pid, field) {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m === null) throw new Error(`no ${field} for ${pid}`);
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

  /**
   * Peak RSS of a server while `size.echoBytes` go through POST /echo and
   * back: at once after it starts, or once it has been up `uptimeMs`.
   */
  async function echoPeak(name, spec, framing, uptimeMs = 0) {
    const server = await start(name, spec);
    try {
      if (uptimeMs > 0) await sleep(uptimeMs);
      const startRss = residentOf(server.pid, 'VmRSS');
      const result = await runClient('soak-echo.mjs', ['--port', server.port, '--size', size.echoBytes, '--framing', framing], 120);
      return { value: residentOf(server.pid, 'VmHWM'), startRss, seconds: result.seconds };
    } finally {
      await server.stop();
    }
  }

  /** (RSS with size.idle idle keep-alive connections − RSS before) ÷ size.idle, after a gc each time. */
  async function idleRss(name, spec) {
    const server = await start(name, spec);
    let holders = null;
    try {
      // Warm up first: the first requests compile code and size pools once, not per connection.
      const warm = await heldClient('soak-hold.mjs', ['--port', server.port, '--connections', 500], 30_000);
      await warm.finish();
      await sleep(SETTLE_MS);
      const before = await server.stats();
      holders = await heldClient('soak-hold.mjs', ['--port', server.port, '--connections', size.idle, '--hold-max', 300], 120_000);
      if (holders.ready.open !== size.idle) throw new Error(`only ${holders.ready.open} of ${size.idle} connections opened`);
      await sleep(SETTLE_MS);
      const after = await server.stats();
      const held = await holders.finish();
      holders = null;
      if (held.closedByServer > 0) throw new Error(`the server closed ${held.closedByServer} idle connections during the measurement`);
      if (after.connections !== size.idle) throw new Error(`the server counts ${after.connections} connections, not ${size.idle}`);
      return { value: (after.rss - before.rss) / size.idle, before, after };
    } finally {
      await holders?.kill();
      await server.stop();
    }
  }

  /** A probe every PROBE_EVERY_MS for size.floodS seconds while the slow attackers hold what they can. */
  async function floodProbe(name, spec) {
    const server = await start(name, spec);
    let attack = null;
    try {
      attack = await heldClient(
        'soak-flood.mjs',
        ['--port', server.port, '--slow-headers', size.slowHeaders, '--slow-bodies', size.slowBodies, '--interval', SLOW_INTERVAL_MS,
          '--reconnect-delay', RECONNECT_DELAY_MS, '--max', size.floodS + PROBE_TIMEOUT_MS / 1000 + 60],
        30_000,
      );
      const count = Math.round((size.floodS * 1000) / PROBE_EVERY_MS);
      const probe = await runClient('soak-probe.mjs', ['--port', server.port, '--count', count, '--every', PROBE_EVERY_MS, '--timeout', PROBE_TIMEOUT_MS],
        size.floodS + PROBE_TIMEOUT_MS / 1000);
      const attackResult = await attack.finish();
      attack = null;
      return { value: probe.ok / probe.probes, probe, attack: attackResult };
    } finally {
      await attack?.kill();
      await server.stop();
    }
  }

  /** Connections the server still counts after size.resets queue-and-reset connections and the holders' release. */
  async function resetLeak(name, spec) {
    const server = await start(name, spec);
    let holders = null;
    try {
      // Busy holders (a response in progress), which no defence of a full server closes: every reset connection waits in the queue.
      holders = await heldClient('soak-hold.mjs', ['--port', server.port, '--connections', RESET_SLOTS, '--concurrency', RESET_SLOTS, '--busy'], 30_000);
      if (holders.ready.open !== RESET_SLOTS) throw new Error(`only ${holders.ready.open} of ${RESET_SLOTS} holders connected`);
      const resets = await runClient('soak-reset.mjs', ['--port', server.port, '--count', size.resets, '--concurrency', RESET_CONCURRENCY], 300);
      const full = await server.stats();
      const held = await holders.finish();
      holders = null;
      if (held.closedByServer > 0) throw new Error(`the server closed ${held.closedByServer} of the busy holders`);
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
      const late = new AbortController();
      const exit = await Promise.race([server.exited, sleep(15_000, null, { signal: late.signal }).catch(() => null)]);
      late.abort(); // no timer left to keep the benchmark waiting
      return { value: load.before.lost, load, exit };
    } finally {
      await server.stop();
    }
  }

  const weftCli = (...flags) => ({ command: [process.execPath, join(REPO_ROOT, 'dist', 'cli.js'), site, '--port', '0', '--log', 'off', ...flags] });
  return { weft, nodeHttp, weftCli, echoPeak, idleRss, floodProbe, resetLeak, shutdownLoss };
}
