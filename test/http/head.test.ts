import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HTTPError } from '../../src/http/errors.js';
import { parseRequestHead } from '../../src/http/head.js';
import { DEFAULT_LIMITS } from '../../src/http/limits.js';

/** Parses `head` (lines joined by CRLF, without the final empty line). */
const parse = (head: string) => parseRequestHead(head, DEFAULT_LIMITS, '127.0.0.1', false);

function status(head: string): number {
  try {
    parse(head);
    return 0;
  } catch (err) {
    if (err instanceof HTTPError) return err.status;
    throw err;
  }
}

const H = 'Host: example.com';

test('a simple GET', () => {
  const { req, bodyLength, close } = parse(`GET /a/b?x=1&y=2 HTTP/1.1\r\n${H}\r\nAccept: */*`);
  assert.equal(req.method, 'GET');
  assert.equal(req.target, '/a/b?x=1&y=2');
  assert.equal(req.path, '/a/b');
  assert.equal(req.query, 'x=1&y=2');
  assert.equal(req.version, '1.1');
  assert.equal(req.authority, 'example.com');
  assert.equal(req.headers.get('ACCEPT'), '*/*');
  assert.equal(bodyLength, 0);
  assert.equal(close, false);
});

test('field names are case-insensitive; raw names are kept; repeated fields combine', () => {
  const { req } = parse(`GET / HTTP/1.1\r\n${H}\r\nX-Thing: a\r\nx-thing: b\r\nCache-Control: no-cache, "x,y"`);
  assert.equal(req.headers.get('x-thing'), 'a, b');
  assert.deepEqual(req.headers.getAll('X-THING'), ['a', 'b']);
  assert.deepEqual(req.headers.names, ['Host', 'X-Thing', 'x-thing', 'Cache-Control']);
  assert.deepEqual(req.headers.list('cache-control'), ['no-cache', '"x,y"']);
});

test('optional whitespace around field values is trimmed, inner whitespace kept', () => {
  const { req } = parse(`GET / HTTP/1.1\r\n${H}\r\nX-A: \t spaced  out \t`);
  assert.equal(req.headers.get('x-a'), 'spaced  out');
});

const bad: [string, string, number][] = [
  ['lower-case HTTP version', 'GET / http/1.1', 400],
  ['HTTP/2.0', 'GET / HTTP/2.0', 505],
  ['HTTP/0.9', 'GET / HTTP/0.9', 505],
  ['garbage version', 'GET / HTTX/1.1', 400],
  ['two-digit version', 'GET / HTTP/1.10', 400],
  ['missing version', 'GET /', 400],
  ['double space', 'GET  / HTTP/1.1', 400],
  ['tab separator', 'GET\t/ HTTP/1.1', 400],
  ['trailing space', 'GET / HTTP/1.1 ', 400],
  ['method not a token', 'G(T / HTTP/1.1', 400],
  ['non-ASCII in target', 'GET /\u00e9 HTTP/1.1', 400],
  ['fragment in target', 'GET /a#b HTTP/1.1', 400],
  ['relative target', 'GET a/b HTTP/1.1', 400],
  ['asterisk with GET', 'GET * HTTP/1.1', 400],
  ['authority-form with GET', 'GET example.com:80 HTTP/1.1', 400],
  ['CONNECT without port', 'CONNECT example.com HTTP/1.1', 400],
  ['absolute-form with userinfo', 'GET http://u:p@example.com/ HTTP/1.1', 400],
  ['absolute-form unknown scheme', 'GET ftp://example.com/ HTTP/1.1', 400],
];
for (const [name, line, code] of bad) {
  test(`request line: ${name} → ${code}`, () => assert.equal(status(`${line}\r\n${H}`), code));
}

test('HTTP/1.2 is processed as HTTP/1.1 (RFC 9110 §2.5)', () => {
  assert.equal(parse(`GET / HTTP/1.2\r\n${H}`).req.version, '1.1');
});

test('OPTIONS * and CONNECT authority-form', () => {
  assert.equal(parse(`OPTIONS * HTTP/1.1\r\n${H}`).req.path, '*');
  const c = parse(`CONNECT example.com:443 HTTP/1.1\r\n${H}`);
  assert.equal(c.req.authority, 'example.com:443');
  assert.equal(c.req.path, '');
});

test('absolute-form: its authority wins over Host', () => {
  const { req } = parse('GET http://other.example:8080/p/q?z HTTP/1.1\r\nHost: example.com');
  assert.equal(req.authority, 'other.example:8080');
  assert.equal(req.path, '/p/q');
  assert.equal(req.query, 'z');
  assert.equal(parse('GET HTTPS://x.example HTTP/1.1\r\nHost: x.example').req.path, '/');
});

const badFields: [string, string, number][] = [
  ['whitespace before colon', 'X-A : b', 400],
  ['obs-fold', 'X-A: b\r\n  continued', 400],
  ['leading whitespace line', ' X-A: b', 400],
  ['no colon', 'X-A b', 400],
  ['empty name', ': b', 400],
  ['bare CR in value', 'X-A: b\rc', 400],
  ['bare LF in value', 'X-A: b\nc', 400],
  ['NUL in value', 'X-A: b\x00c', 400],
  ['other CTL in value', 'X-A: b\x01c', 400],
  ['DEL in value', 'X-A: b\x7f', 400],
  ['name not a token', 'X{A}: b', 400],
];
for (const [name, line, code] of badFields) {
  test(`field line: ${name} → ${code}`, () => assert.equal(status(`GET / HTTP/1.1\r\n${H}\r\n${line}`), code));
}

