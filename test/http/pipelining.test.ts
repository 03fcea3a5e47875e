import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bodyFromBuffer, readAll } from '../../src/http/body.js';
import type { Server } from '../../src/http/server.js';
import { until } from '../support.js';
import { closed, connect, exchange, parseResponses, startServer } from './support.js';

let server: Server;
before(async () => {
  server = await startServer(async (req, body) => {
    const data = await readAll(body);
    const text = `${req.method} ${req.target} ${data.length}:${data.toString()}`;
    return { code: 200, headers: { 'content-type': 'text/plain' }, body: { length: Buffer.byteLength(text), bytes: Buffer.from(text), read: async () => Buffer.from(text) } };
  });
});
after(() => server.close());

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: a\r\n${extra}\r\n`;

test('pipelined requests are answered in order', async () => {
  const reqs = Array.from({ length: 20 }, (_, i) => get(`/r${i}`)).join('') + get('/last', 'Connection: close\r\n');
  const res = parseResponses(await exchange(server.port, reqs));
  assert.equal(res.length, 21);
  res.slice(0, 20).forEach((r, i) => assert.equal(r.body.toString(), `GET /r${i} 0:`));
  assert.equal(res[20]!.body.toString(), 'GET /last 0:');
});

test('a GET after a chunked POST in the same write', async () => {
  const post =
    'POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n';
  const res = parseResponses(await exchange(server.port, post + get('/after', 'Connection: close\r\n')));
  assert.deepEqual(
    res.map((r) => r.body.toString()),
    ['POST /up 11:hello world', 'GET /after 0:'],
  );
});

test('a GET after a Content-Length POST whose body the handler never read', async () => {
  const s = await startServer((req) => ({ code: 200, body: { length: 2, bytes: Buffer.from(req.path.slice(1, 3)), read: async () => Buffer.alloc(0) } }));
  try {
    const req = 'POST /xx HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nGET /' + get('/yy', 'Connection: close\r\n');
    const res = parseResponses(await exchange(s.port, req));
    // The 5 body bytes "GET /" must be skipped, never parsed as a request.
    assert.deepEqual(res.map((r) => r.body.toString()), ['xx', 'yy']);
  } finally {
    await s.close();
  }
});

test('byte-at-a-time delivery gives the same responses', async () => {
  const reqs =
    'POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc' +
    'POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n' +
    get('/c', 'Connection: close\r\n');
  const s = await connect(server.port);
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  const done = new Promise((r) => s.on('close', r));
  for (const byte of Buffer.from(reqs)) {
    s.write(Buffer.of(byte));
    await new Promise((r) => setImmediate(r));
  }
  await done;
  const res = parseResponses(Buffer.concat(chunks));
  assert.deepEqual(res.map((r) => r.body.toString()), ['POST /a 3:abc', 'POST /b 2:xy', 'GET /c 0:']);
});

test('responses to a pipelined batch leave in one write', async () => {
  const s = await startServer(() => ({ code: 204 }));
  try {
    const sock = await connect(s.port);
    let packets = 0;
    const chunks: Buffer[] = [];
    sock.on('data', (d: Buffer) => {
      packets++;
      chunks.push(d);
    });
    const done = new Promise((r) => sock.on('close', r));
    sock.write(Array.from({ length: 16 }, () => get('/')).join('') + get('/', 'Connection: close\r\n'));
    await done;
    assert.equal(parseResponses(Buffer.concat(chunks)).length, 17);
    // 16 responses batched, the last one flushed with the close: at most a couple of reads.
    assert.ok(packets <= 3, `received in ${packets} reads`);
  } finally {
    await s.close();
  }
});

test('keep-alive: many sequential requests on one connection', async () => {
  const s = await connect(server.port);
  const chunks: Buffer[] = [];
  for (let i = 0; i < 50; i++) {
    const got = new Promise<Buffer>((r) => s.once('data', r));
    s.write(get(`/seq${i}`));
    chunks.push(await got);
  }
  s.destroy();
  const res = parseResponses(Buffer.concat(chunks));
  assert.equal(res.length, 50);
  assert.equal(res[49]!.body.toString(), 'GET /seq49 0:');
});

test('HTTP/1.0: closes by default, keeps alive on request', async () => {
  const one = parseResponses(await exchange(server.port, 'GET /x HTTP/1.0\r\n\r\n'));
  assert.equal(one.length, 1);
  assert.equal(one[0]!.headers['connection'], 'close');
  const two = parseResponses(
    await exchange(server.port, 'GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /l HTTP/1.0\r\n\r\n'),
  );
  assert.equal(two.length, 2);
  assert.equal(two[0]!.headers['connection'], 'keep-alive');
  assert.equal(two[1]!.headers['connection'], 'close');
});

test('leading empty lines before a request are ignored (RFC 9112 §2.2)', async () => {
  const res = parseResponses(await exchange(server.port, '\r\n\r\n' + get('/x', 'Connection: close\r\n')));
  assert.equal(res[0]!.body.toString(), 'GET /x 0:');
});

test('keep-alive requests sent one at a time, each after the last answer, are each answered at once (served in the data event)', async () => {
  const s = await startServer(() => ({ code: 200, body: bodyFromBuffer('ok') }));
  const client = await connect(s.port);
  try {
    let got = Buffer.alloc(0);
    client.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
    for (let i = 1; i <= 5; i++) {
      client.write(get(`/${i}`));
      await until(() => parseResponses(got).length === i);
    }
    assert.deepEqual(parseResponses(got).map((r) => r.status), [200, 200, 200, 200, 200]);
  } finally {
    client.destroy();
    await s.close();
  }
});

test('an access-log callback that throws closes the connection, and the server goes on serving', async () => {
  let calls = 0;
  const s = await startServer(() => ({ code: 200, body: bodyFromBuffer('ok') }), {
    onResponse: () => {
      if (++calls === 1) throw new Error('log failed');
    },
  });
  try {
    const client = await connect(s.port);
    client.write(get('/'));
    await closed(client);
    const res = parseResponses(await exchange(s.port, get('/', 'Connection: close\r\n')));
    assert.equal(res[0]!.status, 200);
  } finally {
    await s.close();
  }
});
