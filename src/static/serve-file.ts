/**
 * Answering a request for a regular file once it is found: in memory (a
 * cache entry still trusted), or just opened. In both cases, in this order:
 * 1. the representation: identity, a precompressed sidecar, or compressed
 *    here (choose-coding.ts);
 * 2. preconditions, ranges and the response (respond.ts);
 * and, for a file just opened that the cache should hold, reading it whole
 * into a new entry on the way.
 *
 * A file in memory is answered synchronously (no promise) unless what it
 * needs is not in memory yet: its sidecars not looked for in a while, a
 * sidecar not cached, a compressed form not made yet.
 *
 * Stats per request, beyond the check of the file itself (file-cache.ts):
 * none for a file without sidecars (their absence is remembered,
 * sidecars.ts); for a sidecar, the check of its own entry. A file whose
 * sidecars are known is not even opened when a sidecar is chosen
 * (serveKnownSidecar): a stat of each, nothing more.
 */
import type { Stats } from 'node:fs';
import { basename } from 'node:path';
import { sidecarCoding, type Coding } from '../compress/index.js';
import { HTTPError } from '../http/errors.js';
import type { HTTPReq, HTTPRes } from '../http/types.js';
import { chooseFileCoding, isCompressibleFile } from './choose-coding.js';
import { evaluatePreconditions } from './conditional.js';
import { compressedForm, compressingResponse } from './compressed-file.js';
import {
  cacheEntry,
  cacheFill,
  cacheLookupFresh,
  cacheStore,
  isCacheable,
  isSameFile,
  type CachedFile,
  type FileCache,
  type FileStamp,
} from './file-cache.js';
import { lengthOnlyBody, readWholeFile } from './file-body.js';
import { openFileNow, readWholeFileNow, type Located } from './locate.js';
import { closeQuietly, fileOnLoop, type OpenFile } from './open-file.js';
import { contentTypeFor } from './mime.js';
import { SYNC_READ_MAX_BYTES, type StaticSettings } from './options.js';
import {
  describeCoded,
  describeFile,
  NOSNIFF,
  VARY_ACCEPT_ENCODING,
  withVary,
  type FileIdentity,
  type Representation,
} from './representation.js';
import { realPathByDirectory, type Inside } from './real-dirs.js';
import { preconditionResponse, respondFromMemory, respondWithRepresentation } from './respond.js';
import { countSyncCall, statPath, type PathStatter } from './path-stat.js';
import {
  findSidecars,
  forgetSidecars,
  isFreshSidecar,
  knownSidecars,
  type Sidecar,
  type SidecarIndex,
} from './sidecars.js';

/** What serving a file needs of the handler. */
export type FileSite = {
  readonly settings: StaticSettings;
  readonly cache: FileCache | null;
  /** Stats of the hot path (also the cache's). */
  readonly stats: PathStatter;
  /** null when sidecars are not served (precompressed: false). */
  readonly sidecars: SidecarIndex | null;
  /** locate() confined to the root. */
  locate(path: string): Promise<Located>;
};

const NO_SIDECARS: readonly Sidecar[] = [];

/**
 * The response for the file at `key` without opening it, when what is in
 * memory allows: its cache entry (still trusted, or found unchanged by a
 * stat), or a known sidecar the request chooses. Null otherwise.
 */
export function fromMemory(site: FileSite, key: string, req: HTTPReq): HTTPRes | null | Promise<HTTPRes | null> {
  if (site.cache !== null) {
    const entry = cacheLookupFresh(site.cache, key, Date.now());
    if (entry instanceof Promise) return entry.then((e) => (e !== undefined ? serveCached(site, req, e) : serveKnownSidecar(site, req, key)));
    if (entry !== undefined) return serveCached(site, req, entry);
  }
  return site.sidecars === null ? null : serveKnownSidecar(site, req, key);
}

/**
 * The response for the file at `key` opened on the event loop
 * (openFileNow), while the filesystem has been fast: a small file
 * (SYNC_READ_MAX_BYTES) the cache may hold is read whole and answered like
 * a cache hit, and kept when it is settled (isCacheable); any other file is
 * served from its descriptor, read on the event loop too (fileOnLoop). Null
 * when it is not a regular file found inside the root: the usual way
 * answers (locate(), which tells missing from forbidden from a directory).
 * `inside` is the root's real path with its directories', or null when
 * symlinks may lead anywhere.
 */
