/**
 * Cookies (RFC 6265): reading the `Cookie` field, writing `Set-Cookie` with
 * every attribute validated, and signed values.
 *
 * - Parsing follows §5.4's tolerance: pairs without "=" or with a name that
 *   is not a token are skipped, never an error; the first of two pairs with
 *   one name wins; values are not decoded (a cookie's bytes are the
 *   application's).
 * - Writing refuses (TypeError) what a browser would misread instead of
 *   writing it: a name that is not a token, a value with ";", ",", a space, a
 *   quote, a backslash or a control character (§4.1.1), attributes with
 *   ";" or controls, SameSite=None or Partitioned without Secure, and the
 *   `__Secure-` / `__Host-` prefixes without what they promise.
 * - Signed cookies carry an HMAC-SHA256 of name and value, so neither can be
 *   changed or moved to another cookie; keys rotate: the first signs, any
 *   verifies; verification is timing-safe.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { formatHttpDate } from '../http/date.js';
import { isToken } from '../http/fields.js';
import { headerKey } from '../http/headers.js';
import type { HTTPReq, ResponseHeaders } from '../http/types.js';

/** Set-Cookie attributes (RFC 6265 §4.1.2, CHIPS for Partitioned). */
export type CookieOptions = {
  /** Lifetime in seconds from now; 0 or less deletes the cookie. */
  maxAge?: number;
  /** Expiry date (Max-Age wins in browsers when both are given). */
  expires?: Date;
  /** Host the cookie is sent to, with its subdomains. Default: this host only. */
  domain?: string;
  /** Path prefix the cookie is sent for. Default: the request's directory (browsers' rule); "/" is usual. */
  path?: string;
  /** Only over HTTPS. */
  secure?: boolean;
  /** Not visible to JavaScript. */
  httpOnly?: boolean;
  /** Sent with cross-site requests: never (Strict), on top-level navigations (Lax, browsers' default), always (None, needs Secure). */
  sameSite?: 'Strict' | 'Lax' | 'None';
  /** CHIPS: a separate cookie jar per top-level site. Needs `secure`. */
  partitioned?: boolean;
};

const parsed = new WeakMap<HTTPReq, ReadonlyMap<string, string>>();

/**
 * Parses a Cookie field value into name → value (first wins).
 *
 * @example
 * parseCookies('sid=abc; theme=dark') // Map { 'sid' => 'abc', 'theme' => 'dark' }
 */
export function parseCookies(field: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of field.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const name = pair.slice(0, eq).trim();
    if (!isToken(name) || out.has(name)) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    out.set(name, value);
  }
  return out;
}

/**
 * The request's cookies, parsed once per request. Several Cookie lines are
 * read as one (RFC 9113 §8.2.3 lets HTTP/2 proxies split them).
 *
 * @example
 * const sid = cookies(req).get('sid');
 */
export function cookies(req: HTTPReq): ReadonlyMap<string, string> {
  let jar = parsed.get(req);
  if (jar === undefined) {
    jar = parseCookies(req.headers.getAll('cookie').join('; '));
    parsed.set(req, jar);
  }
  return jar;
}

/** cookie-octet (§4.1.1): visible ASCII but DQUOTE, comma, semicolon and backslash. */
const COOKIE_VALUE = /^(?:[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*|"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")$/;
/** An attribute value: any CHAR but controls and ";" (§4.1.1 av-octet). */
const ATTRIBUTE_VALUE = /^[\x20-\x3a\x3c-\x7e]*$/;
const DOMAIN = /^\.?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * A Set-Cookie field value. Throws a TypeError for anything that cannot be
 * written as given (see the module comment).
 *
 * @example
 * serializeCookie('sid', id, { httpOnly: true, secure: true, sameSite: 'Lax', path: '/', maxAge: 3600 })
 * // 'sid=...; Max-Age=3600; Path=/; Secure; HttpOnly; SameSite=Lax'
 */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!isToken(name)) throw new TypeError(`cookie name is not a token: ${JSON.stringify(name)}`);
  if (!COOKIE_VALUE.test(value)) throw new TypeError(`cookie ${name}: the value holds a character a cookie cannot carry`);
  let out = `${name}=${value}`;
  const o = options;
  if (o.maxAge !== undefined) {
    if (!Number.isFinite(o.maxAge)) throw new TypeError(`cookie ${name}: Max-Age must be a finite number`);
    out += `; Max-Age=${Math.max(0, Math.floor(o.maxAge))}`;
  }
  if (o.expires !== undefined) {
    if (!(o.expires instanceof Date) || Number.isNaN(o.expires.getTime())) throw new TypeError(`cookie ${name}: Expires must be a valid Date`);
    out += `; Expires=${formatHttpDate(o.expires)}`;
  }
  if (o.domain !== undefined) {
    if (!DOMAIN.test(o.domain)) throw new TypeError(`cookie ${name}: not a domain name: ${JSON.stringify(o.domain)}`);
    out += `; Domain=${o.domain}`;
  }
  if (o.path !== undefined) {
    if (!o.path.startsWith('/') || !ATTRIBUTE_VALUE.test(o.path)) throw new TypeError(`cookie ${name}: Path must start with "/" and hold no ";" or controls`);
    out += `; Path=${o.path}`;
  }
  if (o.secure) out += '; Secure';
  if (o.httpOnly) out += '; HttpOnly';
  if (o.sameSite !== undefined) {
    if (o.sameSite !== 'Strict' && o.sameSite !== 'Lax' && o.sameSite !== 'None') throw new TypeError(`cookie ${name}: SameSite is Strict, Lax or None`);
    if (o.sameSite === 'None' && !o.secure) throw new TypeError(`cookie ${name}: SameSite=None needs Secure (browsers drop it otherwise)`);
    out += `; SameSite=${o.sameSite}`;
  }
  if (o.partitioned) {
    if (!o.secure) throw new TypeError(`cookie ${name}: Partitioned needs Secure`);
    out += '; Partitioned';
  }
  if (name.startsWith('__Secure-') && !o.secure) throw new TypeError(`cookie ${name}: the __Secure- prefix needs Secure`);
  if (name.startsWith('__Host-') && (!o.secure || o.domain !== undefined || o.path !== '/')) {
    throw new TypeError(`cookie ${name}: the __Host- prefix needs Secure, Path=/ and no Domain`);
  }
  return out;
}

