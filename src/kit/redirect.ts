/**
 * Redirects (RFC 9110 §15.4). 302 and 301 let browsers turn a POST into a
 * GET; 307 and 308 keep the method and body; 303 always means "GET this".
 */
import { bodyFromBuffer } from '../http/body.js';
import type { HTTPRes } from '../http/types.js';

/** The redirect statuses: 301/308 permanent, 302/307 temporary, 303 "see other" (a GET). */
export type RedirectStatus = 301 | 302 | 303 | 307 | 308;

const STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * A redirect to `location`: a URL or a path. Characters that cannot appear
 * in a URI (spaces, non-ASCII) are percent-encoded; existing escapes are
 * kept. A location that starts with "//" or "/\" is refused, since browsers
 * read it as another host: pass a full URL to mean one.
 *
 * @example
 * return redirect('/login?next=%2Faccount');
 * return redirect(`/todos/${todo.id}`, 303); // after a POST
 */
export function redirect(location: string, code: RedirectStatus = 302): HTTPRes {
  if (!STATUSES.has(code)) throw new TypeError(`redirect: the status is 301, 302, 303, 307 or 308, not ${code}`);
  if (/^[/\\][/\\]/.test(location)) throw new TypeError(`redirect: ${JSON.stringify(location)} would leave this host; give a full URL`);
  const encoded = location.replace(/%(?![0-9A-Fa-f]{2})|[^\x21-\x7e]|["<>\\^`{|}]/gu, (c) => encodeURIComponent(c));
  return { code, headers: { location: encoded, 'content-type': 'text/plain; charset=utf-8' }, body: bodyFromBuffer(`Redirecting to ${encoded}\n`) };
}
