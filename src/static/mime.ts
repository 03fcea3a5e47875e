/**
 * Media types of static files, from the file name's extension. Textual types
 * carry `charset=utf-8`, so browsers never guess an encoding; anything unknown
 * is application/octet-stream, which browsers download rather than render.
 */

/** Served for extensions not in the table. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

const UTF8 = '; charset=utf-8';

/** Extension (lower case, no dot) → media type, without parameters. */
const TYPES: Record<string, string> = {
  // documents and text
  html: 'text/html',
  htm: 'text/html',
  xhtml: 'application/xhtml+xml',
  css: 'text/css',
  txt: 'text/plain',
  text: 'text/plain',
  log: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  ics: 'text/calendar',
  vtt: 'text/vtt',
  xml: 'application/xml',
  xsl: 'application/xml',
  rss: 'application/rss+xml',
  atom: 'application/atom+xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  toml: 'application/toml',
  pdf: 'application/pdf',
  rtf: 'application/rtf',
  // scripts and data
  js: 'text/javascript',
  mjs: 'text/javascript',
  cjs: 'text/javascript',
  json: 'application/json',
  jsonld: 'application/ld+json',
  map: 'application/json',
  webmanifest: 'application/manifest+json',
  wasm: 'application/wasm',
  // images
  svg: 'image/svg+xml',
  png: 'image/png',
  apng: 'image/apng',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  ico: 'image/x-icon',
  bmp: 'image/bmp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  // fonts
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
  eot: 'application/vnd.ms-fontobject',
  // audio and video
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  ogv: 'video/ogg',
  mov: 'video/quicktime',
  mkv: 'video/x-matroska',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/ogg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  m4a: 'audio/mp4',
  aac: 'audio/aac',
  // archives and compressed files (served as they are, never decoded)
  zip: 'application/zip',
  gz: 'application/gzip',
  tgz: 'application/gzip',
  br: 'application/x-brotli',
  zst: 'application/zstd',
  tar: 'application/x-tar',
  bz2: 'application/x-bzip2',
  xz: 'application/x-xz',
  '7z': 'application/x-7z-compressed',
  rar: 'application/vnd.rar',
};

/** Types that are text although not text/*: they get `charset=utf-8`. */
const TEXTUAL = new Set([
  'application/xhtml+xml',
  'application/xml',
  'application/rss+xml',
  'application/atom+xml',
  'application/json',
  'application/ld+json',
  'application/manifest+json',
  'application/yaml',
  'application/toml',
  'image/svg+xml',
]);

/** The full Content-Type value per extension, built once. */
const CONTENT_TYPES: Map<string, string> = new Map(
  Object.entries(TYPES).map(([ext, type]) => [ext, isTextual(type) ? type + UTF8 : type]),
);

function isTextual(type: string): boolean {
  return type.startsWith('text/') || TEXTUAL.has(type);
}

/**
 * The Content-Type for a file name (or path): by its last extension,
 * case-insensitively. "archive.tar.gz" is application/gzip.
 *
 * @example contentTypeFor('app.js') // 'text/javascript; charset=utf-8'
 */
export function contentTypeFor(name: string): string {
  const slash = name.lastIndexOf('/');
  const dot = name.lastIndexOf('.');
  // A leading dot names a dotfile (".bashrc"), not an extension.
  if (dot <= slash + 1) return DEFAULT_CONTENT_TYPE;
  return CONTENT_TYPES.get(name.slice(dot + 1).toLowerCase()) ?? DEFAULT_CONTENT_TYPE;
}
