/**
 * Message echo: weft's examples/message-echo (Conn + DynBuf + BufWriter)
 * against bench/servers/plain-line-echo.mjs, the same protocol on plain
 * `net`. The load is bench/clients/echo-load.mjs: C connections, each with
 * B pipelined messages in flight. Target: weft ≥ 0.8× plain net; the
 * abstraction layers may cost a little, not a lot.
 *
 *   npm run build && node bench/echo.mjs [--quick] [--runs 3] [--duration 10]
 *     [--warmup 2] [--quiet-wait 30] [--redo 2] [--connections 50] [--batch 16]
 */
import { join } from 'node:path';
import { runComparison } from './lib/compare.mjs';
import { nodeClientLoad } from './lib/load.mjs';
import { COMMON_FLAGS, integerFlag, parseBenchOptions } from './lib/options.mjs';
import { BENCH_DIR, requireBuilt } from './lib/paths.mjs';

const USAGE = `usage: node bench/echo.mjs [options]
  ${COMMON_FLAGS}
  [--connections C (50)] [--batch B (16)]`;

const options = parseBenchOptions({
  usage: USAGE,
  extra: {
    connections: { type: 'string', default: '50' },
    batch: { type: 'string', default: '16' },
  },
});
const connections = integerFlag(options.values, 'connections', 1, USAGE);
const batch = integerFlag(options.values, 'batch', 1, USAGE);
requireBuilt('dist/examples/message-echo.js');

await runComparison({
  name: 'echo',
  title: 'weft message-echo vs a plain net line echo',
  unit: 'msg/s',
  servers: [
    { name: 'weft', spec: { command: [process.execPath, 'dist/examples/message-echo.js', '--port', '0'] } },
    { name: 'plain-net', spec: { command: [process.execPath, join(BENCH_DIR, 'servers', 'plain-line-echo.mjs'), '--port', '0'] } },
  ],
  scenarios: [
    {
      name: `${connections} conns × ${batch} in flight`,
      measure: nodeClientLoad(
        join(BENCH_DIR, 'clients', 'echo-load.mjs'),
        ['--connections', String(connections), '--batch', String(batch)],
        'messagesPerSec',
      ),
      targets: { 'plain-net': 0.8 },
    },
  ],
  options,
  settings: { connections, batch },
});
