import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addDemoRoutes } from '../../src/app/demo.js';
import { router } from '../../src/app/router.js';
import { bodyFromBuffer, bodyFromGenerator } from '../../src/http/body.js';
import { parseHttpDate } from '../../src/http/date.js';
import { prepareHeaders } from '../../src/http/response.js';
import type { Handler, ResponseHeaders } from '../../src/http/types.js';
import { closed, connect, exchange, parseResponses, startServer } from './support.js';

async function with1(handler: Handler, fn: (port: number) => Promise<void>): Promise<void> {
  const s = await startServer(handler);
  try {
    await fn(s.port);
  } finally {
    await s.close();
  }
}

const req = (method: string, path = '/', version = '1.1') =>
  `${method} ${path} HTTP/${version}\r\nHost: a\r\nConnection: close\r\n\r\n`;

test('a known-length body gets Content-Length, Date and Server', () =>
  with1(() => ({ code: 200, headers: { 'content-type': 'text/plain' }, body: bodyFromBuffer('hello') }), async (port) => {
    const [r] = parseResponses(await exchange(port, req('GET')));
    assert.equal(r!.status, 200);
    assert.equal(r!.reason, 'OK');
    assert.equal(r!.headers['content-length'], '5');
    assert.equal(r!.headers['server'], 'weft');
    assert.ok(Math.abs(parseHttpDate(r!.headers['date']!) - Date.now()) < 5000);
    assert.equal(r!.body.toString(), 'hello');
  }));

