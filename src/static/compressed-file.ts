/**
 * Files compressed here. A file the memory cache holds is compressed once
 * per coding, in one call, by the first request that needs it (requests
 * arriving meanwhile wait for the same result); the result stays in the
 * file's cache entry, so a hot file costs no CPU after that and is sent with
 * a Content-Length. A file too big for the cache is compressed as it is
 * read, chunked.
 */
import type { OpenFile } from './open-file.js';
import {
  compressBody,
  compressBuffer,
  createCompressor,
  DEFAULT_ENCODINGS,
  type Coding,
  type CompressBodyOptions,
  type CompressionOptions,
} from '../compress/index.js';
import type { HTTPRes } from '../http/types.js';
import { cacheAddCompressed, type CachedBytes, type CachedFile, type FileCache } from './file-cache.js';
import { fileBody } from './file-body.js';
import { describeCoded, type RepresentationPolicy } from './representation.js';
import { wholePlan } from './respond.js';

/**
 * The cached file's bytes in `coding` with their representation: from the
 * entry, from a compression under way, or compressed now (on the thread
 * pool) and added to the entry within the cache's budget.
 */
export function compressedForm(
  cache: FileCache,
  entry: CachedFile,
  coding: Coding,
  policy: RepresentationPolicy,
  options: CompressBodyOptions,
): Promise<CachedBytes> {
  const ready = entry.compressed?.get(coding);
  if (ready !== undefined) return Promise.resolve(ready);
  const compressing = (entry.compressing ??= new Map());
  let pending = compressing.get(coding);
  if (pending === undefined) {
    pending = compressBuffer(entry.bytes, coding, options).then((bytes) => {
      const coded = { bytes, rep: describeCoded(entry.stamp, bytes.length, entry.rep.contentType, policy, coding) };
      cacheAddCompressed(cache, entry, coding, coded);
      return coded;
    });
    const settled = (): void => {
      compressing.delete(coding);
    };
    pending.then(settled, settled);
    compressing.set(coding, pending);
  }
  return pending;
}

/**
 * The 200 to a GET of a whole file compressed as it is read (Transfer-Encoding
 * chunked: the compressed length is not known). Takes `fh`: the body owns it
 * and the compressor, and its close() releases both. Never flushes: a file's
 * bytes are all there, and flushing would only cost ratio.
 */
export async function compressingResponse(
  headers: HTTPRes['headers'],
  fh: OpenFile,
  fileSize: number,
  coding: Coding,
  options: CompressBodyOptions,
  readBufferBytes: number,
): Promise<HTTPRes> {
  const inner = fileBody(fh, wholePlan(fileSize), fileSize, readBufferBytes);
  try {
    return { code: 200, headers: { ...headers }, body: compressBody(inner, coding, { ...options, flush: 'never' }) };
  } catch (err) {
    // zlib refused to start (serveStatic checked the options): `inner` is still ours.
    await inner.close?.();
    throw err;
  }
}

/**
 * Throws (zlib's RangeError) when `options` would make every compression
 * fail, a level out of range say: at setup rather than at the first request.
 */
export function checkCompressionOptions(options: CompressionOptions): void {
  for (const coding of options.encodings ?? DEFAULT_ENCODINGS) createCompressor(coding, options, 0).destroy();
}
