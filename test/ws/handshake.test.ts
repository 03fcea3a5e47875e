/**
 * The opening handshake (RFC 6455 §4.2): the checks as a pure function over
 * HTTPReq, and the statuses a client actually receives over a socket.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HTTPError } from '../../src/http/errors.js';
import { FieldList } from '../../src/http/fields.js';
import type { HTTPReq } from '../../src/http/types.js';
import { acceptHandshake, acceptKey, websocket, type HandshakeOptions } from '../../src/ws/index.js';
import { serve, type Harness } from './harness.js';
import { closeBody, frame, GOOD_ACCEPT, GOOD_KEY, rawConnect, readClose } from './raw.js';

/** node:test timeout, only to stop a hung test from blocking the run (ms). */
const HANG_GUARD = { timeout: 60_000 };

function request(headers: Record<string, string | string[] | null> = {}, method = 'GET', version: '1.0' | '1.1' = '1.1'): HTTPReq {
  const all: Record<string, string | string[] | null> = {
    Host: 'example.com',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': GOOD_KEY,
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  const fields = new FieldList();
  for (const [k, v] of Object.entries(all)) {
    if (v === null) continue;
    for (const item of Array.isArray(v) ? v : [v]) fields.add(k, item);
  }
  return { method, target: '/chat', path: '/chat', query: '', version, headers: fields, authority: 'example.com', remoteAddress: '127.0.0.1', secure: false };
}

function status(req: HTTPReq, options?: HandshakeOptions): number {
  try {
    acceptHandshake(req, options);
    return 101;
  } catch (err) {
    assert.ok(err instanceof HTTPError, String(err));
    return err.status;
  }
}

function thrown(req: HTTPReq, options?: HandshakeOptions): HTTPError {
  try {
    acceptHandshake(req, options);
  } catch (err) {
    return err as HTTPError;
  }
  assert.fail('expected an HTTPError');
}

test('Sec-WebSocket-Accept is SHA-1 of key + GUID, base64 (RFC 6455 §1.3 example)', HANG_GUARD, () => {
  assert.equal(acceptKey(GOOD_KEY), GOOD_ACCEPT);
  const hs = acceptHandshake(request());
  assert.deepEqual(hs.headers, { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Accept': GOOD_ACCEPT });
  assert.equal(hs.protocol, '');
  assert.equal(hs.extensions, '');
  assert.equal(hs.deflate, null);
});

test('Upgrade and Connection are case-insensitive tokens that may be in lists', HANG_GUARD, () => {
  assert.equal(status(request({ Upgrade: 'WebSocket' })), 101);
  assert.equal(status(request({ Upgrade: 'foo/2, websocket' })), 101);
  assert.equal(status(request({ Upgrade: ['foo', 'websocket'] })), 101);
  assert.equal(status(request({ Connection: 'keep-alive, UPGRADE' })), 101);
  assert.equal(status(request({ Connection: ['keep-alive', 'upgrade'] })), 101);
});

test('non-GET → 405 with Allow: GET', HANG_GUARD, () => {
  const err = thrown(request({}, 'POST'));
  assert.equal(err.status, 405);
  assert.deepEqual(err.headers, { Allow: 'GET' });
  assert.equal(status(request({}, 'HEAD')), 405);
});

test('HTTP/1.0 → 400', HANG_GUARD, () => assert.equal(status(request({}, 'GET', '1.0')), 400));

test('missing or other Upgrade → 426 naming websocket and version 13', HANG_GUARD, () => {
  for (const upgrade of [null, 'h2c', 'websocket2', 'web socket']) {
    const err = thrown(request({ Upgrade: upgrade }));
    assert.equal(err.status, 426, String(upgrade));
    assert.equal(err.headers?.['Upgrade'], 'websocket');
    assert.equal(err.headers?.['Sec-WebSocket-Version'], '13');
  }
});

test('Connection without upgrade → 400', HANG_GUARD, () => {
  assert.equal(status(request({ Connection: null })), 400);
  assert.equal(status(request({ Connection: 'keep-alive' })), 400);
  assert.equal(status(request({ Connection: 'upgrades' })), 400);
});

test('Sec-WebSocket-Version other than exactly 13 → 426 with Sec-WebSocket-Version: 13', HANG_GUARD, () => {
  for (const v of [null, '8', '12', '14', '13, 8', ' ', '013']) {
    const err = thrown(request({ 'Sec-WebSocket-Version': v }));
    assert.equal(err.status, 426, String(v));
    assert.deepEqual(err.headers, { 'Sec-WebSocket-Version': '13' });
  }
  assert.equal(status(request({ 'Sec-WebSocket-Version': ['13', '13'] })), 426);
});

test('Sec-WebSocket-Key must be base64 of exactly 16 bytes → else 400', HANG_GUARD, () => {
  const b64 = (n: number): string => Buffer.alloc(n, 1).toString('base64');
  assert.equal(status(request({ 'Sec-WebSocket-Key': b64(16) })), 101);
  for (const key of [null, '', b64(15), b64(17), b64(16).slice(0, -2), 'not base64 at all!!!!!==', '!!!!!!!!!!!!!!!!!!!!!!==']) {
    assert.equal(status(request({ 'Sec-WebSocket-Key': key })), 400, String(key));
  }
  assert.equal(status(request({ 'Sec-WebSocket-Key': [GOOD_KEY, GOOD_KEY] })), 400);
});

test('an upgrade request with a body → 400', HANG_GUARD, () => {
  assert.equal(status(request({ 'Content-Length': '5' })), 400);
  assert.equal(status(request({ 'Transfer-Encoding': 'chunked' })), 400);
  assert.equal(status(request({ 'Content-Length': '0' })), 101);
});

test('the Origin hook: false → 403; it sees the Origin (undefined when absent)', HANG_GUARD, () => {
  const seen: (string | undefined)[] = [];
  const checkOrigin = (origin: string | undefined): boolean => {
    seen.push(origin);
    return origin === 'https://good.example';
  };
  assert.equal(status(request({ Origin: 'https://good.example' }), { checkOrigin }), 101);
  assert.equal(status(request({ Origin: 'https://evil.example' }), { checkOrigin }), 403);
  assert.equal(status(request(), { checkOrigin }), 403);
  assert.deepEqual(seen, ['https://good.example', 'https://evil.example', undefined]);
});

test('subprotocol: chosen by the application from the offered list', HANG_GUARD, () => {
  const offered: string[][] = [];
  const selectProtocol = (list: string[]): string | null => {
    offered.push(list);
    return list.includes('chat.v2') ? 'chat.v2' : null;
  };
  let hs = acceptHandshake(request({ 'Sec-WebSocket-Protocol': ['chat.v1, chat.v2', 'other'] }), { selectProtocol });
  assert.equal(hs.protocol, 'chat.v2');
  assert.equal(hs.headers['Sec-WebSocket-Protocol'], 'chat.v2');
  assert.deepEqual(offered, [['chat.v1', 'chat.v2', 'other']]);
  hs = acceptHandshake(request({ 'Sec-WebSocket-Protocol': 'x' }), { selectProtocol });
  assert.equal(hs.protocol, '');
  assert.equal(hs.headers['Sec-WebSocket-Protocol'], undefined);
  // No offer: the callback is not asked.
  acceptHandshake(request(), { selectProtocol });
  assert.equal(offered.length, 2);
  // Without a callback nothing is selected.
  assert.equal(acceptHandshake(request({ 'Sec-WebSocket-Protocol': 'x' })).protocol, '');
  // Choosing something not offered is a programming error.
  assert.throws(() => acceptHandshake(request({ 'Sec-WebSocket-Protocol': 'x' }), { selectProtocol: () => 'y' }), /not offered/);
});

test('invalid or duplicated subprotocols → 400', HANG_GUARD, () => {
  assert.equal(status(request({ 'Sec-WebSocket-Protocol': 'a b' })), 400);
  assert.equal(status(request({ 'Sec-WebSocket-Protocol': 'a, a' })), 400);
  assert.equal(status(request({ 'Sec-WebSocket-Protocol': 'a/b' })), 400);
});

test('malformed Sec-WebSocket-Extensions → 400 (only when compression is on)', HANG_GUARD, () => {
  const bad = { 'Sec-WebSocket-Extensions': 'permessage-deflate; x="a b"' };
  assert.equal(status(request(bad), { perMessageDeflate: true }), 400);
  assert.equal(status(request(bad)), 101);
  assert.equal(status(request({ 'Sec-WebSocket-Extensions': 'foo;;' }), { perMessageDeflate: true }), 400);
});

// ---- over a socket ----

let h: Harness;
before(async () => {
  h = await serve(
    websocket(
      async (ws) => {
        await ws.send(`protocol=${ws.protocol} path=${ws.req?.path}`);
        for await (const _ of ws);
      },
      { selectProtocol: (p) => p[0], checkOrigin: (o) => o !== 'https://evil.example' },
    ),
  );
});
after(async () => {
  await h.close();
  assert.deepEqual(h.errors, []);
});

test('over a socket: 101 with the accept key and protocol, then frames', HANG_GUARD, async () => {
  const c = await rawConnect(h.port, { 'Sec-WebSocket-Protocol': 'first, second' }, { path: '/room?x=1' });
  assert.equal(c.status, 101);
  assert.equal(c.headers['upgrade'], 'websocket');
  assert.equal(c.headers['sec-websocket-accept'], GOOD_ACCEPT);
  assert.equal(c.headers['sec-websocket-protocol'], 'first');
  const f = await c.readFrame();
  assert.equal(f!.payload.toString(), 'protocol=first path=/room');
  c.write(frame({ opcode: 0x8, payload: closeBody(1000) }));
  assert.equal((await readClose(c)).code, 1000);
  c.socket.end();
  await c.closed;
});

test('over a socket: failures get their exact status and the connection closes', HANG_GUARD, async () => {
  const cases: [Record<string, string | null>, { method?: string; version?: string }, number][] = [
    [{}, { method: 'POST' }, 405],
    [{}, { version: '1.0' }, 400],
    [{ Upgrade: null }, {}, 426],
    [{ Connection: 'close' }, {}, 400],
    [{ 'Sec-WebSocket-Version': '8' }, {}, 426],
    [{ 'Sec-WebSocket-Key': 'short==' }, {}, 400],
    [{ 'Content-Length': '3' }, {}, 400],
    [{ Origin: 'https://evil.example' }, {}, 403],
  ];
  for (const [headers, options, expected] of cases) {
    const c = await rawConnect(h.port, headers, options);
    assert.equal(c.status, expected, JSON.stringify([headers, options]));
    if (expected === 426) assert.equal(c.headers['sec-websocket-version'], '13');
    assert.equal(await c.readFrame(), null);
    await c.closed;
  }
});
