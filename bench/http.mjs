/**
 * HTTP hello world: weft's HTTP server (bench/servers/weft-http.mjs, built
 * dist/) against node:http (bench/servers/node-http.mjs), all answering
 * every GET with a 13-byte "Hello, World!", and against the ceiling: a
 * raw-`net` responder (bench/servers/raw-net.mjs) that finds "\r\n\r\n" and
 * writes a canned response with node:http's header set, one write per read.
 * wrk on the load core drives two scenarios:
 *
 * - keep-alive: 50 connections, one request in flight each (targets ≥ 1.3×
 *   node:http, ≥ 0.9× the raw-net ceiling);
 * - pipelined: 50 connections, 16 requests per write (target ≥ 5×
 *   node:http), which rewards parsing and answering a batch of requests
 *   with one read and one write.
 *
 *   npm run build && node bench/http.mjs [--quick] [--runs 3] [--duration 10]
 *     [--warmup 2] [--quiet-wait 30] [--redo 2] [--connections 50] [--pipeline 16]
 *     [--scenario keep-alive|pipelined] [--stand-in]
 *
 * --stand-in runs node:http in weft's place: a check of the harness's
 * plumbing while weft's HTTP server isn't built, not a measurement of weft.
 */
import { join } from 'node:path';
import { runComparison } from './lib/compare.mjs';
import { checkPipelinedGets } from './lib/http-check.mjs';
import { COMMON_FLAGS, integerFlag, parseBenchOptions } from './lib/options.mjs';
import { BENCH_DIR, builtWeftProblem, fail, requireCommand } from './lib/paths.mjs';
import { checkedWrkLoad } from './lib/wrk.mjs';

const USAGE = `usage: node bench/http.mjs [options]
  ${COMMON_FLAGS}
  [--connections C (50)] [--pipeline P (16)] [--scenario keep-alive|pipelined (both)] [--stand-in]
  --stand-in  run node:http in weft's place, to check the plumbing before weft's HTTP server exists`;

const SCENARIOS = ['keep-alive', 'pipelined'];
const BODY = 'Hello, World!';

const options = parseBenchOptions({
  usage: USAGE,
  extra: {
    connections: { type: 'string', default: '50' },
    pipeline: { type: 'string', default: '16' },
    scenario: { type: 'string' },
    'stand-in': { type: 'boolean', default: false },
  },
});
const connections = integerFlag(options.values, 'connections', 1, USAGE);
const pipeline = integerFlag(options.values, 'pipeline', 2, USAGE);
const only = options.values.scenario;
if (only !== undefined && !SCENARIOS.includes(only)) fail(`--scenario must be one of ${SCENARIOS.join(', ')}`);
const standIn = options.values['stand-in'];
requireCommand('wrk', 'install it with `apt-get install -y wrk`');

const nodeHttp = { command: [process.execPath, join(BENCH_DIR, 'servers', 'node-http.mjs')] };
const rawNet = { command: [process.execPath, join(BENCH_DIR, 'servers', 'raw-net.mjs')] };
let subject;
if (standIn) {
  console.warn("warning: --stand-in: node:http runs in weft's place; the ratios only show the harness's noise");
  subject = { name: 'node:http (stand-in)', spec: nodeHttp };
} else {
  const problem = await builtWeftProblem(['createServer', 'bodyFromBuffer']);
  if (problem !== null) fail(problem);
  subject = { name: 'weft', spec: { command: [process.execPath, join(BENCH_DIR, 'servers', 'weft-http.mjs')] } };
}

const verify = (port) => checkPipelinedGets(port, { count: 3, body: BODY });
const scenarios = [
  {
    name: `keep-alive, ${connections} conns`,
    key: 'keep-alive',
    measure: checkedWrkLoad({ connections, timeoutsFatal: false }),
    verify,
    targets: standIn ? {} : { 'node:http': 1.3, 'raw-net': 0.9 },
  },
  {
    name: `pipelined ×${pipeline}, ${connections} conns`,
    key: 'pipelined',
    measure: checkedWrkLoad({ connections, pipeline, timeoutsFatal: false }),
    verify,
    targets: standIn ? {} : { 'node:http': 5 },
  },
].filter((s) => only === undefined || s.key === only);

await runComparison({
  name: standIn ? 'http-stand-in' : 'http',
  title: `${subject.name} vs node:http and the raw-net ceiling, "Hello, World!" over wrk -t1`,
  unit: 'req/s',
  servers: [subject, { name: 'node:http', spec: nodeHttp }, { name: 'raw-net', spec: rawNet }],
  scenarios,
  options,
  settings: { connections, pipeline, wrkThreads: 1, standIn },
});
