/**
 * A temporary site for the compression tests: compressible files of several
 * sizes, precompressed sidecars (fresh, stale, one coding only), files not
 * worth compressing; all with old mtimes and settled, so they can be cached.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { CACHE_SETTLE_MS } from '../../src/static/options.js';
import { makeTempDir, PAST } from './helpers.js';

export type CodingSite = {
  base: string;
  root: string;
  /** page.html: compressible, cacheable (~40 KiB). */
  page: Buffer;
  /** style.css, with style.css.br and style.css.gz beside it. */
  css: Buffer;
  cssBr: Buffer;
  cssGz: Buffer;
  /** only-gz.js, with only-gz.js.gz. */
  js: Buffer;
  jsGz: Buffer;
  /** stale.js, whose stale.js.gz is older than it. */
  stale: Buffer;
  /** big.txt: compressible type, too big for the cache (streamed), and not very compressible (base64). */
  big: Buffer;
};

/** Larger than the default per-file cache limit (1 MiB). */
export const BIG_TEXT_SIZE = 3 * 1024 * 1024 + 17;

/** Text that compresses well and is recognisable. */
export function pageText(lines: number, tag = 'p'): Buffer {
  return Buffer.from('<!doctype html>\n' + Array.from({ length: lines }, (_, i) => `<${tag}>line ${i} of the page</${tag}>\n`).join(''));
}

export async function makeCodingSite(): Promise<CodingSite> {
  const base = makeTempDir('weft-coding-');
  const root = join(base, 'root');
  mkdirSync(root);
  const page = pageText(1500);
  const css = Buffer.from(Array.from({ length: 800 }, (_, i) => `.c${i} { color: #${(i * 2654435761 >>> 8).toString(16).padStart(6, '0').slice(0, 6)}; }\n`).join(''));
  // Sidecars as a build step makes them: maximum effort, so they differ from what is made on the fly.
  const cssBr = zlib.brotliCompressSync(css, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } });
  const cssGz = zlib.gzipSync(css, { level: 9 });
  const js = Buffer.from(Array.from({ length: 600 }, (_, i) => `export const v${i} = ${i} * 2;\n`).join(''));
  const jsGz = zlib.gzipSync(js, { level: 9 });
  const stale = Buffer.from(Array.from({ length: 600 }, (_, i) => `export const s${i} = "new ${i}";\n`).join(''));
  const staleGz = zlib.gzipSync(Buffer.from('old content, long replaced\n'.repeat(50)));
  const big = Buffer.from(randomBytes((BIG_TEXT_SIZE * 3) / 4 + 3).toString('base64').slice(0, BIG_TEXT_SIZE));
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), randomBytes(4000)]);
  const files: Record<string, Buffer | string> = {
    'page.html': page,
    'style.css': css,
    'style.css.br': cssBr,
    'style.css.gz': cssGz,
    'only-gz.js': js,
    'only-gz.js.gz': jsGz,
    'stale.js': stale,
    'stale.js.gz': staleGz,
    'big.txt': big,
    'tiny.txt': 'tiny text, below minSize\n',
    'photo.png': png,
  };
  for (const [name, data] of Object.entries(files)) {
    writeFileSync(join(root, name), data);
    utimesSync(join(root, name), PAST / 1000, PAST / 1000);
  }
  // Ten seconds older than the file it stands for: left over from an older build.
  utimesSync(join(root, 'stale.js.gz'), PAST / 1000 - 10, PAST / 1000 - 10);
  await new Promise((r) => setTimeout(r, CACHE_SETTLE_MS + 50));
  return { base, root, page, css, cssBr, cssGz, js, jsGz, stale, big };
}

/** Decodes a body in `coding` (or returns it as it is for identity / none). */
export function decode(body: Buffer, coding: string | undefined): Buffer {
  switch (coding) {
    case 'gzip':
      return zlib.gunzipSync(body);
    case 'br':
      return zlib.brotliDecompressSync(body);
    case 'deflate':
      return zlib.inflateSync(body);
    case undefined:
    case 'identity':
      return body;
    default:
      throw new Error(`unknown coding ${coding}`);
  }
}
