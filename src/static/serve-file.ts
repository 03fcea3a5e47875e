/**
 * Answering a request for a regular file once it is found, from the cache or
 * opened: choosing its representation (choose-coding.ts), then answering
 * from memory or from the open file, filling the memory cache on the way.
 *
 * Stats per request, beyond the one that finds the file: none for a file
 * without sidecars (their absence is remembered, sidecars.ts); one for a
 * sidecar served from memory (its entry is checked like any other). A file
 * whose sidecars are known is not even opened when a sidecar is chosen
 * (serveKnownSidecar): a stat of each, nothing more.
 */
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { sidecarCoding, type Coding } from '../compress/index.js';
import { HTTPError } from '../http/errors.js';
import type { HTTPReq, HTTPRes } from '../http/types.js';
import { chooseFileCoding, isCompressibleFile } from './choose-coding.js';
import { evaluatePreconditions } from './conditional.js';
import { compressedForm, compressingResponse } from './compressed-file.js';
import {
  cacheFill,
  cacheLookupChecked,
  isCacheable,
  isSameFile,
  type CachedFile,
  type FileCache,
} from './file-cache.js';
import { lengthOnlyBody, readWholeFile } from './file-body.js';
import type { Located } from './locate.js';
import { contentTypeFor } from './mime.js';
import type { StaticSettings } from './options.js';
import {
  describeCoded,
  describeFile,
  NOSNIFF,
  VARY_ACCEPT_ENCODING,
  withVary,
  type FileIdentity,
  type Representation,
} from './representation.js';
import { preconditionResponse, respondWithRepresentation } from './respond.js';
import { statPath, type PathStatter } from './path-stat.js';
import { findSidecars, forgetSidecars, isFreshSidecar, knownSidecars, type Sidecar, type SidecarIndex } from './sidecars.js';

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

/**
 * A file to answer: `key` is the path the request named (the cache key,
 * whose name gives the Content-Type), `stat` its current identity. Either a
 * cache entry already checked against that stat, or a handle just opened.
 */
export type FoundFile = { readonly key: string; readonly stat: Stats } & (
  | { readonly entry: CachedFile; readonly fh: null }
  | { readonly entry: null; readonly fh: FileHandle }
);

const NO_SIDECARS: readonly Sidecar[] = [];

/** Answers a GET or HEAD for `file`; takes ownership of `file.fh`. */
export async function serveFile(site: FileSite, req: HTTPReq, file: FoundFile): Promise<HTTPRes> {
  let fh: FileHandle | null = file.fh;
  try {
    const { settings } = site;
    const { key, stat } = file;
    const contentType = file.entry?.rep.contentType ?? contentTypeFor(basename(key));
    const compressible = isCompressibleFile(settings, contentType, stat.size);
    // A file named like a sidecar ("x.js.gz") has none of its own.
    const sidecars =
      site.sidecars === null || sidecarCoding(key) !== undefined ? NO_SIDECARS : await findSidecars(site.sidecars, key, stat);
    let choice = chooseFileCoding(req, settings, contentType, stat.size, compressible, sidecars);
    let res: HTTPRes | null = null;
    if (choice.kind === 'sidecar') {
      res = await serveSidecar(site, req, stat, contentType, choice.sidecar);
      if (res === null) {
        // Gone, replaced or stale since it was found: look again next time, answer without it now.
        forgetSidecars(site.sidecars!, key);
        choice = chooseFileCoding(req, settings, contentType, stat.size, compressible, NO_SIDECARS);
      }
    }
    if (res === null) {
      const handle = fh;
      fh = null; // the functions below own it now
      switch (choice.kind) {
        case 'unacceptable':
          await handle?.close();
          throw new HTTPError(406, undefined, { headers: { ...VARY_ACCEPT_ENCODING, ...NOSNIFF } });
        case 'compress':
          res = await serveCompressed(site, req, file, handle, contentType, choice.coding);
          break;
        default:
          res = await serveIdentity(site, req, file, handle, contentType, choice.kind === 'identity' && choice.vary);
      }
    }
    return decided(settings, res);
  } finally {
    await fh?.close();
  }
}

/**
 * A sidecar's response for `key` without opening the file it stands for:
 * when `key`'s sidecars are known (sidecars.ts), a stat shows the file is
 * the one they were found for, and the request chooses one. The stat is
 * what a cache hit costs, and as safe: the identity it checks is that of a
 * file found inside the root. Null otherwise; the usual way then answers
 * (and finds out why a sidecar failed).
 */
