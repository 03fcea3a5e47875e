/** Cookies: tolerant parsing, validated Set-Cookie, several on one response, signed values with key rotation. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { router } from '../../src/app/router.js';
import { bodyFromBuffer } from '../../src/http/body.js';
import type { ResponseHeaders } from '../../src/http/types.js';
import { clearCookie, cookieSigner, cookies, parseCookies, serializeCookie, setCookie } from '../../src/kit/cookies.js';
import { exchange, parseResponses, rawStatus, serve } from './support.js';

test('parseCookies: RFC 6265 §5.4 pairs, bad ones skipped, first wins, quotes dropped', () => {
  const jar = parseCookies(' a=1; b = two ;noequals; c="q"; a=again; bad name=x; =nameless; d=; e=x=y');
  assert.deepEqual([...jar], [['a', '1'], ['b', 'two'], ['c', 'q'], ['d', ''], ['e', 'x=y']]);
  assert.equal(parseCookies('').size, 0);
});

test('serializeCookie: every attribute, each validated', () => {
  const expires = new Date(Date.UTC(2030, 0, 2, 3, 4, 5));
  assert.equal(
    serializeCookie('sid', 'abc', { maxAge: 3600.7, expires, domain: 'example.com', path: '/app', secure: true, httpOnly: true, sameSite: 'None', partitioned: true }),
    'sid=abc; Max-Age=3600; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=None; Partitioned',
  );
  assert.equal(serializeCookie('q', '"quoted"'), 'q="quoted"');
  assert.equal(serializeCookie('gone', '', { maxAge: -5 }), 'gone=; Max-Age=0');
  const refused: [string, string, Parameters<typeof serializeCookie>[2]?][] = [
    ['a b', 'x'],
    ['a', 'x;y'],
    ['a', 'x y'],
    ['a', 'x,y'],
    ['a', 'x\\y'],
    ['a', 'x\r\nSet-Cookie: evil=1'],
    ['a', 'x\x01'],
    ['a', 'é'],
    ['a', 'x', { path: '/a;b' }],
    ['a', 'x', { path: 'relative' }],
    ['a', 'x', { domain: 'exa mple.com' }],
    ['a', 'x', { sameSite: 'None' }],
    ['a', 'x', { partitioned: true }],
    ['a', 'x', { maxAge: Infinity }],
    ['a', 'x', { expires: new Date('nope') }],
    ['__Secure-a', 'x'],
    ['__Host-a', 'x', { secure: true, path: '/x' }],
    ['__Host-a', 'x', { secure: true, path: '/', domain: 'example.com' }],
  ];
  for (const [name, value, options] of refused) assert.throws(() => serializeCookie(name, value, options), TypeError, `${name}=${value}`);
  assert.equal(serializeCookie('__Host-a', 'x', { secure: true, path: '/' }), '__Host-a=x; Path=/; Secure');
});

test('several Set-Cookie lines on one response, and cookies read from the request', async () => {
  const app = router().get('/', (req) => {
    const headers: ResponseHeaders = { 'Set-Cookie': 'first=1' };
    setCookie(headers, 'theme', 'dark', { path: '/' });
    setCookie(headers, 'seen', cookies(req).get('seen') ?? 'no');
    clearCookie(headers, 'old', { path: '/' });
    return { code: 200, headers, body: bodyFromBuffer(`${cookies(req).get('a')}|${cookies(req).get('b')}`) };
  });
  const s = await serve(app);
  try {
    const raw = await exchange(s.server.port, 'GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1; seen=yes\r\nCookie: b=2\r\nConnection: close\r\n\r\n');
    const [res] = parseResponses(raw);
    assert.equal(res!.body.toString(), '1|2');
    const lines = res!.lines.filter((l) => /^set-cookie:/i.test(l));
    assert.deepEqual(lines, [
      'Set-Cookie: first=1',
      'Set-Cookie: theme=dark; Path=/',
      'Set-Cookie: seen=yes',
      'Set-Cookie: old=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/',
    ]);
    // Control characters in a Cookie field never reach the application: the parser refuses the request.
    const [bad] = await rawStatus(s.server.port, 'GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1\x01; b=2\r\n\r\n');
    assert.equal(bad!.status, 400);
    assert.equal(s.errors.length, 0);
  } finally {
    await s.close();
  }
});

test('a cookie value the application cannot send is an application error (500), never written', async () => {
  const s = await serve(router().get('/', () => {
    const headers: ResponseHeaders = {};
    setCookie(headers, 'x', 'a;b');
    return { code: 200, headers };
  }));
  try {
    const [res] = await rawStatus(s.server.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(res!.status, 500);
    assert.ok(!res!.lines.some((l) => /set-cookie/i.test(l)));
    assert.equal(s.errors.length, 1);
  } finally {
    await s.close();
  }
});

test('cookieSigner: verifies with any key, signs with the first, refuses tampering and moved cookies', () => {
  const oldKey = 'o'.repeat(32);
  const newKey = Buffer.alloc(32, 7);
  const before = cookieSigner([oldKey]);
  const after = cookieSigner([newKey, oldKey]);
  const signedOld = before.sign('uid', '42');
  assert.match(signedOld, /^42\.[A-Za-z0-9_-]{43}$/);
  assert.equal(after.verify('uid', signedOld), '42', 'an old signature still verifies after rotation');
  const signedNew = after.sign('uid', '42');
  assert.notEqual(signedNew, signedOld);
  assert.equal(cookieSigner([newKey]).verify('uid', signedNew), '42');
  assert.equal(before.verify('uid', signedNew), null, 'a retired key set does not know the new key');
  assert.equal(after.verify('uid', signedNew.replace(/^42/, '43')), null);
  assert.equal(after.verify('other', signedNew), null, 'moved to another cookie name');
  assert.equal(after.verify('uid', '42'), null);
  assert.equal(after.verify('uid', `${signedNew}x`), null);
  assert.equal(after.verify('uid', '42.'), null);
  assert.throws(() => cookieSigner([]), TypeError);
  assert.throws(() => cookieSigner(['short']), TypeError);
  assert.throws(() => after.sign('uid', 'a;b'), TypeError);
});
