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

/**
 * Brotli window on the fly, as log2 of bytes (10-24): 1 MiB. The encoder
 * holds up to about twice its window of input before it emits anything;
 * measured with incompressible input at quality 4: 8 MiB held with brotli's
 * default 22 (4 MiB), 2 MiB with 20. Responses compressed on the fly rarely
 * repeat themselves from further back than 1 MiB.
 */
export const DEFAULT_BROTLI_WINDOW_BITS = 20;

/** Brotli quality for sidecar files made once at build time (`file.br`). */
export const PRECOMPRESS_BROTLI_QUALITY = 11;

/**
 * Most compressors alive at once in the process. Measured RSS per stream
 * (Node 20, 64 KiB chunks): gzip -6 under 1 MiB; brotli q4 about 0.7 MiB for
 * a 100 KiB body and 4 MiB for multi-MiB ones. 64 streams thus stay near
 * 50 MiB for typical responses and under about 260 MiB in the worst case.
 * The work runs on libuv's thread pool (4 threads by default), so beyond a
 * few dozen streams more of them only queue for CPU; and a stream lives as
 * long as its client takes to download, so the limit also caps what slow
 * clients can pin. Past the limit a response is sent uncompressed, which
 * costs bandwidth but never latency or memory.
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
 * hands out at a time. 64 KiB matches the file reader's chunks and gives a
 * quarter of the pieces (socket writes, chunk headers) of zlib's 16 KiB default.
 */
export const COMPRESSOR_CHUNK_SIZE = 64 * 1024;