test('obs-text (0x80-0xFF) and HTAB are allowed in values', () => {
  assert.equal(parse(`GET / HTTP/1.1\r\n${H}\r\nX-A: caf\u00e9\tau lait`).req.headers.get('x-a'), 'caf\u00e9\tau lait');
});

test('Host: required once on HTTP/1.1, valid, optional on HTTP/1.0', () => {
  assert.equal(status('GET / HTTP/1.1'), 400);
  assert.equal(status(`GET / HTTP/1.1\r\n${H}\r\n${H}`), 400);
  assert.equal(status('GET / HTTP/1.1\r\nHost: a b'), 400);
  assert.equal(status('GET / HTTP/1.1\r\nHost: a/b'), 400);
  assert.equal(status('GET / HTTP/1.1\r\nHost: [::1]:8080'), 0);
  assert.equal(status('GET / HTTP/1.1\r\nHost: example.com:'), 0);
  assert.equal(status('GET / HTTP/1.1\r\nHost: '), 0); // empty is valid (RFC 9112 §3.2)
  assert.equal(status('GET / HTTP/1.0'), 0);
});

test('limits: request line → 414, field count → 431', () => {
  assert.equal(status(`GET /${'a'.repeat(8 * 1024)} HTTP/1.1\r\n${H}`), 414);
  assert.equal(status(`GET /${'a'.repeat(8 * 1024 - 15)} HTTP/1.1\r\n${H}`), 0);
  const fields = Array.from({ length: 100 }, (_, i) => `X-${i}: v`).join('\r\n');
  assert.equal(status(`GET / HTTP/1.1\r\n${H}\r\n${fields}`), 431);
  assert.equal(status(`GET / HTTP/1.1\r\n${fields}`.replace('X-0: v', H)), 0);
});

test('Content-Length: digits only, safe integers, identical duplicates folded', () => {
  const len = (v: string) => parse(`POST / HTTP/1.1\r\n${H}\r\n${v}`).bodyLength;
  assert.equal(len('Content-Length: 42'), 42);
  assert.equal(len('Content-Length: 0042'), 42);
  assert.equal(len('Content-Length: 5, 5'), 5);
  assert.equal(len('Content-Length: 5\r\nContent-Length: 5'), 5);
  assert.equal(len(`Content-Length: ${Number.MAX_SAFE_INTEGER}`), Number.MAX_SAFE_INTEGER);
  for (const v of ['+5', '-5', '5.0', '0x5', ' ', '5 5', '1e3', `${Number.MAX_SAFE_INTEGER + 1}`, '99999999999999999999', '5, 6']) {
    assert.equal(status(`POST / HTTP/1.1\r\n${H}\r\nContent-Length: ${v}`), 400, v);
  }
  assert.equal(status(`POST / HTTP/1.1\r\n${H}\r\nContent-Length: 5\r\nContent-Length: 6`), 400);
});

test('Transfer-Encoding: chunked only, last, once; never with Content-Length or on HTTP/1.0', () => {
  const te = (v: string, version = '1.1') => status(`POST / HTTP/${version}\r\n${H}\r\n${v}`);
  assert.equal(parse(`POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: chunked`).bodyLength, -1);
  assert.equal(parse(`POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: ChUnKeD`).bodyLength, -1);
  assert.equal(te('Transfer-Encoding: gzip, chunked'), 501);
  assert.equal(te('Transfer-Encoding: gzip'), 400);
  assert.equal(te('Transfer-Encoding: chunked, gzip'), 400);
  assert.equal(te('Transfer-Encoding: chunked, chunked'), 400);
  assert.equal(te('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked'), 400);
  assert.equal(te('Transfer-Encoding: chunked\r\nContent-Length: 5'), 400);
  assert.equal(te('Content-Length: 5\r\nTransfer-Encoding: chunked'), 400);
  assert.equal(te('Transfer-Encoding: chunked', '1.0'), 400);
  assert.equal(te('Transfer-Encoding: \u0001chunked'), 400);
  assert.equal(te('Transfer-Encoding: ,'), 400);
});

test('Connection: close and keep-alive per version', () => {
  assert.equal(parse(`GET / HTTP/1.1\r\n${H}`).close, false);
  assert.equal(parse(`GET / HTTP/1.1\r\n${H}\r\nConnection: Close`).close, true);
  assert.equal(parse(`GET / HTTP/1.1\r\n${H}\r\nConnection: foo, close`).close, true);
  assert.equal(parse('GET / HTTP/1.0').close, true);
  assert.equal(parse('GET / HTTP/1.0\r\nConnection: keep-alive').close, false);
  assert.equal(parse('GET / HTTP/1.0\r\nConnection: Keep-Alive, close').close, true);
});

test('Expect: 100-continue is recognised; other expectations → 417', () => {
  assert.equal(parse(`POST / HTTP/1.1\r\n${H}\r\nContent-Length: 3\r\nExpect: 100-Continue`).expectContinue, true);
  assert.equal(parse(`POST / HTTP/1.1\r\n${H}\r\nExpect: 100-continue`).expectContinue, false); // no body
  assert.equal(parse('POST / HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue').expectContinue, false);
  assert.equal(status(`POST / HTTP/1.1\r\n${H}\r\nExpect: something-else`), 417);
});
