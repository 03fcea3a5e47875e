/**
 * CPU pinning with taskset(1). The server runs on one core and the load
 * generator on another, so neither steals the other's cycles and the
 * scheduler cannot migrate them mid-run. Without taskset, or when a CPU is not
 * in this process's affinity mask, commands run unpinned after one warning:
 * the numbers are then noisier, but the ratios still mean something.
 */
import { spawnSync } from 'node:child_process';

/** The core the server under test runs on. */
export const SERVER_CPU = 0;
/** The core the load generator runs on. */
export const LOAD_CPU = 1;

/** cpu -> whether `taskset -c cpu` works here; probed once per CPU. */
const probed = new Map();
let warnedMissing = false;

/** Whether commands can be pinned to `cpu`; warns (once) when they can't. */
export function canPin(cpu) {
  let ok = probed.get(cpu);
  if (ok === undefined) {
    const r = spawnSync('taskset', ['-c', String(cpu), 'true'], { stdio: 'ignore' });
    ok = r.status === 0;
    probed.set(cpu, ok);
    if (!ok && r.error) {
      if (!warnedMissing) console.warn('warning: taskset is not installed (apt-get install -y util-linux); running unpinned, expect more noise');
      warnedMissing = true;
    } else if (!ok) {
      console.warn(`warning: cannot pin to CPU ${cpu} (not in this process's CPU set); running that side unpinned`);
    }
  }
  return ok;
}

/** `argv` prefixed with `taskset -c <cpu>` when pinning works. */
export function pinned(cpu, argv) {
  return canPin(cpu) ? ['taskset', '-c', String(cpu), ...argv] : argv;
}

/** One line for report headers: where the server and the load ran. */
export function pinningSummary() {
  const where = (cpu) => (canPin(cpu) ? `on CPU ${cpu}` : 'unpinned');
  return `server ${where(SERVER_CPU)}, load generator ${where(LOAD_CPU)}`;
}
