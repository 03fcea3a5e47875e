/**
 * Defaults and limits of the compression layer, in one place. Every one of
 * them can be overridden through CompressionOptions (see options.ts).
 */

/** Content codings weft can produce, in the default server preference order. */
export const DEFAULT_ENCODINGS = ['br', 'gzip', 'deflate'] as const;

/**
 * Smallest known-length body worth compressing (bytes). Below about 1 KiB the
 * coding's framing (gzip: 18 bytes) and the CPU spent outweigh the bytes saved,
 * and the response usually fits in one TCP segment either way.
 */
export const DEFAULT_MIN_SIZE = 1024;

/** zlib level for gzip and deflate on the fly (1-9): zlib's own default, the usual speed/ratio knee. */
export const DEFAULT_ZLIB_LEVEL = 6;

/**
 * Brotli quality on the fly (0-11). Quality 4 compresses about as fast as
 * gzip -6 and still smaller; 10-11 are 20-100x slower and only make sense for
 * files compressed once ahead of time (PRECOMPRESS_BROTLI_QUALITY).
 */
export const DEFAULT_BROTLI_QUALITY = 4;

/** Brotli quality for sidecar files made once at build time (`file.br`). */
export const PRECOMPRESS_BROTLI_QUALITY = 11;

/**
 * Most compressing readers alive at once in the process. Measured RSS is
 * about 0.3-0.6 MiB per gzip stream and about 2 MiB per brotli stream, so 64
 * caps the worst case near 130 MiB; and the work runs on libuv's thread pool
 * (4 threads by default), so past a few dozen streams more of them only queue
 * for CPU. Beyond the limit a response is sent uncompressed: identity costs
 * bandwidth, never latency or memory.
 */
export const MAX_ACTIVE_COMPRESSORS = 64;

/**
 * Largest in-memory body (`body.bytes`) compressed in one call instead of
 * streamed (bytes). One call gives a Content-Length and a single write; above
 * this, streaming keeps the first byte early and a pool thread free.
 */
export const ONE_SHOT_MAX_BYTES = 256 * 1024;

/**
 * Size of zlib's output buffer (bytes), the largest piece the compressor
 * hands out at a time. 64 KiB matches the file reader's chunks and halves the
 * pieces (and the copies) compared with zlib's 16 KiB default.
 */
export const COMPRESSOR_CHUNK_SIZE = 64 * 1024;
