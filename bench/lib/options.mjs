/**
 * Command-line flags shared by every benchmark, with their defaults:
 *
 *   --runs N       runs per server and scenario (3)
 *   --duration S   measured seconds per run (10)
 *   --warmup S     unmeasured seconds of the same load before each run (2),
 *                  so the JIT and the kernel's socket buffers settle first
 *   --quiet-wait S before each run, wait up to S seconds for the machine to
 *                  be idle (30; 0 skips the check), see quiet.mjs
 *   --redo N       repeat a run up to N times when other processes used more
 *                  than 15% of a core during it (2; 0 keeps every run)
 *   --quick        smoke test: 1 run of 3 s after 1 s of warm-up, no quiet
 *                  wait, no redo; explicit flags still win
 *   --help
 *
 * A benchmark adds its own flags through `extra` (node:util parseArgs
 * option descriptors) and documents them in its `usage`.
 */
import { parseArgs } from 'node:util';

/** The shared flags, for benchmarks' usage lines. */
export const COMMON_FLAGS = '[--quick] [--runs N (3)] [--duration S (10)] [--warmup S (2)] [--quiet-wait S (30)] [--redo N (2)]';

const DEFAULTS = { runs: 3, duration: 10, warmup: 2, 'quiet-wait': 30, redo: 2 };
const QUICK = { runs: 1, duration: 3, warmup: 1, 'quiet-wait': 0, redo: 0 };

export function parseBenchOptions({ usage, extra = {} }) {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        runs: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        'quiet-wait': { type: 'string' },
        redo: { type: 'string' },
        quick: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
        ...extra,
      },
    }));
  } catch (error) {
    console.error(`${error.message}\n\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const base = values.quick ? QUICK : DEFAULTS;
  const number = (name, min) => {
    const n = values[name] === undefined ? base[name] : Number(values[name]);
    if (!Number.isFinite(n) || n < min) {
      console.error(`--${name} must be a number >= ${min}\n\n${usage}`);
      process.exit(2);
    }
    return n;
  };
  return {
    runs: Math.floor(number('runs', 1)),
    durationS: number('duration', 1),
    warmupS: number('warmup', 0),
    quietWaitS: number('quiet-wait', 0),
    redo: Math.floor(number('redo', 0)),
    quick: values.quick,
    values,
  };
}

/** Reads an integer flag from parsed values, exiting with `usage` if it isn't one >= min. */
export function integerFlag(values, name, min, usage) {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer >= ${min}\n\n${usage}`);
    process.exit(2);
  }
  return n;
}
