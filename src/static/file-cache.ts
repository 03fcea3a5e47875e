/**
 * An in-memory LRU cache of small files: memory beats read(). An entry is
 * keyed by its path and remembers the identity of the file it was read from
 * (device, inode, size, mtime, ctime); a hit is only served after a stat of
 * the path shows the same identity, so a changed file is never served stale.
 * That costs one stat per request and no open.
 */
import type { Stats } from 'node:fs';
import { CACHE_SETTLE_MS } from './options.js';
import type { Representation } from './representation.js';

/** What identifies a file's content without reading it. */
export type FileStamp = Pick<Stats, 'dev' | 'ino' | 'size' | 'mtimeMs' | 'ctimeMs'>;

export type CachedFile = {
  /** Filesystem path the entry was read from (the cache key). */
  readonly path: string;
  readonly stamp: FileStamp;
  /** The whole file. */
  readonly bytes: Buffer;
  /** Its representation, with header fields built once. */
  readonly rep: Representation;
};

export type FileCache = {
  /** Entries in least- to most-recently-used order (a Map iterates in insertion order). */
  readonly entries: Map<string, CachedFile>;
  /** Sum of the entries' sizes (bytes). */
  bytes: number;
  /** Limit on `bytes`. */
  readonly maxBytes: number;
  /** Largest file admitted (bytes). */
  readonly maxFileBytes: number;
};

export function createFileCache(maxBytes: number, maxFileBytes: number): FileCache {
  return { entries: new Map(), bytes: 0, maxBytes, maxFileBytes: Math.min(maxFileBytes, maxBytes) };
}

/** The entry for `path`, marked most recently used; not yet checked against the file. */
export function cacheLookup(cache: FileCache, path: string): CachedFile | undefined {
  const entry = cache.entries.get(path);
  if (entry !== undefined) {
    cache.entries.delete(path);
    cache.entries.set(path, entry);
  }
  return entry;
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
  if (entry.bytes.length > cache.maxFileBytes) return;
  cacheDelete(cache, entry.path);
  for (const old of cache.entries.values()) {
    if (cache.bytes + entry.bytes.length <= cache.maxBytes) break;
    cacheDelete(cache, old.path);
  }
  cache.entries.set(entry.path, entry);
  cache.bytes += entry.bytes.length;
}

export function cacheDelete(cache: FileCache, path: string): void {
  const old = cache.entries.get(path);
  if (old === undefined) return;
  cache.entries.delete(path);
  cache.bytes -= old.bytes.length;
}
