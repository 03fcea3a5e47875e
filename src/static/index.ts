/**
 * Static files: serveStatic(root, options) and the pure pieces it is built
 * from (path normalisation, MIME types, conditional requests, byte ranges,
 * the choice between identity, precompressed sidecars and compression on
 * the fly), exported for reuse and for tests.
 */
export { serveStatic } from './serve-static.js';
export {
  CACHE_SETTLE_MS,
  DEFAULT_CACHE_CONTROL,
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_CACHE_MAX_FILE_BYTES,
  DEFAULT_READ_BUFFER_BYTES,
  MAX_LISTING_ENTRIES,
  MAX_RANGES,
  SIDECAR_INDEX_MAX_ENTRIES,
  SIDECAR_RECHECK_MS,
  type DotfilesPolicy,
  type StaticOptions,
} from './options.js';
export { contentTypeFor, DEFAULT_CONTENT_TYPE } from './mime.js';
export { parseRequestPath, dotfileStatus, encodePath, type RequestPath } from './request-path.js';
export {
  evaluatePreconditions,
  ifRangeAllowsRange,
  type PreconditionResult,
  type Validators,
} from './conditional.js';
export { selectRanges, parseRangeSpecs, type ByteRange, type RangeSelection } from './range.js';
export {
  describeCoded,
  describeFile,
  fileETag,
  VARY_ACCEPT_ENCODING,
  withVary,
  type FileIdentity,
  type Representation,
  type RepresentationPolicy,
} from './representation.js';
export { chooseFileCoding, isCompressibleFile, type FileCodingChoice } from './choose-coding.js';
export { respondWithRepresentation, type ByteSource, type ConditionalRequest } from './respond.js';
export { FileChangedError } from './file-body.js';
