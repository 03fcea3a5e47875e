/**
 * An in-memory LRU cache of small files: memory beats read(). An entry is
 * keyed by its path and remembers the identity of the file it was read from
 * (device, inode, size, mtime, ctime). A hit within `recheckMs` of the last
 * check is served without touching the disk; after that, a stat of the path
 * must show the same identity again, else the entry is dropped. So a
 * changed file is served stale for at most `recheckMs`, and always as one
 * consistent version: its bytes with their own validators.
 *
 * An entry also keeps the file's compressed forms, one per coding, made once
 * (compressed-file.ts) and counted in the same budget: they are dropped with
 * the entry, so a changed file is never served compressed from old bytes.
 */
import type { Stats } from 'node:fs';
import type { Coding } from '../compress/index.js';
import { CACHE_SETTLE_MS } from './options.js';
import { createPathStatter, statPath, statPathNow, type PathStatter } from './path-stat.js';
import type { Representation } from './representation.js';

/** What identifies a file's content without reading it. */
export type FileStamp = Pick<Stats, 'dev' | 'ino' | 'size' | 'mtimeMs' | 'ctimeMs'>;

/** Bytes of a representation with the representation itself. */
export type CachedBytes = {
  readonly bytes: Buffer;
  readonly rep: Representation;
};

export type CachedFile = {
  /** Filesystem path the entry was read from (the cache key). */
  readonly path: string;
  readonly stamp: FileStamp;
  /** The whole file. */
  readonly bytes: Buffer;
  /** Its identity representation, with header fields built once. */
  readonly rep: Representation;
  /** The file compressed, by coding (see cacheAddCompressed); null until there is one (most files never are). */
  compressed: Map<Coding, CachedBytes> | null;
  /** Compressions of `bytes` under way, shared by the requests that wait for them; null while there is none. */
  compressing: Map<Coding, Promise<CachedBytes>> | null;
  /** `rep` with Vary: Accept-Encoding, once needed. */
  varied: Representation | undefined;
  /** These bytes as another file's sidecar (that file's Content-Type, Content-Encoding), once needed. */
  asSidecar: Representation | undefined;
  /** Whether the file may be compressed on the fly (isCompressibleFile), once asked. */
  compressible: boolean | undefined;
  /** Bytes held: the file plus its compressed forms. */
  size: number;
  /** When a stat last showed the file unchanged (ms since the epoch). */
  checkedAt: number;
  /** Looked up since it was stored or last given a second chance (see makeRoom). */
  used: boolean;
};

export type FileCache = {
  /**
   * Entries, oldest first: in the order they were stored or last given a
   * second chance (a Map iterates in insertion order; see makeRoom).
   */
  readonly entries: Map<string, CachedFile>;
  /** Sum of the entries' sizes (bytes). */
  bytes: number;
  /** Limit on `bytes`. */
  readonly maxBytes: number;
  /** Largest file admitted (bytes). */
  readonly maxFileBytes: number;
  /** Entries being read, by path (see cacheFill). */
  readonly filling: Map<string, Promise<CachedFile | null>>;
  /** How entries are checked against their files. */
  readonly stats: PathStatter;
  /** How long a check is trusted (ms); see DEFAULT_RECHECK_MS. */
  readonly recheckMs: number;
};

export function createFileCache(maxBytes: number, maxFileBytes: number, stats = createPathStatter(), recheckMs = 0): FileCache {
  return {
    entries: new Map(),
    bytes: 0,
    maxBytes,
    maxFileBytes: Math.min(maxFileBytes, maxBytes),
    filling: new Map(),
    stats,
    recheckMs,
  };
}

/**
 * Reads a file into a new entry (whose identity representation is `rep`)
 * and stores it. Requests that miss the same file at the same time share
 * one read, and then one entry: what is derived from it later (its
 * compressed forms) is made once for all of them. Null when `read` finds
 * the file changed (not `stamp.size` bytes long any more).
 */
export async function cacheFill(
  cache: FileCache,
  path: string,
  stamp: FileStamp,
  rep: Representation,
  read: () => Promise<Buffer | null>,
): Promise<CachedFile | null> {
  const other = cache.filling.get(path);
  if (other !== undefined) {
    const entry = await other;
    if (entry !== null && isSameFile(entry.stamp, stamp)) return entry;
  }
  // Another request may have filled it between our lookup and now.
  const stored = cache.entries.get(path);
  if (stored !== undefined && isSameFile(stored.stamp, stamp)) return stored;
  const filling = read().then((bytes) => {
    if (bytes === null) return null;
    const entry = cacheEntry(path, stamp, bytes, rep);
    cacheStore(cache, entry);
    return entry;
  });
  cache.filling.set(path, filling);
  try {
    return await filling;
  } finally {
    if (cache.filling.get(path) === filling) cache.filling.delete(path);
  }
}

/** A new entry for a file read whole; store it with cacheStore. */
export function cacheEntry(path: string, stamp: FileStamp, bytes: Buffer, rep: Representation): CachedFile {
  return {
    path,
    stamp,
    bytes,
    rep,
    compressed: null,
    compressing: null,
    varied: undefined,
    asSidecar: undefined,
    compressible: undefined,
    size: bytes.length,
    checkedAt: Date.now(),
    used: false,
  };
}

