/**
 * The options of the compression layer, each documented once with its
 * default. CompressBodyOptions shape one compressing reader;
 * CompressionOptions add what decides whether and how to compress a response.
 */
import type { Coding } from './negotiate.js';

/**
 * When the compressor flushes (Z_SYNC_FLUSH for gzip and deflate,
 * BROTLI_OPERATION_FLUSH for br), so that what it has read so far can be
 * decoded by the client right away:
 * - `'auto'`: after every chunk of a body of unknown length (generators,
 *   event streams: they must arrive live), never for a known length (files:
 *   flushing only costs ratio there);
 * - `'always'`: after every chunk;
 * - `'never'`: only at the end.
 */
export type FlushMode = 'auto' | 'always' | 'never';

export type CompressBodyOptions = {
  /** gzip and deflate level, 0-9. Default DEFAULT_ZLIB_LEVEL (6). */
  level?: number;
  /**
   * Brotli quality, 0-11. Default DEFAULT_BROTLI_QUALITY (4) for on the fly;
   * PRECOMPRESS_BROTLI_QUALITY (11) is meant for files compressed ahead of time.
   */
  brotliQuality?: number;
  /**
   * Brotli window, log2 of bytes (10-24). Default DEFAULT_BROTLI_WINDOW_BITS
   * (20: 1 MiB); 22-24 suit precompressing large files.
   */
  brotliWindowBits?: number;
  /** When to flush, see FlushMode. Default 'auto'. */
  flush?: FlushMode;
};

export type CompressionOptions = CompressBodyOptions & {
  /**
   * Codings offered, in server preference order: the order breaks ties
   * between codings the client weighs equally. An empty list turns on-the-fly
   * compression off (responses still get Vary). Default DEFAULT_ENCODINGS
   * (br, gzip, deflate).
   */
  encodings?: readonly Coding[];
  /** Known-length bodies shorter than this (bytes) are sent as they are. Default DEFAULT_MIN_SIZE (1024). */
  minSize?: number;
  /**
   * Which media types are worth compressing; gets the type and subtype only,
   * lower-cased ("text/html"). Default isCompressibleType.
   */
  isCompressible?: (mediaType: string) => boolean;
  /**
   * Most compressing readers alive at once; past it responses go out
   * uncompressed rather than wait. Default MAX_ACTIVE_COMPRESSORS (64).
   */
  maxActive?: number;
};