/**
 * Adds a Set-Cookie field to response headers, after those already there
 * (a response may set several cookies).
 *
 * @example
 * const headers = {};
 * setCookie(headers, 'theme', 'dark', { path: '/', maxAge: 31536000 });
 * setCookie(headers, 'sid', sid, { httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
 * return { code: 204, headers };
 */
export function setCookie(headers: ResponseHeaders, name: string, value: string, options?: CookieOptions): void {
  const line = serializeCookie(name, value, options);
  const key = headerKey(headers, 'set-cookie') ?? 'Set-Cookie';
  const existing = headers[key];
  headers[key] = existing === undefined ? [line] : [...(typeof existing === 'object' ? existing : [String(existing)]), line];
}

/**
 * Adds a Set-Cookie field that deletes the cookie. Give the `path` and
 * `domain` it was set with: a cookie is only replaced by one with the same.
 */
export function clearCookie(headers: ResponseHeaders, name: string, options: Pick<CookieOptions, 'path' | 'domain' | 'secure' | 'sameSite' | 'partitioned'> = {}): void {
  setCookie(headers, name, '', { ...options, maxAge: 0, expires: new Date(0) });
}

/** Made by cookieSigner(). */
export type CookieSigner = {
  /** `value` with its signature appended (`value.signature`): what to send as the cookie's value. */
  sign(name: string, value: string): string;
  /** The value if `signed` was signed by one of the keys for this name, else null. */
  verify(name: string, signed: string): string | null;
};

/** Shortest key accepted for signing (bytes): HMAC-SHA256 wants 32 bytes of entropy. */
export const MIN_COOKIE_KEY_BYTES = 32;

/**
 * Signs and verifies cookie values with HMAC-SHA256. `keys`: newest first;
 * the first signs, every one verifies, so a key can be retired by adding a
 * new one in front and dropping the old one later.
 *
 * @example
 * const signer = cookieSigner([process.env.COOKIE_KEY_2!, process.env.COOKIE_KEY_1!]);
 * setCookie(headers, 'uid', signer.sign('uid', '42'), { httpOnly: true, path: '/' });
 * const uid = signer.verify('uid', cookies(req).get('uid') ?? ''); // '42', or null if tampered with
 */
export function cookieSigner(keys: readonly (string | Buffer)[]): CookieSigner {
  if (keys.length === 0) throw new TypeError('cookieSigner: at least one key');
  const secrets = keys.map((k) => (typeof k === 'string' ? Buffer.from(k) : Buffer.from(k)));
  for (const s of secrets) {
    if (s.length < MIN_COOKIE_KEY_BYTES) throw new TypeError(`cookieSigner: keys must be at least ${MIN_COOKIE_KEY_BYTES} bytes`);
  }
  const mac = (key: Buffer, name: string, value: string): Buffer => createHmac('sha256', key).update(`${name}=${value}`).digest();
  return {
    sign(name, value) {
      if (!COOKIE_VALUE.test(value) || value.startsWith('"')) throw new TypeError(`cookie ${name}: the value holds a character a cookie cannot carry`);
      return `${value}.${mac(secrets[0]!, name, value).toString('base64url')}`;
    },
    verify(name, signed) {
      const dot = signed.lastIndexOf('.');
      if (dot < 0) return null;
      const value = signed.slice(0, dot);
      const given = Buffer.from(signed.slice(dot + 1), 'base64url');
      let ok = false;
      for (const key of secrets) {
        const expected = mac(key, name, value);
        // Every key is tried, whatever matched: the time does not depend on which.
        if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
      }
      return ok ? value : null;
    },
  };
}
