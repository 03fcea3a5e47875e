/**
 * The static file handler's options, their defaults, and its limits, in one
 * place. Every limit is a named constant with its unit.
 */
import type { CompressionOptions } from '../compress/index.js';

/** Largest total size of the in-memory file cache (bytes). */
export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Largest file the in-memory cache holds (bytes). Above about 1 MiB a file
 * costs more to keep than to read: the copy into the socket dominates, and
 * a few big files would push out many small hot ones.
 */
export const DEFAULT_CACHE_MAX_FILE_BYTES = 1024 * 1024;

/**
 * Most bytes a file reader asks of one read (bytes); it holds two buffers of
 * this size (one being sent, one being read ahead), smaller for small files.
 * Measured serving a 1 MiB file uncached (CPU per request, all threads):
 * 64 KiB 1.5-1.8 ms, 256 KiB 1.0 ms, 1 MiB 0.8 ms; node:http with
 * fs.createReadStream 1.6 ms. 256 KiB gets most of the gain while a slow
 * download holds 512 KiB, not 2 MiB.
 */
export const DEFAULT_READ_BUFFER_BYTES = 256 * 1024;

/**
 * Most memory kept in free read buffers for reuse (bytes): 64 buffers of the
 * default size, enough for 32 downloads at once without allocating.
 */
export const READ_BUFFER_POOL_BYTES = 16 * 1024 * 1024;

/**
 * A file modified less than this long ago (ms) is served but not cached: file
 * timestamps are coarse (a few ms on Linux), so a write in the same tick as
 * the stat that keyed the entry would leave the cache stale for good ("racy
 * git" problem).
 */
export const CACHE_SETTLE_MS = 1000;

/**
 * How long what is known of a file on disk is trusted (ms): that it is
 * unchanged, so a cache entry (a file's, a sidecar's) is answered without a
 * stat (the absence of sidecars has its own SIDECAR_RECHECK_MS). The first
 * request after that checks again (a stat of
 * the path), so an edit, a replacement, a deletion or a rename is served
 * within this time, and never with another version's ETag or length: a
 * cache entry holds one version's bytes with that version's validators.
 * Like nginx's open_file_cache_valid (60 s by default there).
 */
export const DEFAULT_RECHECK_MS = 1000;

/** Most distinct request paths whose normalised form is remembered (request-path.ts does the work once per path). */
export const PATH_MEMO_MAX_ENTRIES = 4096;

/** Most directories whose real path is remembered for `recheckMs` (real-dirs.ts); about 200 bytes each. */
export const REAL_DIRS_MAX_ENTRIES = 4096;

/**
 * Longest request path remembered (characters): the paths of a site are
 * short, and a longer one is normalised anew each time, so that the memo
 * holds at most PATH_MEMO_MAX_ENTRIES times a few of these, not times the
 * longest request line.
 */
export const PATH_MEMO_MAX_PATH_LENGTH = 256;

/**
 * The stat that checks a cache entry runs on the event loop (statSync) while
 * such stats take less than this (ms); when they are slow again and again
 * (SYNC_STAT_SLOW_LIMIT) the cache goes through the thread pool for good.
 * On a local filesystem the
 * kernel answers from its inode cache in about a microsecond, while the
 * pool's round trip costs two context switches: measured serving a 13-byte
 * cached file on one pinned core, the pool's stat took a quarter of the CPU
 * profile and left the core idle another quarter. A network filesystem's
 * stat can take milliseconds, which must not block every connection: hence
 * the switch. nginx makes this trade too (its open/fstat are synchronous).
 */
export const SYNC_STAT_MAX_MS = 1;

/**
 * Largest file answered at once when it is not in memory yet (cache on,
 * stats fast): opened, read whole, closed and answered like a cache hit,
 * synchronously, without the thread pool, as nginx does. Measured on 10,000
 * small files requested at random with a cache smaller than the tree: the
 * pool's round trips (realpath, open, fstat, read, close, a stat per sidecar
 * candidate, each two context switches on one core) held weft to a tenth of
 * nginx. A larger file is opened on the event loop too, but answered the
 * usual way (serveOpened), its reads at most SYNC_READ_CALL_MAX_BYTES each.
 */
export const SYNC_READ_MAX_BYTES = 64 * 1024;

