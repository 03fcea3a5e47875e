/**
 * Directory listings: the entries of a directory (bounded, stat()ed with
 * bounded concurrency), answered as HTML for browsers or as JSON for
 * `Accept: application/json`, sorted by `?sort=name|size|date` (and
 * `&order=asc|desc`) with folders first, and with an ETag so that caches
 * revalidate them like files.
 *
 * The HTML page needs no script and loads nothing (its style is inline, its
 * icons are data: URLs): breadcrumbs, sizes with the exact byte count on
 * hover, UTC times, column headers that are sort links, light and dark
 * colours from `prefers-color-scheme`, and a layout that fits a 380 px
 * phone. Its style (PAGE_CSS, renderPage) is shared with the command's
 * error pages.
 */
import { createHash } from 'node:crypto';
import { opendir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { bodyFromBuffer } from '../http/body.js';
import { mediaRangeQuality, parseWeightedList } from '../http/fields.js';
import type { HTTPReq, HTTPRes } from '../http/types.js';
import { evaluatePreconditions } from './conditional.js';
import { LISTING_STAT_CONCURRENCY, MAX_LISTING_ENTRIES } from './options.js';
import { isInside } from './locate.js';
import { NOSNIFF } from './representation.js';
import { encodePath, encodePathSegment } from './request-path.js';

export type ListingEntry = {
  readonly name: string;
  readonly type: 'file' | 'directory' | 'other';
  /** Bytes, for files; null otherwise or when the entry could not be stat()ed (a broken symlink). */
  readonly size: number | null;
  /** Modification time (ms since the epoch); null when unknown. */
  readonly mtimeMs: number | null;
};

export type Listing = {
  /** Directories first, then files, each by name (case aside, numbers by value). */
  readonly entries: readonly ListingEntry[];
  /** True when the directory had more than `limit` visible entries and the rest were left out. */
  readonly truncated: boolean;
};

/** What a listing is sorted by (`?sort=`), and in which direction (`&order=`). */
export type ListingOrder = { readonly by: 'name' | 'size' | 'date'; readonly descending: boolean };

/**
 * Reads the directory at `dir` (a real path inside the root). Names starting
 * with "." are left out unless `showDotfiles`; so are symlinks whose target
 * is not inside `realRoot` (null: symlinks may lead anywhere), whose size
 * and date are not ours to show, and names `hide` refuses.
 */
export async function readListing(
  dir: string,
  showDotfiles: boolean,
  realRoot: string | null,
  limit = MAX_LISTING_ENTRIES,
  hide?: (name: string) => boolean,
): Promise<Listing> {
  const names: string[] = [];
  const links = new Set<string>();
  let truncated = false;
  // opendir streams entries: a huge directory costs `limit` names, not all of them.
  const handle = await opendir(dir);
  try {
    for await (const dirent of handle) {
      if (!showDotfiles && dirent.name.startsWith('.')) continue;
      if (hide?.(dirent.name)) continue;
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
  return { entries: sortEntries(entries, { by: 'name', descending: false }), truncated };
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

/** Names as people sort them: case aside, digits by value ("file9" before "file10"); code point order breaks ties. */
// Made on the first listing: an ICU collator costs megabytes of memory, and a
// server that never lists a directory should not pay for it.
let collator: Intl.Collator | null = null;
const byName = (a: ListingEntry, b: ListingEntry): number =>
  (collator ??= new Intl.Collator('en', { numeric: true, sensitivity: 'base' })).compare(a.name, b.name) ||
  (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Folders first, then the rest, each by `order` (ties by name, ascending). */
export function sortEntries(entries: readonly ListingEntry[], order: ListingOrder): ListingEntry[] {
  const key = (e: ListingEntry): number => (order.by === 'size' ? (e.size ?? -1) : (e.mtimeMs ?? 0));
  const sign = order.descending ? -1 : 1;
  return [...entries].sort((a, b) => {
    const da = a.type === 'directory' ? 0 : 1;
    const db = b.type === 'directory' ? 0 : 1;
    if (da !== db) return da - db;
    if (order.by === 'name') return sign * byName(a, b);
    return sign * (key(a) - key(b)) || byName(a, b);
  });
}

/**
 * The order a query asks for: `sort=name|size|date`, `order=asc|desc`.
 * Names default to ascending, sizes and dates to descending (largest,
 * newest first); anything else is the default, by name.
 */
export function listingOrder(query: string): ListingOrder {
  const q = new URLSearchParams(query);
  const sort = q.get('sort');
  const by = sort === 'size' || sort === 'date' ? sort : 'name';
  const order = q.get('order');
  return { by, descending: order === 'desc' || (order !== 'asc' && by !== 'name') };
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

/** Codings a compression layer above may have suffixed the listing's ETag with (representationETag). */
const CODED_SUFFIXES = ['', '-br', '-gzip', '-deflate'];

/**
 * The answer to a GET or HEAD for a directory's listing, at the URL path of
 * `segments` (decoded, mount prefix included): HTML or JSON as the client
 * prefers, sorted as its query asks, with a strong ETag of the bytes, and
 * 304 when If-None-Match has it (also with a coding's suffix: a compression
 * layer above turns the tag into the coded one's).
 */
export function listingResponse(req: HTTPReq, segments: readonly string[], listing: Listing): HTTPRes {
  const json = prefersJson(req.headers.get('accept'));
  const order = listingOrder(req.query);
  const sorted: Listing = { entries: sortEntries(listing.entries, order), truncated: listing.truncated };
  const urlPath = segments.length === 0 ? '/' : `/${segments.join('/')}/`;
  const text = json ? renderJsonListing(urlPath, sorted) : renderHtmlListing(segments, sorted, order);
  const etag = `"${createHash('sha1').update(text).digest('base64url').slice(0, 22)}"`;
  const headers = {
    'Content-Type': json ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
    'Cache-Control': 'no-cache',
    ETag: etag,
    Vary: 'Accept',
    ...NOSNIFF,
  };
  const outcomes = CODED_SUFFIXES.map((suffix) => {
    const tag = suffix === '' ? etag : `${etag.slice(0, -1)}${suffix}"`;
    return evaluatePreconditions(req.method, req.headers, { etag: tag, lastModified: undefined });
  });
  if (outcomes.includes(304)) return { code: 304, headers: { ETag: etag, 'Cache-Control': 'no-cache', Vary: 'Accept' } };
  if (!outcomes.includes('proceed')) return { code: 412, headers: { ...NOSNIFF } };
  return { code: 200, headers, body: bodyFromBuffer(text) };
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

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → "1.5 KiB"; under 1 KiB, bytes ("512 B"). */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${UNITS[u]}`;
}

const exactBytes = (n: number): string => `${n.toLocaleString('en-US')} byte${n === 1 ? '' : 's'}`;

/** A sortable column header: a link to the order it would switch to, and an arrow on the current one. */
function sortHeader(label: string, by: ListingOrder['by'], order: ListingOrder, cls: string): string {
  const current = order.by === by;
  const next = current ? !order.descending : by !== 'name';
  const href = `?sort=${by}&amp;order=${next ? 'desc' : 'asc'}`;
  const arrow = current ? (order.descending ? ' ▼' : ' ▲') : '';
  const aria = current ? ` aria-sort="${order.descending ? 'descending' : 'ascending'}"` : '';
  return `<th class="${cls}"${aria}><a href="${href}">${label}${arrow}</a></th>`;
}

/** Breadcrumbs: each folder of the path a link, the last one plain text. */
function breadcrumbs(segments: readonly string[]): string {
  const parts = [segments.length === 0 ? '<span>/</span>' : '<a href="/" aria-label="root">/</a>'];
  segments.forEach((s, i) => {
    const name = escapeHtml(s);
    const last = i === segments.length - 1;
    parts.push(last ? `<span>${name}</span>/` : `<a href="${escapeHtml(encodePath(segments.slice(0, i + 1), true))}">${name}</a>/`);
  });
  return parts.join('');
}

function timeCell(ms: number | null): string {
  if (ms === null) return '<td class="date">–</td>';
  const iso = new Date(ms).toISOString();
  return `<td class="date"><time datetime="${iso}" title="${iso.slice(0, 19)}Z">${iso.slice(0, 10)}<span class="hm"> ${iso.slice(11, 16)}</span></time></td>`;
}

/**
 * The listing as an HTML page. `segments` are the directory's decoded path
 * segments, for display; names are HTML-escaped as text and percent-encoded
 * in links, which are relative to the directory URL (it always ends with "/").
 */
export function renderHtmlListing(segments: readonly string[], listing: Listing, order: ListingOrder = { by: 'name', descending: false }): string {
  const urlPath = segments.length === 0 ? '/' : `/${segments.join('/')}/`;
  const rows: string[] = [];
  if (segments.length > 0) {
    rows.push('<tr class="up"><td class="name"><a href="../"><i class="icon up"></i>..</a></td><td class="size"></td><td class="date"></td></tr>');
  }
  let folders = 0;
  let files = 0;
  let bytes = 0;
  for (const e of listing.entries) {
    const dir = e.type === 'directory';
    if (dir) folders++;
    else files++;
    bytes += e.size ?? 0;
    const href = escapeHtml(encodePathSegment(e.name) + (dir ? '/' : ''));
    const size = e.size === null ? '<td class="size muted">–</td>' : `<td class="size" title="${exactBytes(e.size)}">${humanSize(e.size)}</td>`;
    rows.push(
      `<tr class="${dir ? 'dir' : 'file'}"><td class="name"><a href="${href}"><i class="icon ${dir ? 'dir' : 'file'}"></i>${escapeHtml(e.name)}${dir ? '/' : ''}</a></td>${size}${timeCell(e.mtimeMs)}</tr>`,
    );
  }
  if (listing.entries.length === 0) rows.push('<tr><td class="name muted" colspan="3">This folder is empty.</td></tr>');
  const count = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  const summary = `${count(folders, 'folder')}, ${count(files, 'file')}${files > 0 ? `, <span title="${exactBytes(bytes)}">${humanSize(bytes)}</span>` : ''}`;
  const more = listing.truncated ? `<p class="note">Only the first ${listing.entries.length} entries are shown.</p>` : '';
  const body = `<header><h1 class="crumbs">Index of ${breadcrumbs(segments)}</h1><p class="muted">${summary}</p></header>
<main>
<table class="listing">
<colgroup><col><col class="size"><col class="date"></colgroup>
<thead><tr>${sortHeader('Name', 'name', order, 'name')}${sortHeader('Size', 'size', order, 'size')}${sortHeader('Modified <span class="utc">(UTC)</span>', 'date', order, 'date')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
${more}</main>`;
  return renderPage(`Index of ${urlPath}`, body);
}

/** Icons as masks (data: URLs, drawn in the text colour): a folder, a page, an arrow up. */
const ICON = {
  dir: "M3 6a2 2 0 0 1 2-2h4.2l2 2H19a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z",
  file: 'M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.8V9h5.2z',
  up: 'M12 4l7 7h-4.5v9h-5v-9H5z',
};
const mask = (path: string): string =>
  `url("data:image/svg+xml,${encodeURIComponent(`<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'><path d='${path}'/></svg>`)}")`;

/**
 * The style of weft's own pages (listings, error pages; the demo's
 * style.css follows it): system fonts, light and dark colours.
 */
export const PAGE_CSS = `:root{color-scheme:light dark;--fg:#1d1f21;--muted:#5f6368;--accent:#2f6fdb;--bg:#fafaf7;--card:#fff;--line:#e3e3dc;--hover:#f1f4fb}
@media (prefers-color-scheme:dark){:root{--fg:#e4e4e1;--muted:#9aa0a6;--accent:#82aaff;--bg:#151617;--card:#1e1f21;--line:#323437;--hover:#25282d}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header,main,footer{max-width:60rem;margin:0 auto;padding:.9rem 1.25rem}
h1{margin:.6rem 0 0;font-size:1.35rem;font-weight:600;overflow-wrap:anywhere}
header p{margin:.2rem 0 0}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
.muted{color:var(--muted)}
.crumbs a,.crumbs span{padding:0 .1em}
table{width:100%;border-collapse:separate;border-spacing:0;table-layout:fixed;background:var(--card);border:1px solid var(--line);border-radius:.55rem;overflow:hidden}
th,td{padding:.5rem .8rem;text-align:left;border-bottom:1px solid var(--line);white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
tbody tr:last-child td{border-bottom:0}
th{font-size:.82rem;font-weight:600}th a{color:var(--muted)}th[aria-sort] a{color:var(--fg)}
td.name{white-space:normal;overflow-wrap:anywhere}
td.name a{display:block}
.size{text-align:right;font-variant-numeric:tabular-nums}
.date{font-variant-numeric:tabular-nums}
col.size{width:7rem}col.date{width:11.5rem}
tbody tr:hover td{background:var(--hover)}
.icon{display:inline-block;width:1.15em;height:1.15em;margin-right:.5em;vertical-align:-.2em;background:currentColor;-webkit-mask:var(--i) center/contain no-repeat;mask:var(--i) center/contain no-repeat}
.icon.dir{--i:${mask(ICON.dir)}}.icon.file{--i:${mask(ICON.file)};color:var(--muted)}.icon.up{--i:${mask(ICON.up)};color:var(--muted)}
.note{color:var(--muted);font-size:.9rem}
.error h1{font-size:2.2rem;margin-top:2rem}.error p{font-size:1.05rem}
code{font:.92em ui-monospace,SFMono-Regular,Menlo,monospace}
@media (max-width:600px){header,main{padding:.7rem .6rem}th,td{padding:.5rem .45rem}td.size,td.date{font-size:.85rem}col.size{width:4.7rem}col.date{width:6.4rem}.hm,.utc{display:none}h1{font-size:1.15rem}}`;

/** A whole page in weft's style; `body` is trusted HTML. */
export function renderPage(title: string, body: string, bodyClass = ''): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${PAGE_CSS}</style>
</head><body${bodyClass ? ` class="${bodyClass}"` : ''}>
${body}
</body></html>
`;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}