export function fromDiskNow(
  site: FileSite,
  req: HTTPReq,
  key: string,
  inside: Inside | null,
): HTTPRes | Promise<HTTPRes> | null {
  const { cache, stats } = site;
  if (!stats.sync) return null;
  const started = performance.now();
  const realPath = inside === null ? null : realPathByDirectory(inside.dirs, key, inside.realRoot, Date.now());
  const opened = inside === null || realPath !== null ? openFileNow(key, realPath) : null;
  if (opened === null || cache === null || opened.stat.size > Math.min(cache.maxFileBytes, SYNC_READ_MAX_BYTES)) {
    countSyncCall(stats, started);
    return opened === null ? null : serveOpened(site, req, key, opened.stat, fileOnLoop(opened.fd, stats));
  }
  const { fd, stat } = opened;
  const bytes = readWholeFileNow(fd, stat.size);
  closeQuietly(fd);
  countSyncCall(stats, started);
  if (bytes === null) return null;
  const entry = cacheEntry(key, stat, bytes, describeFile(stat, contentTypeFor(basename(key)), site.settings));
  if (isCacheable(cache, stat)) cacheStore(cache, entry);
  return serveCached(site, req, entry);
}

// ---------------------------------------------------------------------------
// A file in memory.

/** Answers from a cache entry: synchronously when everything needed is in memory. */
export function serveCached(site: FileSite, req: HTTPReq, entry: CachedFile): HTTPRes | Promise<HTTPRes> {
  const sidecars = sidecarsOf(site, entry.path, entry.stamp);
  if (sidecars instanceof Promise) return sidecars.then((found) => answerCached(site, req, entry, found));
  return answerCached(site, req, entry, sidecars);
}

/** The sidecars of the file at `path`: at once when known, else looked for (a stat of each). */
function sidecarsOf(site: FileSite, path: string, stamp: FileStamp): readonly Sidecar[] | Promise<readonly Sidecar[]> {
  // A file named like a sidecar ("x.js.gz") has none of its own.
  if (site.sidecars === null || sidecarCoding(path) !== undefined) return NO_SIDECARS;
  return findSidecars(site.sidecars, path, stamp, Date.now(), site.stats);
}

function answerCached(site: FileSite, req: HTTPReq, entry: CachedFile, sidecars: readonly Sidecar[]): HTTPRes | Promise<HTTPRes> {
  const { settings } = site;
  const contentType = entry.rep.contentType;
  const size = entry.bytes.length;
  const compressible = (entry.compressible ??= isCompressibleFile(settings, contentType, size));
  const choice = chooseFileCoding(req, settings, contentType, size, compressible, sidecars);
  switch (choice.kind) {
    case 'identity':
      return decided(settings, respondFromMemory(req, choice.vary ? (entry.varied ??= withVary(entry.rep)) : entry.rep, entry.bytes));
    case 'compress': {
      const ready = entry.compressed?.get(choice.coding);
      if (ready !== undefined) return decided(settings, respondFromMemory(req, ready.rep, ready.bytes));
      return compressCached(site, req, entry, choice.coding);
    }
    case 'sidecar': {
      const res = sidecarFromMemory(site, req, entry.stamp, contentType, choice.sidecar);
      if (res !== undefined) return res === null ? withoutSidecars(site, req, entry) : decided(settings, res);
      return serveSidecar(site, req, entry.stamp, contentType, choice.sidecar).then((r) =>
        r === null ? withoutSidecars(site, req, entry) : decided(settings, r),
      );
    }
    default:
      throw unacceptable();
  }
}

/** A sidecar turned out gone, replaced or stale: look again next time, answer without it now. */
function withoutSidecars(site: FileSite, req: HTTPReq, entry: CachedFile): HTTPRes | Promise<HTTPRes> {
  forgetSidecars(site.sidecars!, entry.path);
  return answerCached(site, req, entry, NO_SIDECARS);
}

/** The cached file compressed here (once, then kept in its entry). */
async function compressCached(site: FileSite, req: HTTPReq, entry: CachedFile, coding: Coding): Promise<HTTPRes> {
  const { settings } = site;
  // Preconditions against the coded representation before any compression work; HEAD gets no work either.
  const rep = describeCoded(entry.stamp, -1, entry.rep.contentType, settings, coding);
  const early = preconditionResponse(req, rep);
  if (early !== null) return decided(settings, early);
  if (req.method === 'HEAD') return decided(settings, headWithoutLength(rep));
  const coded = await compressedForm(site.cache!, entry, coding, settings, settings.compression!);
  return decided(settings, respondFromMemory(req, coded.rep, coded.bytes));
}

/**
 * A sidecar answered from its cache entry, when it is there and trusted:
 * null when the entry shows it stale (older than the file), undefined when
 * it is not in memory (or its check is under way).
 */
