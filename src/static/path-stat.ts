/**
 * Stats of paths on the hot path (checking a cached file, or the file a
 * known sidecar stands for, looking for sidecars), and the reads of small
 * files (locate.ts openFileNow, open-file.ts): on the event loop while such calls are fast,
 * through the thread pool for good once they prove slow (SYNC_STAT_MAX_MS
 * says why, SYNC_STAT_SLOW_LIMIT when).
 */
import { statSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { SYNC_STAT_MAX_MS, SYNC_STAT_SLOW_LIMIT } from './options.js';

export type PathStatter = {
  /** Stat with statSync; false once stats proved slow. */
  sync: boolean;
  /** Slow synchronous stats net of fast ones. */
  slow: number;
};

export function createPathStatter(): PathStatter {
  return { sync: true, slow: 0 };
}

/** A stat of `path` (following symlinks); null when it fails (absent, ENOTDIR, EACCES...). */
export async function statPath(s: PathStatter, path: string): Promise<Stats | null> {
  return statPathNow(s, path);
}

/** statPath(), with the answer at once while stats are synchronous. */
export function statPathNow(s: PathStatter, path: string): Stats | null | Promise<Stats | null> {
  if (!s.sync) return stat(path).catch(() => null);
  const started = performance.now();
  let st: Stats | undefined;
  try {
    st = statSync(path, { throwIfNoEntry: false });
  } catch {
    st = undefined;
  }
  countSyncCall(s, started);
  return st ?? null;
}

/**
 * Counts a synchronous filesystem call that began at `started`
 * (performance.now()) against SYNC_STAT_MAX_MS: slow ones, net of fast ones,
 * switch the statter to the thread pool for good.
 */
export function countSyncCall(s: PathStatter, started: number): void {
  if (performance.now() - started <= SYNC_STAT_MAX_MS) {
    if (s.slow > 0) s.slow--;
  } else if (++s.slow >= SYNC_STAT_SLOW_LIMIT) {
    s.sync = false;
  }
}
