/**
 * The benchmark loop: every scenario, `runs` times, every server in turn
 * (weft, competitor, weft, competitor, ...) so slow drifts of a noisy machine
 * hit all servers alike. Each run starts a fresh server pinned to the server
 * CPU, checks that it answers correctly, warms it up with the same load,
 * measures, and stops it. The first server is the subject; every ratio is
 * subject ÷ competitor.
 *
 * @typedef {object} ServerEntry
 * @property {string} name
 * @property {import('./server.mjs').ServerSpec | (() => Promise<import('./server.mjs').ServerSpec>)} spec
 *   a function when each run needs fresh state (nginx's temp dir, a free port)
 *
 * @typedef {object} Scenario
 * @property {string} name
 * @property {(load: { port: number, durationS: number, readyLine: string }) => Promise<{ value: number, loadCpu?: number | null, details?: object }>} measure
 *   runs the load generator; `value` is the figure, higher is better; `loadCpu`
 *   the share of its core the load generator used; `readyLine` is the line the
 *   server printed its port in
 * @property {(port: number) => Promise<void>} [verify] throws when the server answers wrongly
 * @property {Record<string, number>} [targets] competitor name -> minimum median ratio
 */
import { SERVER_CPU, LOAD_CPU, canPin, pinningSummary } from './pinning.mjs';
import { environment, formatNumber, formatReport, writeJsonReport } from './report.mjs';
import { systemBusySeconds } from './procstat.mjs';
import { QUIET_BELOW, waitForQuiet } from './quiet.mjs';
import { startServer } from './server.mjs';
import { ratio, summarize } from './stats.mjs';

/**
 * Runs the comparison, prints the report, writes the JSON, and returns the
 * report. Sets process.exitCode = 1 when any run failed.
 *
 * @param {object} options
 * @param {string} options.name file-name-safe benchmark name ("echo", "http")
 * @param {string} options.title one line saying what is compared
 * @param {string} options.unit of the measured value ("msg/s", "req/s")
 * @param {ServerEntry[]} options.servers the subject first
 * @param {Scenario[]} options.scenarios
 * @param {{ runs: number, durationS: number, warmupS: number, quietWaitS: number, redo: number }} options.options
 * @param {object} [options.settings] benchmark-specific settings, recorded in the JSON
 */
export async function runComparison({ name, title, unit, servers, scenarios, options, settings = {} }) {
  const { runs, durationS, warmupS, quietWaitS, redo } = options;
  canPin(SERVER_CPU);
  canPin(LOAD_CPU);
  const startedAt = new Date().toISOString();
  const results = [];
  for (const scenario of scenarios) {
    const perServer = servers.map(() => ({ runs: [], discarded: [], failures: [] }));
    for (let run = 1; run <= runs; run++) {
      for (const [i, server] of servers.entries()) {
        const label = `[${name}] ${scenario.name} · run ${run}/${runs} · ${server.name}`;
        for (let attempt = 0; ; attempt++) {
          let result;
          try {
            await waitForQuiet(quietWaitS);
            result = await runOnce(server, scenario, durationS, warmupS);
          } catch (error) {
            perServer[i].failures.push({ run, error: error.message });
            console.error(`${label}: FAILED\n  ${error.message.replaceAll('\n', '\n  ')}`);
            break;
          }
          const cpu = `CPU: server ${percent(result.serverCpu)}, load ${percent(result.loadCpu)}, other ${percent(result.otherCpu)}`;
          const disturbed = result.otherCpu !== null && result.otherCpu > QUIET_BELOW;
          if (disturbed && attempt < redo) {
            perServer[i].discarded.push({ run, ...result });
            console.error(`${label}: ${formatNumber(result.value)} ${unit} (${cpu}): disturbed, redoing`);
            continue;
          }
          perServer[i].runs.push({ run, ...result });
          console.error(`${label}: ${formatNumber(result.value)} ${unit} (${cpu})`);
          break;
        }
      }
    }
    results.push(summarizeScenario(scenario, servers, perServer));
  }
  const report = {
    name,
    title,
    unit,
    startedAt,
    finishedAt: new Date().toISOString(),
    runs,
    durationS,
    warmupS,
    quietWaitS,
    redo,
    pinning: pinningSummary(),
    settings,
    environment: environment(),
    scenarios: results,
  };
  console.log(formatReport(report));
  console.log(`results: ${writeJsonReport(report)}`);
  if (results.some((s) => s.servers.some((server) => server.failures.length > 0))) process.exitCode = 1;
  return report;
}

async function runOnce(server, scenario, durationS, warmupS) {
  const spec = typeof server.spec === 'function' ? await server.spec() : server.spec;
  const running = await startServer({ ...spec, name: server.name });
  try {
    await scenario.verify?.(running.port);
    if (warmupS > 0) await scenario.measure({ port: running.port, durationS: warmupS, readyLine: running.readyLine });
    const cpuBefore = running.cpuSeconds();
    const busyBefore = systemBusySeconds();
    const started = performance.now();
    const { value, loadCpu = null, details } = await scenario.measure({ port: running.port, durationS, readyLine: running.readyLine });
    const wallSeconds = (performance.now() - started) / 1000;
    const cpuAfter = running.cpuSeconds();
    const busyAfter = systemBusySeconds();
    const serverCpu = cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / wallSeconds;
    let otherCpu = null;
    if (busyBefore !== null && busyAfter !== null && serverCpu !== null && loadCpu !== null) {
      otherCpu = Math.max(0, (busyAfter - busyBefore) / wallSeconds - serverCpu - loadCpu);
    }
    return { value, serverCpu, loadCpu, otherCpu, details };
  } finally {
    await running.stop();
  }
}

function summarizeScenario(scenario, servers, perServer) {
  const summaries = perServer.map((p) => summarize(p.runs.map((r) => r.value)));
  const subject = servers[0].name;
  return {
    name: scenario.name,
    servers: servers.map((server, i) => ({
      name: server.name,
      summary: summaries[i],
      serverCpuMedian: medianOf(perServer[i].runs.map((r) => r.serverCpu)),
      loadCpuMedian: medianOf(perServer[i].runs.map((r) => r.loadCpu)),
      otherCpuMax: maxOf(perServer[i].runs.map((r) => r.otherCpu)),
      runs: perServer[i].runs,
      discarded: perServer[i].discarded,
      failures: perServer[i].failures,
    })),
    ratios: servers.slice(1).map((competitor, j) => ({
      subject,
      competitor: competitor.name,
      ratio: ratio(summaries[0], summaries[j + 1]),
      // Run k of the subject against run k of the competitor: neighbours in time.
      pairedRatios: perServer[0].runs
        .map((r) => {
          const other = perServer[j + 1].runs.find((o) => o.run === r.run);
          return other ? r.value / other.value : null;
        })
        .filter((x) => x !== null),
      target: scenario.targets?.[competitor.name],
    })),
  };
}

function medianOf(values) {
  return summarize(values.filter((v) => v !== null)).median;
}

function maxOf(values) {
  return summarize(values.filter((v) => v !== null)).max;
}

function percent(fraction) {
  return fraction === null ? '-' : `${Math.round(fraction * 100)}%`;
}