function sidecarFromMemory(site: FileSite, req: HTTPReq, fileStamp: FileIdentity, contentType: string, sidecar: Sidecar): HTTPRes | null | undefined {
  if (site.cache === null) return undefined;
  const hit = cacheLookupFresh(site.cache, sidecar.path, Date.now());
  if (hit === undefined || hit instanceof Promise) return undefined;
  if (hit.stamp.mtimeMs < fileStamp.mtimeMs) return null;
  const rep = (hit.asSidecar ??= describeCoded(hit.stamp, hit.stamp.size, contentType, site.settings, sidecar.coding));
  return respondFromMemory(req, rep, hit.bytes);
}

// ---------------------------------------------------------------------------
// A file just opened.

/** Answers for the file open as `fh` (taken), whose identity is `stat`, at `key`. */
export async function serveOpened(site: FileSite, req: HTTPReq, key: string, stat: Stats, fh: OpenFile): Promise<HTTPRes> {
  let handle: OpenFile | null = fh;
  try {
    const { settings } = site;
    const contentType = contentTypeFor(basename(key));
    const compressible = isCompressibleFile(settings, contentType, stat.size);
    const sidecars = await sidecarsOf(site, key, stat);
    let choice = chooseFileCoding(req, settings, contentType, stat.size, compressible, sidecars);
    if (choice.kind === 'sidecar') {
      const res = await serveSidecar(site, req, stat, contentType, choice.sidecar);
      if (res !== null) return decided(settings, res);
      // Gone, replaced or stale since it was found: look again next time, answer without it now.
      forgetSidecars(site.sidecars!, key);
      choice = chooseFileCoding(req, settings, contentType, stat.size, compressible, NO_SIDECARS);
    }
    const source = handle;
    handle = null; // the functions below own it now
    switch (choice.kind) {
      case 'unacceptable':
        await source.close();
        throw unacceptable();
      case 'compress':
        return decided(settings, await compressOpened(site, req, key, stat, source, contentType, choice.coding));
      default: {
        const vary = choice.kind === 'identity' && choice.vary;
        const describe = (st: Stats): Representation => {
          const rep = describeFile(st, contentType, settings);
          return vary ? withVary(rep) : rep;
        };
        const served = (entry: CachedFile): Representation => (vary ? (entry.varied ??= withVary(entry.rep)) : entry.rep);
        return decided(settings, await fromOpenFile(site, req, source, stat, key, describe, served));
      }
    }
  } finally {
    await handle?.close();
  }
}

/**
 * The file compressed here in `coding`. Preconditions are evaluated against
 * the coded representation (its own ETag) before any compression work; a
 * HEAD gets GET's header fields and no work either. A file the cache should
 * hold is read into it and compressed once; a larger one is compressed as
 * it is sent. Takes `fh`.
 */
async function compressOpened(
  site: FileSite,
  req: HTTPReq,
  key: string,
  fileStat: Stats,
  fh: OpenFile,
  contentType: string,
  coding: Coding,
): Promise<HTTPRes> {
  let handle: OpenFile | null = fh;
  try {
    const { settings, cache } = site;
    let stat = fileStat;
    let rep = describeCoded(stat, -1, contentType, settings, coding);
    const early = preconditionResponse(req, rep);
    if (early !== null) return early;
    if (req.method === 'HEAD') return headWithoutLength(rep);

    if (cache !== null && isCacheable(cache, stat)) {
      const entry = await readIntoCache(cache, handle, stat, key, describeFile(stat, contentType, settings));
      if (entry !== null) {
        const coded = await compressedForm(cache, entry, coding, settings, settings.compression!);
        return respondFromMemory(req, coded.rep, coded.bytes);
      }
      // It changed while being read: compress it as it is now, uncached.
      stat = await handle.stat();
      rep = describeCoded(stat, -1, contentType, settings, coding);
    }
    const source = handle;
    handle = null; // the response body owns it now
    return await compressingResponse(rep.headers, source, stat.size, coding, settings.compression!, settings.readBufferBytes);
  } finally {
    await handle?.close();
  }
}

/**
 * The response from an open file (taken): from a new cache entry when the
 * response sends the file's bytes and the cache should hold them (a GET
 * whose preconditions pass, a settled file small enough), else streamed from
 * the handle. `describe` gives the representation served for a stat of the
 * file, `served` the one for its cache entry.
 */
