/**
 * The site config file (`weft.json` in the served directory, or
 * `--config FILE`): read, parsed and validated into settings, with every
 * mistake reported at its line and column ("weft.json:7:17: status must be
 * 301, 302, 307 or 308, not 303"). Paths in the file (root, tls) are
 * relative to the file's directory.
 *
 * @example
 * {
 *   "root": "public",
 *   "cleanUrls": "redirect",
 *   "errorPages": { "404": "/404.html", "5xx": "/50x.html" },
 *   "headers": [{ "source": "/**", "headers": { "X-Frame-Options": "DENY" } }],
 *   "cache": [{ "source": "/assets/**", "cacheControl": "public, max-age=31536000, immutable" }],
 *   "redirects": [{ "source": "/blog/:slug", "destination": "/posts/:slug", "status": 308 }],
 *   "rewrites": [{ "source": "/app/**", "destination": "/app/index.html" }]
 * }
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { isToken } from '../http/fields.js';
import { isPasswordHash } from '../kit/basic-auth.js';
import { JsonSyntaxError, parseJsonWithPositions, type JsonPath } from './json-source.js';
import type { CacheRule, Credential, HeaderRule, RedirectRule, RewriteRule, SettingsInput } from './settings.js';
import { pubsubUrlProblem } from './site-bus.js';
import { checkDestination, compilePattern, PatternError, type UrlPattern } from './url-pattern.js';

/** Largest config file read (bytes): a site's config is a few KiB. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Most mistakes reported at once. */
const MAX_REPORTED = 20;

/** A config file that cannot be used: `message` has one line per mistake, each "file:line:column: what". */
export class SiteConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SiteConfigError';
  }
}

/**
 * Fields a rule may not set: they describe the message's framing or its
 * coding, which the server computes (a wrong one breaks every response).
 */
const FORBIDDEN_HEADERS = new Set([
  'connection', 'content-encoding', 'content-length', 'content-range', 'keep-alive', 'proxy-connection', 'te', 'trailer',
  'transfer-encoding', 'upgrade',
]);

type Check = {
  /** Reports a mistake about the value at `path` (with `key`, about its key). */
  error(path: JsonPath, message: string, key?: boolean): void;
};

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'a list' : isObject(v) ? 'an object' : String(v));
const keyName = (path: JsonPath): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || 'the file';