export async function serveKnownSidecar(site: FileSite, req: HTTPReq, key: string): Promise<HTTPRes | null> {
  const known = site.sidecars === null ? undefined : knownSidecars(site.sidecars, key);
  if (known === undefined) return null;
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

/** This handler chose the coding: a compression layer around it must not code the bytes again. */
function decided(settings: StaticSettings, res: HTTPRes): HTTPRes {
  if (settings.compression !== null) res.compress = false;
  return res;
}

/** The file as it is, with Vary when other requests may get it coded. Takes `fh`. */
function serveIdentity(site: FileSite, req: HTTPReq, file: FoundFile, fh: FileHandle | null, contentType: string, vary: boolean): Promise<HTTPRes> {
  const { settings } = site;
  const served = (entry: CachedFile): Representation => (vary ? (entry.varied ??= withVary(entry.rep)) : entry.rep);
  if (file.entry !== null) return respondWithRepresentation(req, served(file.entry), { bytes: file.entry.bytes }, settings.readBufferBytes);
  const describe = (st: Stats): Representation => {
    const rep = describeFile(st, contentType, settings);
    return vary ? withVary(rep) : rep;
  };
  return fromOpenFile(site, req, fh!, file.stat, file.key, describe, served);
}

/**
 * A sidecar as the representation in its coding of the file whose identity
 * is `fileStat`, from the cache (after a stat of the sidecar) or opened.
 * Null when the sidecar is gone, replaced by something else, or stale.
 */
async function serveSidecar(site: FileSite, req: HTTPReq, fileStat: Stats, contentType: string, sidecar: Sidecar): Promise<HTTPRes | null> {
  const { settings, cache } = site;
  const describe = (st: FileIdentity): Representation => describeCoded(st, st.size, contentType, settings, sidecar.coding);
  const served = (entry: CachedFile): Representation => (entry.asSidecar ??= describe(entry.stamp));
  if (cache !== null) {
    const hit = await cacheLookupChecked(cache, sidecar.path);
    if (hit !== null) {
      if (!isFreshSidecar(hit.stat, fileStat)) return null;
      return respondWithRepresentation(req, served(hit.entry), { bytes: hit.entry.bytes }, settings.readBufferBytes);
    }
  }
  const found = await site.locate(sidecar.path);
  if (found.kind !== 'file') return null;
  if (!isFreshSidecar(found.stat, fileStat)) {
    await found.fh.close();
    return null;
  }
  return fromOpenFile(site, req, found.fh, found.stat, sidecar.path, describe, served);
}

/**
 * The file compressed here in `coding`. Preconditions are evaluated against
 * the coded representation (its own ETag) before any compression work; a
 * HEAD gets GET's header fields and no work either. Takes `fh`.
 */
async function serveCompressed(
  site: FileSite,
  req: HTTPReq,
  file: FoundFile,
  fh: FileHandle | null,
  contentType: string,
  coding: Coding,
): Promise<HTTPRes> {
  let handle = fh;
  try {
    const { settings, cache } = site;
    let entry = file.entry;
    const ready = entry?.compressed.get(coding);
    if (ready !== undefined) return await respondWithRepresentation(req, ready.rep, { bytes: ready.bytes }, settings.readBufferBytes);

    let stat = file.stat;
    let rep = describeCoded(stat, -1, contentType, settings, coding);
    const early = preconditionResponse(req, rep);
    if (early !== null) return early;
    // Without a Content-Length: the compressed length is not known before compressing.
    if (req.method === 'HEAD') return { code: 200, headers: { ...rep.headers }, body: lengthOnlyBody(-1) };

    if (entry === null && cache !== null && isCacheable(cache, stat)) {
      entry = await readIntoCache(cache, handle!, stat, file.key, describeFile(stat, contentType, settings));
      if (entry === null) {
        // It changed while being read: compress it as it is now, uncached.
        stat = await handle!.stat();
        rep = describeCoded(stat, -1, contentType, settings, coding);
      }
    }
    if (entry !== null) {
      const coded = await compressedForm(cache!, entry, coding, settings, settings.compression!);
      return await respondWithRepresentation(req, coded.rep, { bytes: coded.bytes }, settings.readBufferBytes);
    }
    const source = handle!;
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
  fh: FileHandle,
  stat: Stats,
  path: string,
  describe: (st: Stats) => Representation,
  served: (entry: CachedFile) => Representation,
): Promise<HTTPRes> {
  let handle: FileHandle | null = fh;
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
      if (entry !== null) return await respondWithRepresentation(req, served(entry), { bytes: entry.bytes }, settings.readBufferBytes);
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

/**
 * Reads the open file whole into a new cache entry, whose identity
 * representation is `rep` (or finds the entry a concurrent request read).
 * Null when the file is no longer `stat.size` bytes long. Does not close `fh`.
 */
function readIntoCache(cache: FileCache, fh: FileHandle, stat: Stats, path: string, rep: Representation): Promise<CachedFile | null> {
  return cacheFill(cache, path, stat, rep, () => readWholeFile(fh, stat.size));
}