async function fromOpenFile(
  site: FileSite,
  req: HTTPReq,
  fh: OpenFile,
  stat: Stats,
  path: string,
  describe: (st: Stats) => Representation,
  served: (entry: CachedFile) => Representation,
): Promise<HTTPRes> {
  let handle: OpenFile | null = fh;
  try {
    const { settings, cache } = site;
    let rep = describe(stat);
    if (
      cache !== null &&
      req.method === 'GET' &&
      isCacheable(cache, stat) &&
      evaluatePreconditions(req.method, req.headers, rep.validators) === 'proceed'
    ) {
      const entry = await readIntoCache(cache, handle, stat, path, describeFile(stat, contentTypeFor(basename(path)), settings));
      if (entry !== null) return respondFromMemory(req, served(entry), entry.bytes);
      // It changed while we read it: describe it as it is now and stream it, uncached.
      rep = describe(await handle.stat());
    }
    const source = { fh: handle };
    handle = null; // respondWithRepresentation owns it now
    return await respondWithRepresentation(req, rep, source, settings.readBufferBytes);
  } finally {
    await handle?.close();
  }
}

// ---------------------------------------------------------------------------
// Sidecars.

/**
 * A sidecar's response for `key` without opening the file it stands for:
 * when `key`'s sidecars are known (sidecars.ts), a stat shows the file is
 * the one they were found for, and the request chooses one. The stat is
 * what a cache check costs, and as safe: the identity it checks is that of
 * a file found inside the root. Null otherwise; the usual way then answers
 * (and finds out why a sidecar failed).
 */
export function serveKnownSidecar(site: FileSite, req: HTTPReq, key: string): Promise<HTTPRes | null> | null {
  const known = site.sidecars === null ? undefined : knownSidecars(site.sidecars, key);
  // None known: null at once, so that the caller may go on synchronously.
  return known === undefined ? null : serveKnownSidecarOf(site, req, key, known);
}

async function serveKnownSidecarOf(
  site: FileSite,
  req: HTTPReq,
  key: string,
  known: { stamp: FileStamp; found: readonly Sidecar[] },
): Promise<HTTPRes | null> {
  const stat = await statPath(site.stats, key);
  if (stat === null || !isSameFile(known.stamp, stat)) return null;
  const { settings } = site;
  const contentType = contentTypeFor(basename(key));
  const compressible = isCompressibleFile(settings, contentType, stat.size);
  const choice = chooseFileCoding(req, settings, contentType, stat.size, compressible, known.found);
  if (choice.kind !== 'sidecar') return null;
  const res = await serveSidecar(site, req, stat, contentType, choice.sidecar);
  return res === null ? null : decided(settings, res);
}

/**
 * A sidecar as the representation in its coding of the file whose identity
 * is `fileStamp`, from the cache or opened (and cached when it should be).
 * Null when the sidecar is gone, replaced by something else, or stale.
 */
async function serveSidecar(site: FileSite, req: HTTPReq, fileStamp: FileIdentity, contentType: string, sidecar: Sidecar): Promise<HTTPRes | null> {
  const { settings, cache } = site;
  const describe = (st: FileIdentity): Representation => describeCoded(st, st.size, contentType, settings, sidecar.coding);
  const served = (entry: CachedFile): Representation => (entry.asSidecar ??= describe(entry.stamp));
  if (cache !== null) {
    const hit = await cacheLookupFresh(cache, sidecar.path, Date.now());
    if (hit !== undefined) {
      if (hit.stamp.mtimeMs < fileStamp.mtimeMs) return null;
      return respondFromMemory(req, served(hit), hit.bytes);
    }
  }
  const found = await site.locate(sidecar.path);
  if (found.kind !== 'file') return null;
  if (!isFreshSidecar(found.stat, fileStamp)) {
    await found.fh.close();
    return null;
  }
  return fromOpenFile(site, req, found.fh, found.stat, sidecar.path, describe, served);
}

// ---------------------------------------------------------------------------

/** This handler chose the coding: a compression layer around it must not code the bytes again. */
function decided(settings: StaticSettings, res: HTTPRes): HTTPRes {
  if (settings.compression !== null) res.compress = false;
  return res;
}

/** The client refuses identity and accepts no coding on offer. */
function unacceptable(): HTTPError {
  return new HTTPError(406, undefined, { headers: { ...VARY_ACCEPT_ENCODING, ...NOSNIFF } });
}

/** HEAD of a representation compressed as it would be sent: GET's fields, without a Content-Length (not known before compressing). */
function headWithoutLength(rep: Representation): HTTPRes {
  return { code: 200, headers: { ...rep.headers }, body: lengthOnlyBody(-1) };
}

/**
 * Reads the open file whole into a new cache entry, whose identity
 * representation is `rep` (or finds the entry a concurrent request read).
 * Null when the file is no longer `stat.size` bytes long. Does not close `fh`.
 */
function readIntoCache(cache: FileCache, fh: OpenFile, stat: Stats, path: string, rep: Representation): Promise<CachedFile | null> {
  return cacheFill(cache, path, stat, rep, () => readWholeFile(fh, stat.size));
}
