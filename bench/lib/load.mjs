/**
 * Load generators as pinned, time-bounded child processes. `runLoad` runs any
 * command on the load CPU and kills it if it overstays; `nodeClientLoad`
 * wraps a Node load generator that follows the convention of bench/clients/:
 * it accepts `--port P --duration S` and prints, last, one line
 * `RESULT {json}` with its measurements. Both report the load generator's
 * CPU use, so a saturated load generator (which caps every server at the
 * same figure and squeezes ratios toward 1) shows in the results.
 */
import { REPO_ROOT } from './paths.mjs';
import { exitsWithin, killGroup, spawnChild, tail } from './children.mjs';
import { LOAD_CPU, pinned } from './pinning.mjs';

/** Extra time a load generator gets beyond its duration before SIGKILL, in ms. */
export const LOAD_KILL_GRACE_MS = 15_000;

/**
 * Runs the command through sh, whose `times` builtin then reports the CPU
 * time of its finished children on stderr: the load generator's own CPU use,
 * whatever program it is.
 */
const WITH_CPU_TIMES = ['sh', '-c', '"$@"; status=$?; times >&2; exit $status', 'sh'];
const TIMES_OUTPUT = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s\s*$/;
const TIMES_LINES = /^\d+m[\d.]+s \d+m[\d.]+s\n?/gm;

/**
 * Runs `argv` pinned to the load CPU. Resolves with `{ stdout, cpu }`, cpu
 * being the share of one core it used over its lifetime (null if unknown).
 * Rejects when it exits non-zero or is still running `durationS` seconds plus
 * LOAD_KILL_GRACE_MS after it started (it is then killed).
 */
export async function runLoad(argv, durationS) {
  const started = performance.now();
  const child = spawnChild(pinned(LOAD_CPU, [...WITH_CPU_TIMES, ...argv]), { cwd: REPO_ROOT });
  const stdout = tail(child.stdout, 64 * 1024);
  const stderr = tail(child.stderr);
  const deadline = durationS * 1000 + LOAD_KILL_GRACE_MS;
  if (!(await exitsWithin(child, deadline))) {
    killGroup(child, 'SIGKILL');
    await child.exited;
    throw new Error(`load generator still running after ${deadline} ms, killed: ${argv.join(' ')}`);
  }
  const { code, signal, error } = await child.exited;
  if (error) throw new Error(`cannot run ${argv[0]}: ${error.message}`);
  if (code !== 0) {
    const detail = (stderr.text.replace(TIMES_LINES, '') || stdout.text).trim();
    throw new Error(`load generator failed (code ${code}, signal ${signal}): ${argv.join(' ')}\n  ${detail}`);
  }
  const times = TIMES_OUTPUT.exec(stderr.text);
  const wallSeconds = (performance.now() - started) / 1000;
  const cpuSeconds = times ? Number(times[1]) * 60 + Number(times[2]) + Number(times[3]) * 60 + Number(times[4]) : null;
  return { stdout: stdout.text, cpu: cpuSeconds === null ? null : cpuSeconds / wallSeconds };
}

/**
 * A scenario `measure` function for a Node load generator in bench/clients/.
 * `args` are passed after `--port P --duration S`; `valueKey` names the field
 * of the RESULT object that is the benchmark's figure (higher is better).
 */
export function nodeClientLoad(script, args, valueKey) {
  return async ({ port, durationS }) => {
    const argv = [process.execPath, script, '--port', String(port), '--duration', String(durationS), ...args];
    const { stdout, cpu } = await runLoad(argv, durationS);
    const line = stdout
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('RESULT '));
    if (line === undefined) throw new Error(`${script} printed no RESULT line:\n${stdout}`);
    const result = JSON.parse(line.slice('RESULT '.length));
    const value = result[valueKey];
    if (typeof value !== 'number') throw new Error(`${script}: RESULT has no number "${valueKey}"`);
    return { value, loadCpu: cpu, details: result };
  };
}
