/**
 * The soak servers' report channel: on SIGUSR2 the process collects its
 * garbage (twice, when started with --expose-gc) and writes its connection
 * count and memory to the file named by $SOAK_STATS, atomically (write, then
 * rename). A signal, not a route: a server whose every slot is held or leaked
 * still answers it, and the report does not count a connection of its own.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** VmRSS and VmHWM of this process (bytes), from /proc. */
function residentBytes() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), peakRss: kib('VmHWM') };
}

/** Answers SIGUSR2 with `{ ...await counts(), rss, peakRss, heapUsed }` in $SOAK_STATS. */
export function reportStatsOnSignal(counts) {
  const path = process.env.SOAK_STATS;
  if (!path) return;
  process.on('SIGUSR2', async () => {
    globalThis.gc?.();
    globalThis.gc?.();
    const stats = { ...(await counts()), ...residentBytes(), heapUsed: process.memoryUsage().heapUsed };
    writeFileSync(`${path}.tmp`, JSON.stringify(stats));
    renameSync(`${path}.tmp`, path);
  });
}

/** SOAK_OPTIONS as an object ({} when unset). */
export function soakOptions() {
  return JSON.parse(process.env.SOAK_OPTIONS ?? '{}');
}
