/** The process's peak resident set size so far, in bytes (VmHWM; maxRSS where /proc is missing). */
import { readFileSync } from 'node:fs';

export function peakRssBytes() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
