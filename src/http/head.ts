/**
 * Request head parsing (RFC 9112 §2-§3, §5): request line and field lines,
 * strictly. The caller waits for the whole head (book 7.1) and hands it here
 * as one latin1 string without its final empty line.
 *
 * Strictness is what makes request smuggling impossible: no bare CR or LF,
 * no obs-fold, no whitespace before a colon, no control characters in values,
 * exactly one valid Host on HTTP/1.1, unambiguous body framing.
 */
import { isIPv6 } from 'node:net';
import { HTTPError } from './errors.js';
import { FieldList } from './fields.js';
import type { HTTPLimits } from './limits.js';
import type { HTTPReq, HTTPVersion } from './types.js';

/** What the connection loop needs besides the request itself. */
export type RequestHead = {
  req: HTTPReq;
  /** Body framing (RFC 9112 §6.3): a length (0 when there is no body), or -1 for chunked. */
  bodyLength: number;
  /** The client asked for the connection to close after this exchange. */
  close: boolean;
  /** `Expect: 100-continue` was sent. */
  expectContinue: boolean;
};

/** request-target: visible ASCII, at least one character. */
const TARGET = /^[\x21-\x7e]+$/;
const VERSION = /^HTTP\/(\d)\.(\d)$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Anything but field-vchar, SP and HTAB (RFC 9110 §5.5): CR, LF, NUL and the other CTLs. */
const BAD_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/;
const DIGITS = /^\d+$/;
/** host [ ":" port ] (RFC 3986 §3.2.2): an IP literal in brackets, or a reg-name / IPv4 address. */
const HOST = /^(?:(\[[^\]]*\])|[\w\-.~!$&'()*+,;=%]*)(?::\d*)?$/;
/**
 * HOST without its IP-literal branch: the usual Host, checked without a
 * match array (a test, not an exec), and no string compare against a
 * remembered one, which costs more on the slice a field value is.
 */
const REG_NAME_HOST = /^[\w\-.~!$&'()*+,;=%]*(?::\d*)?$/;
/** IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
const IPV_FUTURE = /^[vV][0-9A-Fa-f]+\.[\w\-.~!$&'()*+,;=:]+$/;
// The path group must start with "/": two adjacent groups that could each
// take the same characters would backtrack quadratically on a hostile target.
const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+\-.]*):\/\/([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/;
const AUTHORITY = /^(?:(\[[^\]]*\])|[\w\-.~!$&'()*+,;=%]+):\d+$/;


const bad = (message: string): HTTPError => new HTTPError(400, message, { close: true });

/**
 * A method longer than any the server could know is not recognized (RFC 9110
 * §9.1: 501), and its request line is not worth waiting for: the connection
 * closes.
 */
export const methodTooLong = (): HTTPError => new HTTPError(501, 'method not recognized', { close: true });

/**
 * Parses a request head. `head` is the request line and field lines joined
 * by CRLF, up to `end`: either all of it, or it goes on with the final CRLF
 * CRLF (and whatever follows), which spares the caller a slice. Throws
 * HTTPError (400, 414, 431, 501, 505) for anything that is not a valid
 * request.
 */
export function parseRequestHead(
  head: string,
  limits: HTTPLimits,
  remoteAddress: string,
  secure: boolean,
  end = head.length,
): RequestHead {
  let eol = head.indexOf('\r\n');
  if (eol < 0 || eol > end) eol = end;
  if (eol > limits.maxRequestLine) throw new HTTPError(414, undefined, { close: true });
  // method SP request-target SP HTTP-version, split by hand: a regex match
  // array and its captures cost more than the whole line is worth.
  const sp1 = head.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : head.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || sp2 > eol) throw bad('malformed request line');
  if (sp1 > limits.maxMethodLength) throw methodTooLong();
  let method = standardMethod(head, sp1);
  if (method === undefined) {
    method = head.slice(0, sp1);
    if (!TOKEN.test(method)) throw bad('malformed request line');
  }
  const target = head.slice(sp1 + 1, sp2);
  if (!TARGET.test(target)) throw bad('malformed request line');
  let version: HTTPVersion;
  const versionText = head.slice(sp2 + 1, eol);
  if (versionText === 'HTTP/1.1') version = '1.1';
  else if (versionText === 'HTTP/1.0') version = '1.0';
  else {
    const v = VERSION.exec(versionText);
    if (v === null) throw bad('malformed request line');
    // RFC 9110 §2.5: a higher minor version is processed as the highest we implement.
    if (v[1] !== '1') throw new HTTPError(505, undefined, { close: true });
    version = '1.1';
  }

  // Field lines, counted first so that the list is made to size.
  let lines = 0;
  for (let i = eol; i >= 0 && i < end; i = head.indexOf('\r\n', i + 2)) lines++;
  const headers = new FieldList(lines);
  let line = 0;
  let host: string | undefined;
  let hostCount = 0;
  let contentLength = -1;
  let transferEncoding: string | undefined;
  let close = version === '1.0';
  let expect: string | undefined;
  let pos = eol + 2;
  while (pos < end) {
    // The last line ends at `end`, where the final CRLF CRLF (if any) begins.
    let next = head.indexOf('\r\n', pos);
    if (next < 0 || next > end) next = end;
    if (line >= limits.maxHeaderCount) throw new HTTPError(431, 'too many header fields', { close: true });
    const key = parseField(head, pos, next, headers, line);
    const value = headers.values[line++]!;
    switch (key) {
      case 'host':
        hostCount++;
        host = value;
        break;
      case 'content-length':
        contentLength = mergeContentLength(contentLength, value);
        break;
      case 'transfer-encoding':
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        break;
      case 'connection':
        close = connectionCloses(value, close, version);
        break;
      case 'expect':
        expect = expect === undefined ? value : `${expect}, ${value}`;
        break;
    }
    pos = next + 2;
  }

  // Host (RFC 9112 §3.2): exactly one, and valid, on HTTP/1.1.
  if (hostCount > 1) throw bad('more than one Host');
  if (host !== undefined && !REG_NAME_HOST.test(host) && !validHost(HOST, host)) throw bad('invalid Host');
  if (version === '1.1' && host === undefined) throw bad('missing Host');

  // Request target (RFC 9112 §3.2).
  let path: string;
  let query = '';
  let authority = host ?? '';
  const c0 = target.charCodeAt(0);
  if (c0 === 0x2f /* / */) {
    if (target.indexOf('#') >= 0) throw bad('fragment in request target');
    const q = target.indexOf('?');
    path = q < 0 ? target : target.slice(0, q);
    if (q >= 0) query = target.slice(q + 1);
  } else if (method === 'CONNECT') {
    if (!validHost(AUTHORITY, target)) throw bad('CONNECT needs an authority-form target');
    path = '';
    authority = target;
  } else if (target === '*') {
    if (method !== 'OPTIONS') throw bad('asterisk-form is for OPTIONS only');
    path = '*';
  } else {
    const a = ABSOLUTE.exec(target);
    if (a === null) throw bad('malformed request target');
    const scheme = a[1]!.toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') throw bad('unsupported URI scheme');
    // RFC 9110 §4.2.4: userinfo in an http(s) URI is an error.
    if (a[2]!.indexOf('@') >= 0 || !validHost(HOST, a[2]!) || a[2]!.length === 0) throw bad('invalid authority');
    authority = a[2]!;
    path = a[3] || '/';
    query = a[4] ?? '';
  }

  // Body framing (RFC 9112 §6.1-§6.3).
  let bodyLength = contentLength === -1 ? 0 : contentLength;
  if (transferEncoding !== undefined) {
    if (version === '1.0') throw bad('Transfer-Encoding on HTTP/1.0');
    if (contentLength !== -1) throw bad('both Transfer-Encoding and Content-Length');
    bodyLength = chunkedFraming(transferEncoding);
  }

  let expectContinue = false;
  if (expect !== undefined) {
    if (expect.toLowerCase() !== '100-continue') throw new HTTPError(417, undefined, { close: true });
    // HTTP/1.0 clients do not understand 100 (RFC 9110 §10.1.1).
    expectContinue = version === '1.1' && bodyLength !== 0;
  }

  const req: HTTPReq = {
    method,
    target,
    path,
    query,
    version,
    headers,
    authority,
    remoteAddress,
    secure,
  };
  return { req, bodyLength, close, expectContinue };
}

/**
 * Matches `text` against a host pattern whose first group captures an IP
 * literal, and checks that literal by the RFC 3986 §3.2.2 grammar: an IPv6
 * address (no zone: RFC 6874 is for URIs users type, not for the wire) or an
 * IPvFuture.
 */
function validHost(pattern: RegExp, text: string): boolean {
  const m = pattern.exec(text);
  if (m === null) return false;
  const literal = m[1];
  if (literal === undefined) return true;
  const inner = literal.slice(1, -1);
  return IPV_FUTURE.test(inner) || (inner.indexOf('%') < 0 && isIPv6(inner));
}

/**
 * Parses one field line `name ":" OWS value OWS` into `fields`, strictly.
 * Returns the lower-cased name. Shared with chunked trailers.
 */
export function parseFieldLine(line: string, fields: FieldList): string {
  return parseField(line, 0, line.length, fields, fields.length);
}

/**
 * parseFieldLine() for the line at [start, end) of `text`, without cutting
 * it out first, set as line `at` of `fields`.
 */
function parseField(text: string, start: number, end: number, fields: FieldList, at: number): string {
  const colon = text.indexOf(':', start);
  // An obs-fold line starts with SP/HTAB, which fails the token test too.
  if (colon <= start || colon >= end) throw bad('malformed field line');
  let raw: string;
  let key: string;
  const known = knownField(text, start, colon - start);
  if (known !== undefined) {
    raw = known[0];
    key = known[1];
  } else {
    raw = text.slice(start, colon);
    if (!TOKEN.test(raw)) throw bad('invalid field name');
    key = raw.toLowerCase();
  }
  let from = colon + 1;
  let to = end;
  while (from < to && isOWS(text.charCodeAt(from))) from++;
  while (to > from && isOWS(text.charCodeAt(to - 1))) to--;
  const value = text.slice(from, to);
  if (BAD_VALUE_CHAR.test(value)) throw bad('invalid character in field value');
  fields.setLowered(at, raw, key, value);
  return key;
}

/**
 * Field names clients send on most requests, as they spell them, with their
 * lower-cased form, by length: a known name is recognised in place (no
 * slice, no hashing), needs neither the token check nor lower-casing, and
 * its key is the same string every time.
 */
const KNOWN_FIELDS: (readonly [string, string])[][] = [];
for (const name of [
  'Host',
  'User-Agent',
  'Accept',
  'Accept-Encoding',
  'Accept-Language',
  'Connection',
  'Content-Length',
  'Content-Type',
  'Cookie',
  'Referer',
  'Origin',
  'Cache-Control',
  'Pragma',
  'Upgrade',
  'Upgrade-Insecure-Requests',
  'If-None-Match',
  'If-Modified-Since',
  'If-Match',
  'If-Unmodified-Since',
  'If-Range',
  'Range',
  'Authorization',
  'Transfer-Encoding',
  'Expect',
  'Sec-Fetch-Dest',
  'Sec-Fetch-Mode',
  'Sec-Fetch-Site',
  'Sec-Fetch-User',
  'Sec-WebSocket-Key',
  'Sec-WebSocket-Version',
  'Sec-WebSocket-Extensions',
  'Sec-WebSocket-Protocol',
  'Priority',
]) {
  const lower = name.toLowerCase();
  (KNOWN_FIELDS[name.length] ??= []).push([name, lower], [lower, lower]);
}

/** The [name, lower-cased name] of a known field name of `length` characters at `start` of `text`. */
function knownField(text: string, start: number, length: number): readonly [string, string] | undefined {
  const candidates = KNOWN_FIELDS[length];
  if (candidates === undefined) return undefined;
  for (const c of candidates) if (text.startsWith(c[0], start)) return c;
  return undefined;
}

/** The method as the same constant string every time, for the standard ones (no slice, no token check). */
function standardMethod(head: string, length: number): string | undefined {
  switch (length) {
    case 3:
      return head.startsWith('GET') ? 'GET' : head.startsWith('PUT') ? 'PUT' : undefined;
    case 4:
      return head.startsWith('HEAD') ? 'HEAD' : head.startsWith('POST') ? 'POST' : undefined;
    case 5:
      return head.startsWith('PATCH') ? 'PATCH' : head.startsWith('TRACE') ? 'TRACE' : undefined;
    case 6:
      return head.startsWith('DELETE') ? 'DELETE' : undefined;
    case 7:
      return head.startsWith('OPTIONS') ? 'OPTIONS' : head.startsWith('CONNECT') ? 'CONNECT' : undefined;
    default:
      return undefined;
  }
}

const isOWS = (c: number): boolean => c === 0x20 || c === 0x09;

/**
 * Content-Length (RFC 9112 §6.3): digits only, within safe integers; a list
 * or repeated lines of identical values are folded, differing values are an
 * error.
 */
function mergeContentLength(current: number, value: string): number {
  let n = current;
  for (const part of value.split(',')) {
    const v = part.trim();
    if (!DIGITS.test(v) || v.length > 16) throw bad('invalid Content-Length');
    const len = Number(v);
    if (len > Number.MAX_SAFE_INTEGER) throw bad('invalid Content-Length');
    if (n !== -1 && n !== len) throw bad('conflicting Content-Length');
    n = len;
  }
  return n;
}

/**
 * Transfer-Encoding (RFC 9112 §6.1, §6.3): `chunked` must be the final coding
 * and appear once, else the length is unknowable (400). Codings before it
 * (gzip, ...) are valid HTTP that weft does not implement (501).
 */
function chunkedFraming(te: string): number {
  const codings = te.split(',').map((c) => c.trim().toLowerCase());
  for (const c of codings) if (!TOKEN.test(c)) throw bad('invalid Transfer-Encoding');
  if (codings.indexOf('chunked') !== codings.length - 1) throw bad('chunked must be the final transfer coding, once');
  if (codings.length > 1) throw new HTTPError(501, 'transfer coding not implemented', { close: true });
  return -1;
}

function connectionCloses(value: string, current: boolean, version: HTTPVersion): boolean {
  let close = current;
  for (const part of value.split(',')) {
    const opt = part.trim().toLowerCase();
    if (opt === 'close') return true;
    if (opt === 'keep-alive' && version === '1.0') close = false;
  }
  return close;
}