/**
 * The entry for `path`, marked used; not yet checked against the file.
 * Marking is all a hit costs: moving the entry to the Map's end on every hit
 * (exact LRU) took 8 % of the CPU serving a cached file to pipelined
 * requests; makeRoom moves only the entries it would evict.
 */
export function cacheLookup(cache: FileCache, path: string): CachedFile | undefined {
  const entry = cache.entries.get(path);
  if (entry !== undefined) entry.used = true;
  return entry;
}

/**
 * The entry for `path` if a stat of the path shows it is still the file it
 * was read from, with that stat; null otherwise (a stale entry is dropped).
 */
export async function cacheLookupChecked(cache: FileCache, path: string): Promise<{ entry: CachedFile; stat: Stats } | null> {
  const entry = cacheLookup(cache, path);
  if (entry === undefined) return null;
  const st = await statPath(cache.stats, path);
  return confirmed(cache, entry, st) ? { entry, stat: st! } : null;
}

/**
 * The entry for `path` when it may be served now: checked less than
 * `recheckMs` ago, or found unchanged by a stat now, synchronously while
 * stats are fast (path-stat.ts), else through the thread pool (a promise).
 * Undefined when there is none or it is stale (then it is dropped).
 */
export function cacheLookupFresh(cache: FileCache, path: string, now: number): CachedFile | undefined | Promise<CachedFile | undefined> {
  const entry = cacheLookup(cache, path);
  if (entry === undefined || now - entry.checkedAt < cache.recheckMs) return entry;
  const st = statPathNow(cache.stats, path);
  if (st instanceof Promise) return st.then((s) => (confirmed(cache, entry, s, now) ? entry : undefined));
  return confirmed(cache, entry, st, now) ? entry : undefined;
}

/** True when `st` shows the entry's file unchanged (its check is renewed); else the entry is dropped. */
function confirmed(cache: FileCache, entry: CachedFile, st: Stats | null, now = Date.now()): boolean {
  if (st !== null && isSameFile(entry.stamp, st)) {
    entry.checkedAt = now;
    return true;
  }
  cacheDeleteEntry(cache, entry);
  return false;
}

/** True when a stat of the entry's path still describes the file the entry was read from. */
export function isSameFile(a: FileStamp, b: FileStamp): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/**
 * True when a file with this stamp may be cached now: small enough, and not
 * changed within CACHE_SETTLE_MS (a write in the same timestamp tick as our
 * stat would otherwise go unnoticed).
 */
export function isCacheable(cache: FileCache, stamp: FileStamp, now = Date.now()): boolean {
  return (
    stamp.size <= cache.maxFileBytes &&
    now - stamp.mtimeMs >= CACHE_SETTLE_MS &&
    now - stamp.ctimeMs >= CACHE_SETTLE_MS
  );
}

/** Adds (or replaces) an entry, evicting least recently used ones to stay within maxBytes. */
export function cacheStore(cache: FileCache, entry: CachedFile): void {
  if (entry.size > cache.maxFileBytes) return;
  cacheDelete(cache, entry.path);
  makeRoom(cache, entry.size, null);
  cache.entries.set(entry.path, entry);
  cache.bytes += entry.size;
}

/**
 * Keeps `coded` as the entry's form in `coding`, evicting other entries if
 * needed. Not kept when the entry has left the cache meanwhile (nobody would
 * find it) or when the entry with it would not fit the whole budget.
 */
export function cacheAddCompressed(cache: FileCache, entry: CachedFile, coding: Coding, coded: CachedBytes): void {
  if (cache.entries.get(entry.path) !== entry || entry.compressed?.has(coding)) return;
  const added = coded.bytes.length;
  if (entry.size + added > cache.maxBytes) return;
  makeRoom(cache, added, entry);
  (entry.compressed ??= new Map()).set(coding, coded);
  entry.size += added;
  cache.bytes += added;
}

/**
 * Evicts entries, oldest first and never `keep`, until `bytes` more fit:
 * least recently used, approximately (the CLOCK or second-chance
 * algorithm). An entry used since it was stored or last passed here is
 * moved to the end, unused, instead of evicted; the loop then visits it
 * again after the others, so it ends.
 */
function makeRoom(cache: FileCache, bytes: number, keep: CachedFile | null): void {
  const entries = cache.entries;
  for (const old of entries.values()) {
    if (cache.bytes + bytes <= cache.maxBytes) break;
    if (old === keep) continue;
    if (old.used) {
      old.used = false;
      entries.delete(old.path);
      entries.set(old.path, old);
    } else {
      cacheDeleteEntry(cache, old);
    }
  }
}

export function cacheDelete(cache: FileCache, path: string): void {
  const old = cache.entries.get(path);
  if (old !== undefined) cacheDeleteEntry(cache, old);
}

/** Removes `entry` if it is still the one cached under its path. */
function cacheDeleteEntry(cache: FileCache, entry: CachedFile): void {
  if (cache.entries.get(entry.path) !== entry) return;
  cache.entries.delete(entry.path);
  cache.bytes -= entry.size;
}
