/**
 * Where the directories under a root really are (symlinks resolved),
 * remembered for `recheckMs`, so that a small file read on the event loop
 * (locate.ts readSmallFileNow) is confined to the root without resolving
 * every component of its path on every request: glibc's realpath() costs a
 * readlink per component, six for /srv/site/tree/7/42.txt, which were 42 %
 * of the system calls serving 10,000 files at random.
 *
 * Remembering a directory's real path does not widen what can be served:
 * the file is opened as that real path plus its name with O_NOFOLLOW, and
 * what the descriptor then names (/proc/self/fd on Linux) must be exactly
 * that path, else the request takes the resolving way. A directory swapped
 * for a symlink meanwhile is caught there, after the open; a symlink left in
 * the tree that leads outside is refused before any open.
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
  /** The real path, or null when it lies outside the root. */
  readonly real: string | null;
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
  let known = dirs.known.get(dir);
  if (known === undefined || now - known.resolvedAt >= dirs.trustMs) {
    let real: string;
    try {
      real = realpathSync.native(dir);
    } catch {
      dirs.known.delete(dir);
      return null;
    }
    known = { real: isInside(real, realRoot) ? real : null, resolvedAt: now };
    // Bounded: a client asking for ever new directories only makes it start over.
    if (dirs.known.size >= dirs.maxEntries) dirs.known.clear();
    dirs.known.set(dir, known);
  }
  if (known.real === null) return null;
  // "/" is the one real path that ends with a separator.
  return known.real.endsWith(sep) ? known.real + path.slice(slash + 1) : known.real + path.slice(slash);
}
