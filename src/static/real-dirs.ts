/**
 * Where the directories under a root really are (symlinks resolved),
 * remembered for `recheckMs`, so that a small file read on the event loop
 * (locate.ts openFileNow) is confined to the root without resolving
 * every component of its path on every request: glibc's realpath() costs a
 * readlink per component, six for /srv/site/tree/7/42.txt, which were 42 %
 * of the system calls serving 10,000 files at random.
 *
 * Remembering a directory's real path does not widen what can be served:
 * the file is opened as that real path plus its name with O_NOFOLLOW, and
 * what the descriptor then names (/proc/self/fd on Linux) must be exactly
 * that path, else the request takes the resolving way. A directory swapped
 * for a symlink meanwhile is caught there, after the open; a symlink left in
 * the tree that leads outside is refused before any open. A root that moves
 * (a "current" symlink switched by a deploy) is noticed like any change,
 * within `recheckMs`; once it is, directories resolved under the old one
 * are resolved again.
 */
import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { isInside } from './locate.js';
import { REAL_DIRS_MAX_ENTRIES } from './options.js';

export type RealDirs = {
  /** By directory path (the root joined with normalised segments). */
  readonly known: Map<string, RealDir>;
  /** How long a resolution is trusted (ms). */
  readonly trustMs: number;
  readonly maxEntries: number;
};

type RealDir = {
  /** The real path (inside the root or not: the root may move). */
  readonly path: string;
  /** When it was resolved (ms since the epoch). */
  readonly resolvedAt: number;
};

/** Where files must be found: the root's real path, with the directories remembered under it. */
export type Inside = { readonly realRoot: string; readonly dirs: RealDirs };

export function createRealDirs(trustMs: number, maxEntries = REAL_DIRS_MAX_ENTRIES): RealDirs {
  return { known: new Map(), trustMs, maxEntries };
}

/**
 * The real path of `path` (a file under the root) as its directory's real
 * path plus its name, when that directory lies inside `realRoot`; null when
 * it does not, or cannot be resolved (missing, not a directory). Throws
 * nothing. The file itself is not looked at: open it with O_NOFOLLOW and
 * confirm with locate.ts isOpenedAs().
 */
export function realPathByDirectory(dirs: RealDirs, path: string, realRoot: string, now: number): string | null {
  const slash = path.lastIndexOf(sep);
  const dir = slash === 0 ? sep : path.slice(0, slash);
  let real = dirs.known.get(dir);
  // Resolved again once its time is up, or when it is not inside the root as
  // resolved now (the root moved: a "current" symlink switched by a deploy).
  if (real === undefined || now - real.resolvedAt >= dirs.trustMs || !isInside(real.path, realRoot)) {
    try {
      real = { path: realpathSync.native(dir), resolvedAt: now };
    } catch {
      dirs.known.delete(dir);
      return null;
    }
    if (dirs.trustMs > 0) {
      // Bounded: a client asking for ever new directories only makes it start over.
      if (dirs.known.size >= dirs.maxEntries) dirs.known.clear();
      dirs.known.set(dir, real);
    }
    if (!isInside(real.path, realRoot)) return null;
  }
  // "/" is the one real path that ends with a separator.
  return real.path.endsWith(sep) ? real.path + path.slice(slash + 1) : real.path + path.slice(slash);
}