/**
 * Largest read made on the event loop from a file opened there (bytes,
 * open-file.ts): a chunk of a file being sent (readBufferBytes), or a file
 * read whole into the cache (cacheMaxFileBytes). A larger one goes through
 * the thread pool, so that no single call holds the event loop much longer
 * than a millisecond: 1 MiB comes from the page cache in about 0.2 ms here.
 */
export const SYNC_READ_CALL_MAX_BYTES = 1024 * 1024;

/**
 * Slow synchronous stats, net of fast ones (each fast stat forgives one slow
 * one), after which a cache stops using them: a lone outlier (a GC pause, the
 * core taken by another thread mid-call) must not count, a slow filesystem
 * must, within a few dozen requests.
 */
export const SYNC_STAT_SLOW_LIMIT = 16;

/**
 * Most range-specs honoured in one Range field. Above it the field is ignored
 * and the whole file is sent (RFC 9110 §14.2 allows ignoring Range): a request
 * must not make the server seek and read one file thousands of times.
 */
export const MAX_RANGES = 32;

/** Most entries a directory listing shows; the rest are left out, and the listing says so. */
export const MAX_LISTING_ENTRIES = 10_000;

/**
 * How long the absence of a sidecar is trusted (ms) while the file itself is
 * unchanged: a `.br` or `.gz` written beside an unchanged file is noticed
 * within this time. Sidecars found are checked on use like any cached file
 * (a stat, once `recheckMs` has passed), and a changed file is looked at
 * again at once. Only absence is remembered
 * blindly, and it only costs a missed saving, never a wrong response.
 */
export const SIDECAR_RECHECK_MS = 2000;

/** Files whose sidecars are remembered (about 200 bytes each); the least recently looked up are forgotten first. */
export const SIDECAR_INDEX_MAX_ENTRIES = 10_000;

/** Directory entries stat()ed at once while building a listing. */
export const LISTING_STAT_CONCURRENCY = 32;

/**
 * The default Cache-Control: caches may store, but must revalidate
 * (validators make that cheap). What "public, max-age=0" meant, without the
 * warning linters give for "public".
 */
export const DEFAULT_CACHE_CONTROL = 'no-cache';

/** What to do with a path that has a segment starting with a dot. */
export type DotfilesPolicy = 'ignore' | 'allow' | 'deny';

export type StaticOptions = {
  /**
   * URL path the root is mounted at ("/assets"): requests outside it get 404,
   * and "/assets/app.js" names <root>/app.js. Default "" (the whole URL space).
   */
  prefix?: string;
  /** File served for a directory URL ("/dir/"); false: none. Default "index.html". */
  index?: string | false;
  /** HTML (or JSON, on Accept: application/json) listing of directories without an index. Default true. */
  listing?: boolean;
  /**
   * Paths with a segment starting with "." (other than a leading
   * "/.well-known/"): "ignore" answers 404 as if absent, "deny" 403,
   * "allow" serves them. Default "ignore".
   */
  dotfiles?: DotfilesPolicy;
  /** Serve symlinks whose target lies outside the root. Default false (404). */
  followSymlinksOutside?: boolean;
  /**
   * Paths (decoded segments below the prefix) answered 404 as if absent and
   * left out of listings: a site's config file, say. Default none.
   */
  hidden?: (segments: readonly string[]) => boolean;
  /**
   * Single-page-app fallback: a missing path whose last segment has no
   * extension is answered with the root's index file, status 200. Default false.
   */
  spa?: boolean;
  /** Cache-Control of file responses. Default "no-cache"; overrides maxAge/immutable. */
  cacheControl?: string;
  /** Builds Cache-Control "public, max-age=<maxAge>" (seconds) when cacheControl is not given. */
  maxAge?: number;
  /** With maxAge: appends ", immutable" (for URLs that change when content changes). */
  immutable?: boolean;
  /** Send a strong ETag (inode, size, mtime). Default true. */
  etag?: boolean;
  /** Send Last-Modified. Default true. */
  lastModified?: boolean;
  /** Keep small files in memory. Default true. */
  cache?: boolean;
  /**
   * How long a file found unchanged is trusted before it is checked again
   * (ms): within it, a file in memory is answered without touching the disk;
   * an edit, a replacement, a deletion or a rename shows within this time,
   * never with a mismatched ETag or length. 0: every request checks (a stat
   * per request). Default 1000.
   */
  recheckMs?: number;
  /** Total bytes of the in-memory cache. Default 64 MiB. */
  cacheMaxBytes?: number;
  /** Largest file kept in memory (bytes). Default 1 MiB. */
  cacheMaxFileBytes?: number;
  /** Size of a file reader's buffer (bytes). Default 256 KiB. */
  readBufferBytes?: number;
  /**
   * Compression of files on the fly (see CompressionOptions in src/compress:
   * encodings, minSize, level, brotliQuality, isCompressible, maxActive),
   * for compressible types of at least minSize bytes without a usable
   * sidecar. Files the memory cache holds are compressed once per coding and
   * kept compressed in the cache (within cacheMaxBytes); larger ones are
   * compressed as they are sent. Never for Range requests (they get identity
   * bytes). `flush` is ignored: files are never flushed, their bytes are
   * all there. false: off (sidecars are still served). Default {} (on, with
   * the compression layer's defaults).
   */
  compression?: false | CompressionOptions;
  /**
   * Serve precompressed sidecars (`app.js.br`, `app.js.gz` beside `app.js`)
   * to clients that accept their coding, with app.js's Content-Type and an
   * ETag of their own. A sidecar older than its file is stale and ignored.
   * Default true.
   */
  precompressed?: boolean;
};

