/** compose() and the wrappers built on it, over real sockets with fetch and raw bytes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { router } from '../../src/app/router.js';
import { bodyFromBuffer } from '../../src/http/body.js';
import type { Handler } from '../../src/http/types.js';
import { basicAuth, authUser, hashPassword, verifyPassword, parseBasicCredentials, isPasswordHash } from '../../src/kit/basic-auth.js';
import { compose, type Wrapper } from '../../src/kit/compose.js';
import { cors } from '../../src/kit/cors.js';
import { requestId, requestIdOf } from '../../src/kit/request-id.js';
import { recordTiming, serverTiming } from '../../src/kit/server-timing.js';
import { deadlineSignal, timeout } from '../../src/kit/timeout.js';
import { assertWhole, snapshot } from '../leaks.js';
import { connect, get, parseResponses, rawStatus, readToEnd, serve } from './support.js';

const ok: Handler = () => ({ code: 200, headers: { 'content-type': 'text/plain' }, body: bodyFromBuffer('ok') });

test('compose: the first wrapper is the outermost', async () => {
  const seen: string[] = [];
  const tag = (name: string): Wrapper => (next) => async (req, body) => {
    seen.push(`>${name}`);
    const res = await next(req, body);
    seen.push(`<${name}`);
    return res;
  };
  const app = compose(tag('a'), tag('b'), tag('c'))(ok);
  const s = await serve(app);
  try {
    assert.equal((await get(s.base)).text, 'ok');
    assert.deepEqual(seen, ['>a', '>b', '>c', '<c', '<b', '<a']);
    assert.equal(compose()(ok), ok);
  } finally {
    await s.close();
  }
});

test('cors: preflight answered, actual requests marked, other origins left alone, errors marked too', async () => {
  const app = router()
    .get('/data', ok)
    .get('/boom', () => {
      throw new Error('secret');
    })
    .post('/data', ok);
  const s = await serve(compose(cors({ origin: ['https://app.example'], credentials: true, exposeHeaders: ['X-Request-Id'] }))(app));
  try {
    const pre = await get(`${s.base}/data`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-a b' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(pre.headers.get('access-control-allow-credentials'), 'true');
    assert.match(pre.headers.get('access-control-allow-methods')!, /POST/);
    assert.equal(pre.headers.get('access-control-allow-headers'), 'content-type'); // "x-a b" is not a token: not echoed
    assert.equal(pre.headers.get('access-control-max-age'), '600');
    assert.match(pre.headers.get('vary')!, /Origin/);

    const actual = await get(`${s.base}/data`, { headers: { origin: 'https://app.example' } });
    assert.equal(actual.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(actual.headers.get('access-control-expose-headers'), 'X-Request-Id');
    assert.equal(actual.headers.get('vary'), 'Origin');

    const other = await get(`${s.base}/data`, { headers: { origin: 'https://evil.example' } });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    assert.equal(other.headers.get('vary'), 'Origin');
    // Its preflight is an ordinary OPTIONS for the router: 204 with Allow, no CORS field.
    const otherPre = await get(`${s.base}/data`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(otherPre.headers.get('access-control-allow-origin'), null);
    assert.match(otherPre.headers.get('allow')!, /POST/);

    const missing = await get(`${s.base}/nope`, { headers: { origin: 'https://app.example' } });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('access-control-allow-origin'), 'https://app.example');
    const boom = await get(`${s.base}/boom`, { headers: { origin: 'https://app.example' } });
    assert.equal(boom.status, 500);
    assert.equal(boom.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.doesNotMatch(boom.text, /secret/);
    assert.equal(s.errors.length, 1, 'the 500 still reaches onError, once');
  } finally {
    await s.close();
  }
});

test('cors: "*" by default, and options that cannot be right are refused', async () => {
  const s = await serve(cors()(ok));
  try {
    const r = await get(s.base, { headers: { origin: 'https://any.example' } });
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    assert.equal(r.headers.get('vary'), null);
  } finally {
    await s.close();
  }
  assert.throws(() => cors({ credentials: true }), TypeError);
  assert.throws(() => cors({ origin: 'https://app.example/' }), TypeError);
  assert.throws(() => cors({ exposeHeaders: ['a b'] }), TypeError);
});

test('requestId: a new ID on every response, errors included; a client ID only when trusted and well-formed', async () => {
  let seen: string | undefined;
  const app = router()
    .get('/', (req) => {
      seen = requestIdOf(req);
      return ok(req, bodyFromBuffer(''));
    })
    .get('/boom', () => {
      throw new Error('x');
    });
  const plain = await serve(requestId()(app));
  const trusting = await serve(requestId({ trust: true, header: 'X-Trace' })(app));
  try {
    const a = await get(plain.base, { headers: { 'x-request-id': 'from-client' } });
    const id = a.headers.get('x-request-id')!;
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal(seen, id);
    const boom = await get(`${plain.base}/boom`);
    assert.equal(boom.status, 500);
    assert.match(boom.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
    assert.equal((await get(trusting.base, { headers: { 'x-trace': 'abc-123' } })).headers.get('x-trace'), 'abc-123');
    const hostile = await get(trusting.base, { headers: { 'x-trace': 'a"b<script>' } });
    assert.notEqual(hostile.headers.get('x-trace'), 'a"b<script>');
    assert.notEqual((await get(trusting.base, { headers: { 'x-trace': 'x'.repeat(500) } })).headers.get('x-trace'), 'x'.repeat(500));
  } finally {
    await plain.close();
    await trusting.close();
  }
});

test('serverTiming: the handler time and recorded metrics', async () => {
  const app = serverTiming()((req) => {
    recordTiming(req, 'db', 12.345, 'orders "today"');
    return ok(req, bodyFromBuffer(''));
  });
  const s = await serve(app);
  try {
    const field = (await get(s.base)).headers.get('server-timing')!;
    assert.match(field, /^db;dur=12\.3;desc="orders \\"today\\"", app;dur=\d+\.\d$/);
  } finally {
    await s.close();
  }
  assert.throws(() => serverTiming({ name: 'a b' }), TypeError);
});

test('timeout: 503 at the deadline, the signal aborted, 504 on request; nothing reported, nothing left', async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let signal: AbortSignal | undefined;
  const slow: Handler = async (req) => {
    signal = deadlineSignal(req);
    await released;
    throw new Error('too late to matter');
  };
  const s = await serve(timeout(50)(slow));
  const s504 = await serve(timeout(50, { status: 504 })(() => new Promise<never>(() => {})));
  const before = snapshot();
  try {
    const [r] = await rawStatus(s.server.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(r!.status, 503);
    assert.equal(signal?.aborted, true);
    release();
    const [r504] = await rawStatus(s504.server.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(r504!.status, 504);
    assert.equal(s.errors.length + s504.errors.length, 0, 'a timeout is not a handler failure, a late throw is dropped');
    await assertWhole(s.server, before);
    await assertWhole(s504.server, before);
  } finally {
    await s.close();
    await s504.close();
  }
});

test('timeout: a late response body is closed exactly once', async () => {
  let closes = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let done!: () => void;
  const closed = new Promise<void>((resolve) => (done = resolve));
  const s = await serve(
    timeout(30)(async () => {
      await released;
      return { code: 200, body: { length: -1, read: async () => Buffer.from('x'), close: () => { closes++; done(); } } };
    }),
  );
  try {
    assert.equal((await get(s.base)).status, 503);
    release();
    await closed;
    assert.equal(closes, 1);
  } finally {
    await s.close();
  }
});

test('timeout: with the request body unread, the 503 closes the connection', async () => {
  const s = await serve(timeout(30)(() => new Promise<never>(() => {})));
  const before = snapshot();
  try {
    const sock = await connect(s.server.port);
    const all = readToEnd(sock);
    sock.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789');
    const [res] = parseResponses(await all);
    assert.equal(res!.status, 503);
    assert.equal(res!.headers['connection'], 'close');
    sock.destroy();
    await assertWhole(s.server, before);
  } finally {
    await s.close();
  }
});

test('basicAuth: 401 with a challenge, the right password lets through, timing-safe scrypt hashes', async () => {
  const stored = await hashPassword('s3cret ü', { ln: 4 });
  assert.ok(isPasswordHash(stored));
  assert.match(stored, /^\$scrypt\$ln=4,r=8,p=5\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
  assert.equal(await verifyPassword('s3cret ü', stored), true);
  assert.equal(await verifyPassword('s3cret u', stored), false);
  assert.notEqual(await hashPassword('s3cret ü', { ln: 4 }), stored, 'a new salt every time');

  let user: string | undefined;
  const app = basicAuth({ users: { ann: stored }, realm: 'staff' })((req) => {
    user = authUser(req);
    return ok(req, bodyFromBuffer(''));
  });
  const s = await serve(app);
  const auth = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
  try {
    const none = await get(s.base);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Basic realm="staff", charset="UTF-8"');
    assert.equal((await get(s.base, { headers: auth('ann', 's3cret ü') })).status, 200);
    assert.equal(user, 'ann');
    assert.equal((await get(s.base, { headers: auth('ann', 's3cret ü') })).status, 200, 'remembered, still right');
    assert.equal((await get(s.base, { headers: auth('ann', 'wrong') })).status, 401);
    assert.equal((await get(s.base, { headers: auth('bob', 's3cret ü') })).status, 401);
    for (const bad of ['Basic', 'Basic !!!', 'Bearer abc', `Basic ${Buffer.from('no-colon').toString('base64')}`]) {
      assert.equal((await get(s.base, { headers: { authorization: bad } })).status, 401, bad);
    }
    assert.equal(s.errors.length, 0);
  } finally {
    await s.close();
  }
  assert.deepEqual(parseBasicCredentials(`basic ${Buffer.from('a:b:c').toString('base64')}`), { user: 'a', password: 'b:c' });
  assert.throws(() => basicAuth({ users: { ann: 'plain-text-password' } }), /hash of user "ann"/);
  assert.throws(() => basicAuth({ users: {}, realm: 'a"b' }), TypeError);
});

test('wrappers on a raw request: a client mistake is never an application error', async () => {
  const s = await serve(compose(requestId(), cors(), serverTiming(), timeout(1000))(router().get('/', ok)));
  try {
    const [bad] = await rawStatus(s.server.port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n');
    assert.equal(bad!.status, 400);
    assert.equal((await get(s.base, { method: 'DELETE' })).status, 405);
    assert.equal(s.errors.length, 0);
  } finally {
    await s.close();
  }
});
