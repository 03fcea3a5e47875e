/**
 * CPU time of a process tree from /proc, to tell whether the server was the
 * bottleneck: a server at ~100% of its core is saturated, one well below means
 * the load generator (or the network path) limited the run. Linux only;
 * elsewhere the readings are null and the report shows "-".
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** [ppid, utime + stime in ticks] from /proc/<pid>/stat, or null. */
function readStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may contain spaces and parentheses; fields
  // after the last ')' are fixed: state ppid ... utime(14) stime(15).
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return [Number(fields[1]), Number(fields[11]) + Number(fields[12])];
}

/**
 * User + system CPU seconds used so far by `pid` and all its descendants
 * (nginx's workers, for one), or null when /proc can't tell.
 */
export function treeCpuSeconds(pid) {
  const own = readStat(pid);
  if (own === null) return null;
  const children = new Map(); // ppid -> [pid, ticks][]
  let pids;
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return own[1] / CLOCK_TICKS_PER_SECOND;
  }
  for (const name of pids) {
    const stat = readStat(name);
    if (stat === null) continue;
    const list = children.get(stat[0]) ?? [];
    list.push([Number(name), stat[1]]);
    children.set(stat[0], list);
  }
  let ticks = own[1];
  const queue = [pid];
  while (queue.length > 0) {
    for (const [child, childTicks] of children.get(queue.pop()) ?? []) {
      ticks += childTicks;
      queue.push(child);
    }
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/**
 * CPU seconds spent in user and system mode on all CPUs so far, from
 * /proc/stat, or null. Over a run, this minus the server's and the load
 * generator's share is what everything else on the machine took: on a shared
 * machine, the sign that a run was disturbed.
 */
export function systemBusySeconds() {
  let text;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  const [user, nice, system] = text.slice(0, text.indexOf('\n')).split(/\s+/).slice(1, 4).map(Number);
  return (user + nice + system) / CLOCK_TICKS_PER_SECOND;
}
