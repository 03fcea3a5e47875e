/**
 * Directory listings: the entries of a directory (bounded, stat()ed with
 * bounded concurrency), rendered as HTML for browsers or as JSON for
 * `Accept: application/json`.
 */
import { opendir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { mediaRangeQuality, parseWeightedList } from '../http/fields.js';
import { LISTING_STAT_CONCURRENCY, MAX_LISTING_ENTRIES } from './options.js';
import { isInside } from './locate.js';
import { encodePathSegment } from './request-path.js';

export type ListingEntry = {
  readonly name: string;
  readonly type: 'file' | 'directory' | 'other';
  /** Bytes, for files; null otherwise or when the entry could not be stat()ed (a broken symlink). */
  readonly size: number | null;
  /** Modification time (ms since the epoch); null when unknown. */
  readonly mtimeMs: number | null;
};

export type Listing = {
  /** Directories first, then files, each by name (code point order). */
  readonly entries: readonly ListingEntry[];
  /** True when the directory had more than `limit` visible entries and the rest were left out. */
  readonly truncated: boolean;
};

/**
 * Reads the directory at `dir` (a real path inside the root). Names starting
 * with "." are left out unless `showDotfiles`; so are symlinks whose target
 * is not inside `realRoot` (null: symlinks may lead anywhere), whose size
 * and date are not ours to show.
 */
export async function readListing(
  dir: string,
  showDotfiles: boolean,
  realRoot: string | null,
  limit = MAX_LISTING_ENTRIES,
): Promise<Listing> {
  const names: string[] = [];
  const links = new Set<string>();
  let truncated = false;
  // opendir streams entries: a huge directory costs `limit` names, not all of them.
  const handle = await opendir(dir);
  try {
    for await (const dirent of handle) {
      if (!showDotfiles && dirent.name.startsWith('.')) continue;
      if (names.length === limit) {
        truncated = true;
        break;
      }
      names.push(dirent.name);
      if (dirent.isSymbolicLink()) links.add(dirent.name);
    }
  } finally {
    // Breaking out of for-await closes the handle; closing it again would throw.
    await handle.close().catch(() => undefined);
  }
  const entries: ListingEntry[] = [];
  for (let i = 0; i < names.length; i += LISTING_STAT_CONCURRENCY) {
    const batch = names.slice(i, i + LISTING_STAT_CONCURRENCY);
    const described = await Promise.all(batch.map((name) => describeEntry(dir, name, links.has(name) ? realRoot : null)));
    for (const e of described) if (e !== null) entries.push(e);
  }
  entries.sort((a, b) => {
    const da = a.type === 'directory' ? 0 : 1;
    const db = b.type === 'directory' ? 0 : 1;
    if (da !== db) return da - db;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  return { entries, truncated };
}

/**
 * Follows symlinks, as a request for the entry would; null for a symlink
 * leading outside `realRoot` (when given).
 */
async function describeEntry(dir: string, name: string, realRoot: string | null): Promise<ListingEntry | null> {
  const path = join(dir, name);
  if (realRoot !== null) {
    try {
      if (!isInside(await realpath(path), realRoot)) return null;
    } catch {
      return null; // a broken link
    }
  }
  try {
    const st = await stat(path);
    const type = st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other';
    return { name, type, size: type === 'file' ? st.size : null, mtimeMs: st.mtimeMs };
  } catch {
    return { name, type: 'other', size: null, mtimeMs: null };
  }
}

/**
 * True when the client prefers JSON to HTML (RFC 9110 §12.5.1: the most
 * specific media range decides each type's quality). Ties go to HTML.
 */
export function prefersJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  const list = parseWeightedList(accept);
  return mediaRangeQuality(list, 'application/json') > mediaRangeQuality(list, 'text/html');
}

/** The listing as JSON: `{ path, entries: [{ name, type, size, mtime }], truncated }`, mtime in ISO 8601. */
export function renderJsonListing(urlPath: string, listing: Listing): string {
  return JSON.stringify({
    path: urlPath,
    entries: listing.entries.map((e) => ({
      name: e.name,
      type: e.type,
      size: e.size,
      mtime: e.mtimeMs === null ? null : new Date(e.mtimeMs).toISOString(),
    })),
    truncated: listing.truncated,
  });
}

/**
 * The listing as an HTML page. `urlPath` is the decoded directory path, for
 * display; names are HTML-escaped as text and percent-encoded in links, which
 * are relative to the directory URL (it always ends with "/").
 */
export function renderHtmlListing(urlPath: string, listing: Listing): string {
  const title = `Index of ${escapeHtml(urlPath)}`;
  const rows: string[] = [];
  if (urlPath !== '/') rows.push('<tr><td><a href="../">../</a></td><td></td><td></td></tr>');
  for (const e of listing.entries) {
    const slash = e.type === 'directory' ? '/' : '';
    const href = escapeHtml(encodePathSegment(e.name) + slash);
    const size = e.size === null ? '-' : String(e.size);
    const date = e.mtimeMs === null ? '-' : new Date(e.mtimeMs).toISOString().slice(0, 19).replace('T', ' ');
    rows.push(`<tr><td><a href="${href}">${escapeHtml(e.name + slash)}</a></td><td>${size}</td><td>${date}</td></tr>`);
  }
  const more = listing.truncated ? `<p>Only the first ${listing.entries.length} entries are shown.</p>\n` : '';
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${title}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}td{padding:0 1.5em 0 0}td:nth-child(2){text-align:right}</style>
</head><body>
<h1>${title}</h1>
<table>
<thead><tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
${more}</body></html>
`;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}