/** Reads and validates the config file at `file`. Throws SiteConfigError. */
export async function loadSiteConfig(file: string): Promise<SettingsInput> {
  let text: string;
  try {
    const bytes = await readFile(file);
    if (bytes.length > MAX_CONFIG_BYTES) throw new SiteConfigError(`${file}: larger than ${MAX_CONFIG_BYTES} bytes`);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof SiteConfigError) throw err;
    throw new SiteConfigError(`${file}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseSiteConfig(text, file);
}

/** Parses and validates config text; `file` names it in messages and anchors its relative paths. */
export function parseSiteConfig(text: string, file: string): SettingsInput {
  let parsed;
  try {
    parsed = parseJsonWithPositions(text);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    throw new SiteConfigError(`${file}:${err.position.line}:${err.position.column}: ${err.message}`);
  }
  const errors: string[] = [];
  let unreported = 0;
  const check: Check = {
    error(path, message, key) {
      // A position costs a scan of the text: past the mistakes shown, only
      // count them (a SIGHUP reload runs on the thread that serves).
      if (errors.length === MAX_REPORTED) return void unreported++;
      const at = parsed.positionOf(path, key);
      errors.push(`${file}:${at.line}:${at.column}: ${message}`);
    },
  };
  const settings = readSettings(parsed.value, check, dirname(resolve(file)));
  if (errors.length > 0) {
    const more = unreported > 0 ? [`... and ${unreported} more`] : [];
    throw new SiteConfigError([...errors, ...more].join('\n'));
  }
  return settings;
}

type KeyReader = (value: unknown, path: JsonPath, check: Check, base: string, out: SettingsInput) => void;

const bool =
  (key: 'listing' | 'compression' | 'spa' | 'cors' | 'exposePid' | 'open' | 'quiet'): KeyReader =>
  (v, path, check, _base, out) => {
    if (typeof v !== 'boolean') return check.error(path, `${keyName(path)} must be true or false, not ${show(v)}`);
    out[key] = v;
  };

function wholeNumber(v: unknown, path: JsonPath, check: Check, min: number, max: number): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    check.error(path, `${keyName(path)} must be a whole number from ${min} to ${max}, not ${show(v)}`);
    return undefined;
  }
  return v;
}

function text(v: unknown, path: JsonPath, check: Check, what = 'a string'): string | undefined {
  if (typeof v !== 'string' || v === '') {
    check.error(path, `${keyName(path)} must be ${what}, not ${show(v)}`);
    return undefined;
  }
  return v;
}

/** A header field value: visible characters, spaces and tabs (RFC 9110 §5.5). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\uffff]*$/;

function headerValue(v: unknown, path: JsonPath, check: Check): string | undefined {
  const s = text(v, path, check, 'a non-empty string');
  if (s !== undefined && !FIELD_VALUE.test(s)) {
    check.error(path, `${keyName(path)} has a control character (no CR, LF or NUL in a header)`);
    return undefined;
  }
  return s;
}

function pattern(v: unknown, path: JsonPath, check: Check): UrlPattern | undefined {
  const s = text(v, path, check, 'a path pattern ("/assets/**")');
  if (s === undefined) return undefined;
  try {
    return compilePattern(s);
  } catch (err) {
    if (!(err instanceof PatternError)) throw err;
    check.error(path, `${keyName(path)}: ${err.message}`);
    return undefined;
  }
}

/** An object with exactly the keys in `shape` (those without "?" required). */
function fields(v: unknown, path: JsonPath, check: Check, shape: readonly string[]): Obj | undefined {
  if (!isObject(v)) {
    check.error(path, `${keyName(path)} must be an object with ${shape.map((k) => `"${k.replace('?', '')}"`).join(', ')}, not ${show(v)}`);
    return undefined;
  }
  const names = shape.map((k) => k.replace('?', ''));
  for (const k of Object.keys(v)) {
    if (!names.includes(k)) check.error([...path, k], `unknown key "${k}" in ${keyName(path)}${suggest(k, names)}`, true);
  }
  let complete = true;
  for (const k of shape) {
    if (k.endsWith('?') || k in v) continue;
    check.error(path, `${keyName(path)} needs "${k}"`);
    complete = false;
  }
  return complete ? v : undefined;
}

function list<T>(v: unknown, path: JsonPath, check: Check, item: (v: unknown, path: JsonPath) => T | undefined): T[] {
  if (!Array.isArray(v)) {
    check.error(path, `${keyName(path)} must be a list ([...]), not ${show(v)}`);
    return [];
  }
  const out: T[] = [];
  v.forEach((x, i) => {
    const r = item(x, [...path, i]);
    if (r !== undefined) out.push(r);
  });
  return out;
}

function headerRule(v: unknown, path: JsonPath, check: Check): HeaderRule | undefined {
  const o = fields(v, path, check, ['source', 'headers']);
  if (o === undefined) return undefined;
  const p = pattern(o.source, [...path, 'source'], check);
  const hp = [...path, 'headers'];
  if (!isObject(o.headers)) {
    if ('headers' in o) check.error(hp, `${keyName(hp)} must be an object of header names and values, not ${show(o.headers)}`);
    return undefined;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(o.headers)) {
    const at = [...hp, name];
    if (!isToken(name)) check.error(at, `"${name}" is not a header name`, true);
    else if (FORBIDDEN_HEADERS.has(name.toLowerCase())) check.error(at, `"${name}" is set by the server, not by a rule`, true);
    const val = headerValue(value, at, check);
    if (val !== undefined) headers[name] = val;
  }
  return p === undefined ? undefined : { pattern: p, headers };
}

function cacheRule(v: unknown, path: JsonPath, check: Check): CacheRule | undefined {
  const o = fields(v, path, check, ['source', 'cacheControl']);
  if (o === undefined) return undefined;
  const p = pattern(o.source, [...path, 'source'], check);
  const cc = headerValue(o.cacheControl, [...path, 'cacheControl'], check);
  return p === undefined || cc === undefined ? undefined : { pattern: p, cacheControl: cc };
}

function destination(v: unknown, path: JsonPath, check: Check, p: UrlPattern | undefined, absolute: boolean): string | undefined {
  const d = text(v, path, check, absolute ? 'a path or an http(s) URL' : 'a path');
  if (d === undefined || p === undefined) return undefined;
  try {
    checkDestination(d, p, absolute);
    return d;
  } catch (err) {
    if (!(err instanceof PatternError)) throw err;
    check.error(path, `${keyName(path)}: ${err.message}`);
    return undefined;
  }
}

function redirectRule(v: unknown, path: JsonPath, check: Check): RedirectRule | undefined {
  const o = fields(v, path, check, ['source', 'destination', 'status?']);
  if (o === undefined) return undefined;
  const p = pattern(o.source, [...path, 'source'], check);
  const d = destination(o.destination, [...path, 'destination'], check, p, true);
  const status = o.status ?? 301;
  if (status !== 301 && status !== 302 && status !== 307 && status !== 308) {
    check.error([...path, 'status'], `status must be 301, 302, 307 or 308, not ${show(status)}`);
    return undefined;
  }
  return p === undefined || d === undefined ? undefined : { pattern: p, destination: d, status };
}

function rewriteRule(v: unknown, path: JsonPath, check: Check): RewriteRule | undefined {
  const o = fields(v, path, check, ['source', 'destination']);
  if (o === undefined) return undefined;
  const p = pattern(o.source, [...path, 'source'], check);
  const d = destination(o.destination, [...path, 'destination'], check, p, false);
  return p === undefined || d === undefined ? undefined : { pattern: p, destination: d };
}

const ERROR_PAGE_KEY = /^(?:[45]\d\d|[45]xx)$/;

const READERS: Record<string, KeyReader> = {
  root: (v, path, check, base, out) => {
    const s = text(v, path, check, 'a directory (relative to this file)');
    if (s !== undefined) out.root = resolve(base, s);
  },
  port: (v, path, check, _b, out) => {
    out.port = wholeNumber(v, path, check, 0, 65535);
  },
  host: (v, path, check, _b, out) => {
    const s = text(v, path, check, 'an address ("0.0.0.0")');
    if (s !== undefined && /\s/.test(s)) check.error(path, `host must be an address, not ${show(s)}`);
    else out.host = s;
  },
  workers: (v, path, check, _b, out) => {
    out.workers = v === 'auto' ? availableParallelism() : wholeNumber(v, path, check, 1, 1024);
  },
  log: (v, path, check, _b, out) => {
    if (v !== 'combined' && v !== 'json' && v !== 'off') return check.error(path, `log must be "combined", "json" or "off", not ${show(v)}`);
    out.log = v;
  },
  listing: bool('listing'),
  compression: bool('compression'),
  spa: bool('spa'),
  cors: bool('cors'),
  exposePid: bool('exposePid'),
  open: bool('open'),
  quiet: bool('quiet'),
  cleanUrls: (v, path, check, _b, out) => {
    if (typeof v !== 'boolean' && v !== 'redirect') return check.error(path, `cleanUrls must be true, false or "redirect", not ${show(v)}`);
    out.cleanUrls = v;
  },
  cacheControl: (v, path, check, _b, out) => {
    const cc = headerValue(v, path, check);
    if (cc !== undefined) out.cache = { ...out.cache, cacheControl: cc };
  },
  cacheMaxAge: (v, path, check, _b, out) => {
    const n = wholeNumber(v, path, check, 0, 2 ** 31 - 1);
    if (n !== undefined) out.cache = { ...out.cache, maxAge: n };
  },
  immutable: (v, path, check, _b, out) => {
    if (typeof v !== 'boolean') return check.error(path, `immutable must be true or false, not ${show(v)}`);
    out.cache = { ...out.cache, immutable: v };
  },
  shutdownTimeout: (v, path, check, _b, out) => {
    const n = wholeNumber(v, path, check, 0, 3600);
    if (n !== undefined) out.shutdownTimeout = n * 1000;
  },
  pubsub: (v, path, check, _b, out) => {
    const url = text(v, path, check, 'a redis:// or rediss:// URL');
    if (url === undefined) return;
    const problem = pubsubUrlProblem(url);
    if (problem !== null) check.error(path, `pubsub: ${problem}`);
    else out.pubsub = url;
  },
  tls: (v, path, check, base, out) => {
    const o = fields(v, path, check, ['cert', 'key']);
    if (o === undefined) return;
    const cert = text(o.cert, [...path, 'cert'], check, 'a PEM file');
    const key = text(o.key, [...path, 'key'], check, 'a PEM file');
    if (cert !== undefined && key !== undefined) out.tls = { cert: resolve(base, cert), key: resolve(base, key) };
  },
  auth: (v, path, check, _b, out) => {
    const o = fields(v, path, check, ['users', 'realm?']);
    if (o === undefined) return;
    const realm = o.realm === undefined ? 'weft' : text(o.realm, [...path, 'realm'], check);
    if (realm !== undefined && /["\\\x00-\x1f\x7f]/.test(realm)) check.error([...path, 'realm'], 'realm cannot hold quotes, backslashes or controls');
    const up = [...path, 'users'];
    if (!isObject(o.users) || Object.keys(o.users).length === 0) {
      return check.error(up, `users must be an object of names and hashes ({"ann": "$scrypt$..."}), not ${show(o.users)}`);
    }
    const users: Record<string, Credential> = {};
    for (const [name, hash] of Object.entries(o.users)) {
      if (name.includes(':') || name === '') check.error([...up, name], `user name ${JSON.stringify(name)} cannot be empty or hold ":"`, true);
      // As a key of a plain object it would set the prototype: the user would vanish.
      else if (name === '__proto__') check.error([...up, name], 'user name "__proto__" cannot be used', true);
      if (typeof hash !== 'string' || !isPasswordHash(hash)) {
        check.error([...up, name], `the password of "${name}" must be a hash from \`weft hash-password\`, not a password`);
      } else {
        users[name] = { hash };
      }
    }
    if (realm !== undefined) out.auth = { realm, users };
  },
  errorPages: (v, path, check, _b, out) => {
    if (!isObject(v)) return check.error(path, `errorPages must be an object such as {"404": "/404.html"}, not ${show(v)}`);
    const pages: Record<string, string> = {};
    for (const [status, page] of Object.entries(v)) {
      const at = [...path, status];
      if (!ERROR_PAGE_KEY.test(status)) check.error(at, `"${status}" is not an error status ("404") or class ("5xx")`, true);
      const p = text(page, at, check, 'a path ("/404.html")');
      if (p !== undefined && (!p.startsWith('/') || /[?#\s]/.test(p))) check.error(at, `${keyName(at)} must be a path starting with "/"`);
      else if (p !== undefined) pages[status] = p;
    }
    out.errorPages = pages;
  },
  headers: (v, path, check, _b, out) => {
    out.headers = list(v, path, check, (x, p) => headerRule(x, p, check));
  },
  cache: (v, path, check, _b, out) => {
    out.cacheRules = list(v, path, check, (x, p) => cacheRule(x, p, check));
  },
  redirects: (v, path, check, _b, out) => {
    out.redirects = list(v, path, check, (x, p) => redirectRule(x, p, check));
  },
  rewrites: (v, path, check, _b, out) => {
    out.rewrites = list(v, path, check, (x, p) => rewriteRule(x, p, check));
  },
};

/** The keys a config file may have. */
export const CONFIG_KEYS: readonly string[] = Object.keys(READERS);

function readSettings(value: unknown, check: Check, base: string): SettingsInput {
  const out: SettingsInput = {};
  if (!isObject(value)) {
    check.error([], `a site config is an object ({ ... }), not ${show(value)}`);
    return out;
  }
  for (const [key, v] of Object.entries(value)) {
    if (key === '$schema' || key === '//') continue; // editors' schema links and comments
    const reader = READERS[key];
    if (reader === undefined) check.error([key], `unknown key "${key}"${suggest(key, CONFIG_KEYS)}`, true);
    else reader(v, [key], check, base, out);
  }
  return out;
}

/** ' (did you mean "redirects"?)' for a near miss, else ''. */
function suggest(key: string, known: readonly string[]): string {
  let best = '';
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best === '' ? '' : ` (did you mean "${best}"?)`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}
