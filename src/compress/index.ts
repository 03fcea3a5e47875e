/**
 * weft's compression layer: Accept-Encoding negotiation, the decision to
 * compress, compressing BodyReaders over node:zlib, the caching rules of
 * coded representations, precompressed sidecars, and withCompression() for
 * handlers. Sits above src/http and below src/static.
 */
export { activeCompressors, compressBody, compressBuffer, createCompressor } from './compress-body.js';
export {
  codingPermitted,
  hasNoTransform,
  isCompressibleType,
  mediaTypeOf,
  type RequestLike,
  type ResponseLike,
  shouldCompress,
  worthCompressing,
} from './compressible.js';
export {
  COMPRESSOR_CHUNK_SIZE,
  DEFAULT_BROTLI_QUALITY,
  DEFAULT_BROTLI_WINDOW_BITS,
  DEFAULT_ENCODINGS,
  DEFAULT_MIN_SIZE,
  DEFAULT_ZLIB_LEVEL,
  MAX_ACTIVE_COMPRESSORS,
  ONE_SHOT_MAX_BYTES,
  PRECOMPRESS_BROTLI_QUALITY,
} from './limits.js';
export {
  type AcceptedEncodings,
  type Coding,
  type EncodingChoice,
  chooseEncoding,
  codingQuality,
  identityAcceptable,
  negotiateEncoding,
  parseAcceptEncoding,
} from './negotiate.js';
export type { CompressBodyOptions, CompressionOptions, FlushMode } from './options.js';
export { type CompressionPlan, planCompression } from './plan.js';
export {
  choosePrecompressed,
  SIDECAR_CODINGS,
  SIDECAR_SUFFIX,
  type SidecarCoding,
  sidecarCoding,
  sidecarPath,
} from './precompressed.js';
export { codedHeaders, mergeVary, representationETag } from './representation.js';
export { compressResponse, withCompression } from './with-compression.js';