/** Options with every default applied. */
export type StaticSettings = {
  readonly prefix: string;
  readonly index: string | false;
  readonly listing: boolean;
  readonly dotfiles: DotfilesPolicy;
  readonly followSymlinksOutside: boolean;
  readonly hidden: ((segments: readonly string[]) => boolean) | undefined;
  readonly spa: boolean;
  readonly cacheControl: string;
  readonly etag: boolean;
  readonly lastModified: boolean;
  readonly cache: boolean;
  readonly recheckMs: number;
  readonly cacheMaxBytes: number;
  readonly cacheMaxFileBytes: number;
  readonly readBufferBytes: number;
  /** null: no compression on the fly. */
  readonly compression: CompressionOptions | null;
  readonly precompressed: boolean;
};

export function resolveOptions(o: StaticOptions = {}): StaticSettings {
  const index = o.index ?? 'index.html';
  if (index !== false && (index === '' || index.includes('/') || index.includes('\0') || index.startsWith('.'))) {
    throw new TypeError(`serveStatic: index must be a plain file name, got ${JSON.stringify(index)}`);
  }
  const dotfiles = o.dotfiles ?? 'ignore';
  if (dotfiles !== 'ignore' && dotfiles !== 'allow' && dotfiles !== 'deny') {
    throw new TypeError(`serveStatic: dotfiles must be "ignore", "allow" or "deny"`);
  }
  const prefix = o.prefix ?? '';
  if (prefix !== '' && (!prefix.startsWith('/') || prefix.includes('?') || prefix.includes('#'))) {
    throw new TypeError(`serveStatic: prefix must be a URL path starting with "/", got ${JSON.stringify(prefix)}`);
  }
  return {
    prefix,
    index,
    listing: o.listing ?? true,
    dotfiles,
    followSymlinksOutside: o.followSymlinksOutside ?? false,
    hidden: o.hidden,
    spa: o.spa ?? false,
    cacheControl: o.cacheControl ?? cacheControlFrom(o.maxAge, o.immutable),
    etag: o.etag ?? true,
    lastModified: o.lastModified ?? true,
    cache: o.cache ?? true,
    recheckMs: nonNegative('recheckMs', o.recheckMs ?? DEFAULT_RECHECK_MS),
    cacheMaxBytes: nonNegative('cacheMaxBytes', o.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES),
    cacheMaxFileBytes: nonNegative('cacheMaxFileBytes', o.cacheMaxFileBytes ?? DEFAULT_CACHE_MAX_FILE_BYTES),
    readBufferBytes: Math.max(1024, nonNegative('readBufferBytes', o.readBufferBytes ?? DEFAULT_READ_BUFFER_BYTES)),
    compression: o.compression === false ? null : { ...o.compression, flush: 'never' },
    precompressed: o.precompressed ?? true,
  };
}

function cacheControlFrom(maxAge: number | undefined, immutable: boolean | undefined): string {
  if (maxAge === undefined) return immutable ? 'public, max-age=31536000, immutable' : DEFAULT_CACHE_CONTROL;
  const seconds = Math.floor(nonNegative('maxAge', maxAge));
  return `public, max-age=${seconds}${immutable ? ', immutable' : ''}`;
}

function nonNegative(name: string, n: number): number {
  if (!Number.isFinite(n) || n < 0) throw new TypeError(`serveStatic: ${name} must be a non-negative number`);
  return n;
}
