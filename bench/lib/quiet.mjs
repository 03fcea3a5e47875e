/**
 * Waiting for a quiet machine. On a shared box (other people's test suites,
 * a compiler), a run that starts while something else keeps a core busy
 * measures the neighbour as much as the server. Before each run the harness
 * samples the machine's CPU use and waits, up to a limit, until it is idle;
 * after it, a run during which others used more than QUIET_BELOW counts as
 * disturbed and is repeated (see compare.mjs).
 */
import { systemBusySeconds } from './procstat.mjs';

/**
 * Share of one core (all CPUs together) that other processes may use while
 * the machine still counts as quiet, before a run and during one.
 */
export const QUIET_BELOW = 0.15;
/** Length of one sample, in milliseconds. */
const SAMPLE_MS = 1000;

/** Share of one core the whole machine used over the next SAMPLE_MS, or null. */
async function sampleBusy() {
  const before = systemBusySeconds();
  await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
  const after = systemBusySeconds();
  return before === null || after === null ? null : (after - before) / (SAMPLE_MS / 1000);
}

/**
 * Resolves once the machine was quiet for one sample, or after `maxWaitS`
 * seconds (with a warning). 0 skips the check.
 */
export async function waitForQuiet(maxWaitS) {
  if (maxWaitS <= 0) return;
  const deadline = performance.now() + maxWaitS * 1000;
  let told = false;
  for (;;) {
    const busy = await sampleBusy();
    if (busy === null || busy < QUIET_BELOW) {
      if (told) console.error('  quiet now');
      return;
    }
    if (performance.now() >= deadline) {
      console.error(`  still ${Math.round(busy * 100)}% busy after ${maxWaitS} s; running anyway`);
      return;
    }
    if (!told) console.error(`  waiting for a quiet machine (others use ${Math.round(busy * 100)}% of a core)...`);
    told = true;
  }
}
