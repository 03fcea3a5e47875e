/**
 * Error pages of the `weft` command: a site's own (`404.html` at the root,
 * `50x.html`, or the pages its config names) served with the error's
 * status, and otherwise weft's own page, in the style of its listings, for
 * browsers (plain text for everyone else).
 */
import { bodyFromBuffer } from '../http/body.js';
import { defaultFormatError } from '../http/connection.js';
import { errorStatus, HTTPError, STATUS_TEXT, withNotedErrorHeaders, type ErrorFormatter } from '../http/errors.js';
import { FieldList, mediaRangeQuality, parseWeightedList } from '../http/fields.js';
import { deleteHeader, setHeader } from '../http/headers.js';
import type { Handler, HTTPReq, HTTPRes } from '../http/types.js';
import { escapeHtml, renderPage } from '../static/listing.js';

/** What a client is told about an error on weft's own page (never a 5xx's message: it may hold internals). */
const HINTS: Record<number, string> = {
  401: 'This site needs a user name and password.',
  403: 'You may not see this page.',
  404: 'There is nothing at this address.',
  405: 'This address does not take that method.',
};

// Browsers name text/html in Accept; curl and fetch() send "*/*" and get text.
const wantsHtml = (req: HTTPReq | null): boolean => {
  const accept = req?.headers.get('accept');
  if (accept === undefined || !/\btext\/html\b/i.test(accept)) return false;
  return mediaRangeQuality(parseWeightedList(accept), 'text/html') > 0;
};

/**
 * The server's formatError: an HTML page for clients that ask for HTML
 * (browsers), weft's default plain text otherwise.
 */
export const htmlErrors: ErrorFormatter = (err, req) => {
  if (!wantsHtml(req)) return defaultFormatError(err, req);
  const status = errorStatus(err);
  const reason = STATUS_TEXT[status] ?? 'Error';
  const detail = err instanceof HTTPError && status < 500 && err.message !== reason ? err.message : (HINTS[status] ?? '');
  const path = req === null ? '' : `<p class="muted"><code>${escapeHtml(safeDecode(req.path))}</code></p>`;
  const body = `<main><h1>${status} ${escapeHtml(reason)}</h1>${detail ? `<p>${escapeHtml(detail)}</p>` : ''}${path}<p><a href="/">Home</a></p></main>`;
  return {
    code: status,
    headers: { 'content-type': 'text/html; charset=utf-8', ...(err instanceof HTTPError ? err.headers : undefined) },
    body: bodyFromBuffer(renderPage(`${status} ${reason}`, body, 'error')),
  };
};

const safeDecode = (path: string): string => {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
};

/**
 * The URL paths tried for an error's page, in order, the specific before
 * the general: the page configured for the status ("404"), the file
 * `/<status>.html`, the page configured for the class ("4xx"), the file
 * `/<digit>0x.html` (nginx's `50x.html`).
 */
export function errorPagePaths(status: number, configured: Readonly<Record<string, string>>): string[] {
  const cls = `${Math.floor(status / 100)}xx`;
  const paths = [configured[String(status)], `/${status}.html`, configured[cls], `/${Math.floor(status / 100)}0x.html`];
  return [...new Set(paths.filter((p): p is string => p !== undefined))];
}

/**
 * Answers errors thrown by `handler` with a page that `files` serves
 * (the first of errorPagePaths that exists), with the error's status and
 * header fields (Allow, WWW-Authenticate, ...). Errors without such a page
 * go on up unchanged, to the server's formatter. An exception that is not
 * an HTTPError is reported to `onError` first (it is a 500).
 */
export function withErrorPages(
  handler: Handler,
  files: Handler,
  configured: Readonly<Record<string, string>>,
  onError: (err: unknown, req: HTTPReq) => void,
): Handler {
  return async (req, body) => {
    try {
      return await handler(req, body);
    } catch (err) {
      const status = errorStatus(err);
      // A connection that must close (its framing is lost) gets the server's short answer.
      if (status < 400 || (err instanceof HTTPError && err.close === true)) throw err;
      const page = await findPage(files, req, errorPagePaths(status, configured));
      if (page === null) throw err;
      if (!(err instanceof HTTPError)) onError(err, req);
      return withNotedErrorHeaders(err, asErrorResponse(page, err, status));
    }
  };
}

/** The page's response for a plain GET (or HEAD) of `path`, or null when there is none. */
async function findPage(files: Handler, req: HTTPReq, paths: readonly string[]): Promise<HTTPRes | null> {
  // Only what chooses a representation: the original request's conditionals
  // and ranges are about another resource.
  const headers = new FieldList();
  const accept = req.headers.get('accept-encoding');
  if (accept !== undefined) headers.add('accept-encoding', accept);
  const method = req.method === 'HEAD' ? 'HEAD' : 'GET';
  for (const path of paths) {
    const pageReq: HTTPReq = { ...req, method, target: path, path, query: '', headers };
    try {
      const res = await files(pageReq, { length: 0, read: async () => Buffer.alloc(0) });
      if (res.code === 200) return res;
      await res.body?.close?.();
    } catch (e) {
      if (errorStatus(e) !== 404) throw e;
    }
  }
  return null;
}

/** The page as the answer to the error: its status, its fields, no validators of the page's own. */
function asErrorResponse(page: HTTPRes, err: unknown, status: number): HTTPRes {
  const headers = { ...page.headers };
  for (const name of ['etag', 'last-modified', 'accept-ranges', 'content-range']) deleteHeader(headers, name);
  setHeader(headers, 'Cache-Control', 'no-cache');
  if (err instanceof HTTPError && err.headers !== undefined) {
    for (const [name, value] of Object.entries(err.headers)) setHeader(headers, name, value);
  }
  return { ...page, code: status, headers };
}
