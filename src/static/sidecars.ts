/**
 * Which precompressed sidecars (`app.js.br`, `app.js.gz`) a file has, found
 * by a stat of each candidate name (on the event loop while stats are fast,
 * path-stat.ts) and remembered per file, so that a
 * request costs no stat for them in the usual case: the answer stands while
 * the file keeps its identity, and absence is re-checked every
 * SIDECAR_RECHECK_MS. A sidecar that is found is still checked when used
 * (a stat or open of its own): a deleted or replaced one is never served.
 */
import type { Stats } from 'node:fs';
import { SIDECAR_CODINGS, sidecarPath, type SidecarCoding } from '../compress/index.js';
import { isSameFile, type FileStamp } from './file-cache.js';
import { createPathStatter, statPathNow } from './path-stat.js';
import { SIDECAR_INDEX_MAX_ENTRIES, SIDECAR_RECHECK_MS } from './options.js';

/** A sidecar file found beside a file. */
export type Sidecar = {
  readonly coding: SidecarCoding;
  /** Its filesystem path (the file's path plus the coding's suffix). */
  readonly path: string;
};

type Known = {
  /** The file's identity when its sidecars were looked for. */
  readonly stamp: FileStamp;
  /** When they were looked for (ms since the epoch). */
  readonly checkedAt: number;
  readonly found: readonly Sidecar[];
};

/** Sidecars known per file path, least recently looked for first. */
export type SidecarIndex = {
  readonly known: Map<string, Known>;
  readonly maxEntries: number;
};

const NONE: readonly Sidecar[] = [];

export function createSidecarIndex(maxEntries = SIDECAR_INDEX_MAX_ENTRIES): SidecarIndex {
  return { known: new Map(), maxEntries };
}

/**
 * The sidecars of the file at `path` whose identity is `stamp` (from a stat
 * the caller made anyway). A sidecar counts when it is a regular file not
 * older than the file: one left over from before the file was last written
 * holds old content (gzip -k and brotli -k give the sidecar the file's own
 * mtime, so equal counts as fresh).
 */
export function findSidecars(
  index: SidecarIndex,
  path: string,
  stamp: FileStamp,
  now = Date.now(),
  stats = createPathStatter(),
): readonly Sidecar[] | Promise<readonly Sidecar[]> {
  const known = sidecarsKnownNow(index, path, stamp, now);
  if (known !== undefined) return known;
  const found = SIDECAR_CODINGS.map((coding) => statPathNow(stats, sidecarPath(path, coding)));
  if (found.some((st) => st instanceof Promise)) return Promise.all(found).then((sts) => remember(index, path, stamp, now, sts));
  return remember(index, path, stamp, now, found as (Stats | null)[]);
}

/** Keeps what the stats of `path`'s sidecar candidates (in SIDECAR_CODINGS order) show, and returns it. */
function remember(index: SidecarIndex, path: string, stamp: FileStamp, now: number, stats: (Stats | null)[]): readonly Sidecar[] {
  let found = NONE;
  for (let i = 0; i < SIDECAR_CODINGS.length; i++) {
    const st: Stats | null = stats[i]!;
    if (st !== null && isFreshSidecar(st, stamp)) {
      const coding = SIDECAR_CODINGS[i]!;
      found = [...found, { coding, path: sidecarPath(path, coding) }];
    }
  }
  index.known.delete(path);
  if (index.known.size >= index.maxEntries) {
    const oldest = index.known.keys().next();
    if (!oldest.done) index.known.delete(oldest.value);
  }
  index.known.set(path, { stamp, checkedAt: now, found });
  return found;
}

/** What findSidecars() would answer without a stat (the file unchanged, looked at recently); undefined when it must look. */
function sidecarsKnownNow(index: SidecarIndex, path: string, stamp: FileStamp, now: number): readonly Sidecar[] | undefined {
  const known = index.known.get(path);
  if (known !== undefined && now - known.checkedAt < SIDECAR_RECHECK_MS && isSameFile(known.stamp, stamp)) return known.found;
  return undefined;
}

/**
 * What is known of `path`'s sidecars without touching the disk: when some
 * were found within SIDECAR_RECHECK_MS, them and the file's identity then.
 */
export function knownSidecars(index: SidecarIndex, path: string, now = Date.now()): { stamp: FileStamp; found: readonly Sidecar[] } | undefined {
  const known = index.known.get(path);
  if (known === undefined || known.found.length === 0 || now - known.checkedAt >= SIDECAR_RECHECK_MS) return undefined;
  return known;
}

/** A sidecar that may stand for a file: a regular file, not older than it. */
export function isFreshSidecar(sidecar: Pick<Stats, 'mtimeMs' | 'isFile'>, file: Pick<FileStamp, 'mtimeMs'>): boolean {
  return sidecar.isFile() && sidecar.mtimeMs >= file.mtimeMs;
}

/** Forgets what is known of `path`'s sidecars (one turned out to be gone or stale). */
export function forgetSidecars(index: SidecarIndex, path: string): void {
  index.known.delete(path);
}