test('an unknown-length body is chunked on HTTP/1.1 and close-delimited on HTTP/1.0', () =>
  with1(
    () => ({ code: 200, body: bodyFromGenerator((async function* () { yield 'ab'; yield Buffer.from('cd'); yield ''; yield 'e'; })()) }),
    async (port) => {
      const [a] = parseResponses(await exchange(port, req('GET')));
      assert.equal(a!.headers['transfer-encoding'], 'chunked');
      assert.equal(a!.headers['content-length'], undefined);
      assert.equal(a!.body.toString(), 'abcde');
      const [b] = parseResponses(await exchange(port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'));
      assert.equal(b!.headers['transfer-encoding'], undefined);
      assert.equal(b!.headers['connection'], 'close');
      assert.equal(b!.body.toString(), 'abcde');
    },
  ));

test('HEAD gets the GET head and no body', () =>
  with1(() => ({ code: 200, body: bodyFromBuffer('x'.repeat(1234)) }), async (port) => {
    const all = await exchange(port, 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\n' + req('GET'));
    const [h, g] = parseResponses(all, ['HEAD', 'GET']);
    assert.equal(h!.headers['content-length'], '1234');
    assert.equal(h!.body.length, 0);
    assert.equal(g!.body.length, 1234);
  }));

test('204, 304 and 1xx carry no body and no Content-Length', async () => {
  for (const code of [204, 304]) {
    await with1(() => ({ code, headers: { etag: '"x"' }, body: bodyFromBuffer('ignored') }), async (port) => {
      const all = await exchange(port, req('GET') );
      const [r] = parseResponses(all);
      assert.equal(r!.status, code);
      assert.equal(r!.headers['content-length'], undefined);
      assert.equal(r!.headers['transfer-encoding'], undefined);
      assert.ok(all.toString().endsWith('\r\n\r\n'));
    });
  }
});

test('framing headers set by the application are replaced by the real ones', () =>
  with1(() => ({ code: 200, headers: { 'Content-Length': '999', 'Transfer-Encoding': 'gzip' }, body: bodyFromBuffer('abc') }), async (port) => {
    const [r] = parseResponses(await exchange(port, req('GET')));
    assert.equal(r!.headers['content-length'], '3');
    assert.equal(r!.headers['transfer-encoding'], undefined);
  }));

test('header injection is refused: CR/LF/NUL never reach the wire, the client gets 500', async () => {
  const cases: ResponseHeaders[] = [{ 'x-a': 'ok\r\nSet-Cookie: evil=1' }, { 'x-a': 'a\nb' }, { 'x-a': 'a\0' }, { 'bad name': 'v' }, { 'x\r\ny': 'v' }, { 'x-a': ['ok', 'no\r\n'] }];
  for (const headers of cases) {
    await with1(() => ({ code: 200, headers, body: bodyFromBuffer('secret') }), async (port) => {
      const all = await exchange(port, req('GET'));
      assert.ok(!all.toString('latin1').includes('evil'), 'nothing injected');
      const [r] = parseResponses(all);
      assert.equal(r!.status, 500);
    });
  }
});

test('Server header: replaced by the app, or omitted when configured', async () => {
  await with1(() => ({ code: 200, headers: { server: 'mine' } }), async (port) => {
    assert.equal(parseResponses(await exchange(port, req('GET')))[0]!.headers['server'], 'mine');
  });
  const s = await startServer(() => ({ code: 200 }), { server: null });
  try {
    assert.equal(parseResponses(await exchange(s.port, req('GET')))[0]!.headers['server'], undefined);
  } finally {
    await s.close();
  }
});

test('multi-valued headers become several field lines', () =>
  with1(() => ({ code: 200, headers: { 'set-cookie': ['a=1', 'b=2'], 'x-n': 7 } }), async (port) => {
    const [r] = parseResponses(await exchange(port, req('GET')));
    assert.deepEqual(r!.lines.filter((l) => l.startsWith('set-cookie')), ['set-cookie: a=1', 'set-cookie: b=2']);
    assert.equal(r!.headers['x-n'], '7');
  }));

test('a body shorter than its declared length aborts the connection', () =>
  with1(() => ({ code: 200, body: { length: 10, read: (() => { let n = 0; return async () => (n++ === 0 ? Buffer.from('abc') : Buffer.alloc(0)); })() } }), async (port) => {
    const all = await exchange(port, req('GET'));
    // Cut off: nothing at all, or a head whose body never completes; never a whole response.
    if (all.length > 0) assert.throws(() => parseResponses(all), /shorter than Content-Length/);
  }));

test('a body length that is not an integer is refused with a 500, never written (Infinity once hung the writer)', async () => {
  for (const length of [Infinity, NaN, 1.5, 2 ** 60]) {
    await with1(() => ({ code: 200, body: { length, read: async () => Buffer.alloc(0) } }), async (port) => {
      for (const method of ['GET', 'HEAD']) {
        const [r] = parseResponses(await exchange(port, req(method)), [method]);
        assert.equal(r!.status, 500, `${method} with length ${length}`);
      }
    });
  }
});

test('a streaming body whose first read fails becomes a 500', () =>
  with1(() => ({ code: 200, body: bodyFromGenerator((async function* () { throw new Error('nope'); })()) }), async (port) => {
    const [r] = parseResponses(await exchange(port, req('GET')));
    assert.equal(r!.status, 500);
  }));

test('streamed chunks reach the client as they are produced', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  await with1(() => ({ code: 200, body: bodyFromGenerator((async function* () { yield 'first\n'; await gate; yield 'second\n'; })()) }), async (port) => {
    const s = await connect(port);
    let text = '';
    const sawFirst = new Promise<void>((r) => s.on('data', (d) => { text += d; if (text.includes('first\n')) r(); }));
    s.write(req('GET'));
    await sawFirst; // arrives while the generator still waits on the gate
    assert.ok(!text.includes('second'));
    release();
    await closed(s);
    assert.ok(text.includes('second\n'));
  });
});

test("/sheep: the generator's finally runs when the client disconnects", async () => {
  let doneWith: (n: number) => void;
  const done = new Promise<number>((r) => (doneWith = r));
  const s = await startServer(addDemoRoutes(router(), { sheepInterval: 20, onSheepDone: (n) => doneWith(n) }));
  try {
    const sock = await connect(s.port);
    let text = '';
    const twoLines = new Promise<void>((r) => sock.on('data', (d) => { text += d; if (/\r\n1\n\r\n/.test(text)) r(); }));
    sock.write('GET /sheep HTTP/1.1\r\nHost: a\r\n\r\n');
    await twoLines;
    sock.destroy();
    const counted = await done;
    assert.ok(counted >= 1 && counted < 99, `stopped at ${counted}`);
  } finally {
    await s.close();
  }
});

test('the body reader is closed exactly once, also when the client goes away', async () => {
  let closes = 0;
  let reads = 0;
  let sawRead!: () => void;
  const firstRead = new Promise<void>((r) => (sawRead = r));
  const s = await startServer(() => ({
    code: 200,
    body: {
      length: -1,
      read: async () => {
        reads++;
        sawRead();
        return Buffer.alloc(64 * 1024, 1);
      },
      close: () => {
        closes++;
      },
    },
  }));
  try {
    const sock = await connect(s.port);
    sock.write(req('GET'));
    await firstRead;
    sock.destroy();
    // The server notices when a write fails; closing the server waits for that.
    await s.close();
    assert.equal(closes, 1);
    assert.ok(reads >= 1);
  } finally {
    await s.close();
  }
});

test('prepared header bytes are used only while headers hold what they were made from, a list changed in place included', async () => {
  const headers: Record<string, string | string[]> = { 'content-type': 'text/plain', 'set-cookie': ['a=1'] };
  const prepared = prepareHeaders(headers);
  await with1(() => ({ code: 200, headers, prepared, body: bodyFromBuffer('hi') }), async (port) => {
    const first = (await exchange(port, req('GET'))).toString('latin1');
    assert.match(first, /\r\nset-cookie: a=1\r\n/);
    (headers['set-cookie'] as string[]).push('b=2'); // the same array, changed in place
    const second = (await exchange(port, req('GET'))).toString('latin1');
    assert.match(second, /\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n/);
  });
});
