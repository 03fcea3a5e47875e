/** redirect(), sendFile() (serveStatic's behaviour for one file) and eventStream() over real sockets. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { router } from '../../src/app/router.js';
import { redirect } from '../../src/kit/redirect.js';
import { contentDisposition, sendFile } from '../../src/kit/send-file.js';
import { eventStream, formatEvent, lastEventId } from '../../src/kit/sse.js';
import { assertWhole, snapshot } from '../leaks.js';
import { connect, exchange, get, parseResponses, rawStatus, readToEnd, serve } from './support.js';

let dir: string;
const text = 'all work and no play makes jack a dull boy\n'.repeat(100);
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-send-'));
  writeFileSync(join(dir, 'notes.txt'), text);
  writeFileSync(join(dir, 'app.js'), 'console.log(1);\n'.repeat(200));
  writeFileSync(join(dir, 'app.js.gz'), gzipSync('console.log(1);\n'.repeat(200)));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('redirect: status and Location, unsafe characters encoded, another host refused', () => {
  const r = redirect('/search?q=a b&x=é');
  assert.equal(r.code, 302);
  assert.equal(r.headers!['location'], '/search?q=a%20b&x=%C3%A9');
  assert.equal(redirect('/x%20y', 308).headers!['location'], '/x%20y', 'existing escapes kept');
  assert.equal(redirect('/a\r\nSet-Cookie: x=1').headers!['location'], '/a%0D%0ASet-Cookie:%20x=1');
  assert.equal(redirect('https://other.example/', 301).headers!['location'], 'https://other.example/');
  assert.throws(() => redirect('//evil.example/'), TypeError);
  assert.throws(() => redirect('/\\evil.example/'), TypeError);
  assert.throws(() => redirect('/x', 200 as 302), TypeError);
});

const OPTIONS = { maxAge: 60 };
const DOWNLOAD = { attachment: 'résumé "final".txt' };

test('sendFile: validators, conditionals, ranges, HEAD, sidecars and compression, as serveStatic', async () => {
  const app = router()
    .get('/notes', (req) => sendFile(req, join(dir, 'notes.txt'), OPTIONS))
    .get('/app', (req) => sendFile(req, join(dir, 'app.js')))
    .get('/download', (req) => sendFile(req, join(dir, 'notes.txt'), DOWNLOAD))
    .get('/missing', (req) => sendFile(req, join(dir, 'nope.txt')))
    .get('/dir', (req) => sendFile(req, dir))
    .post('/notes', (req) => sendFile(req, join(dir, 'notes.txt')));
  const s = await serve(app);
  try {
    const full = await get(`${s.base}/notes`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(full.status, 200);
    assert.equal(full.text, text);
    assert.equal(full.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(full.headers.get('cache-control'), 'public, max-age=60');
    const etag = full.headers.get('etag')!;
    assert.match(etag, /^"/);
    assert.ok(full.headers.get('last-modified'));
    assert.equal((await get(`${s.base}/notes`, { headers: { 'if-none-match': etag, 'accept-encoding': 'identity' } })).status, 304);
    const part = await get(`${s.base}/notes`, { headers: { range: 'bytes=4-7', 'accept-encoding': 'identity' } });
    assert.equal(part.status, 206);
    assert.equal(part.text, 'work');
    assert.equal(part.headers.get('content-range'), `bytes 4-7/${text.length}`);
    const [head] = parseResponses(await exchange(s.server.port, 'HEAD /notes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), ['HEAD']);
    assert.equal(head!.headers['content-length'], String(text.length));
    assert.equal(head!.body.length, 0);
    const raw = await rawStatus(s.server.port, 'GET /app HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n');
    assert.equal(raw[0]!.headers['content-encoding'], 'gzip', 'the precompressed sidecar');
    assert.equal(raw[0]!.headers['vary'], 'Accept-Encoding');
    const gz = await get(`${s.base}/notes`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.text, text, 'compressed on the fly (fetch decodes it)');
    const dl = await get(`${s.base}/download`);
    assert.equal(dl.headers.get('content-disposition'), `attachment; filename="r_sum_ _final_.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.txt`);
    assert.equal((await get(`${s.base}/missing`)).status, 404);
    assert.equal((await get(`${s.base}/dir`)).status, 404);
    const post = await get(`${s.base}/notes`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.equal(s.errors.length, 0);
  } finally {
    await s.close();
  }
  assert.equal(contentDisposition('plain.txt'), 'attachment; filename="plain.txt"');
});

test('formatEvent: fields, multi-line data, refused line breaks', () => {
  assert.equal(formatEvent('hi'), 'data: hi\n\n');
  assert.equal(formatEvent({ event: 'tick', id: '7', retry: 500, data: 'a\r\nb\nc', comment: 'x' }), ': x\nevent: tick\nid: 7\nretry: 500\ndata: a\ndata: b\ndata: c\n\n');
  assert.throws(() => formatEvent({ event: 'a\nb' }), TypeError);
  assert.throws(() => formatEvent({ id: 'a\rb' }), TypeError);
  assert.throws(() => formatEvent({ retry: 1.5 }), TypeError);
});

test('eventStream: events as produced, heartbeats while quiet, Last-Event-ID, the source ended when the client goes', async () => {
  let ended!: () => void;
  const sourceEnded = new Promise<void>((resolve) => (ended = resolve));
  let aborted = false;
  let gate!: () => void;
  const opened = new Promise<void>((resolve) => (gate = resolve));
  const app = router().get('/events', (req) =>
    eventStream(
      async function* (signal) {
        signal.addEventListener('abort', () => (aborted = true));
        try {
          const from = Number(lastEventId(req) ?? 0);
          yield { id: String(from + 1), data: 'first' };
          yield 'second';
          gate();
          await sleep(60_000, undefined, { signal }); // quiet: heartbeats go out meanwhile
        } finally {
          ended();
        }
      },
      { heartbeatMs: 20, retry: 1000 },
    ),
  );
  const s = await serve(app);
  const before = snapshot();
  try {
    const sock = await connect(s.server.port);
    let received = '';
    sock.setEncoding('latin1');
    const gotHeartbeat = new Promise<void>((resolve) =>
      sock.on('data', (d: string) => {
        received += d;
        if (/data: second\n\n[\s\S]*\r\n3\r\n:\n\n/.test(received)) resolve();
      }),
    );
    sock.write('GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 41\r\n\r\n');
    await opened;
    await gotHeartbeat;
    assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(received, /content-type: text\/event-stream\r\n/);
    assert.match(received, /Transfer-Encoding: chunked/);
    assert.match(received, /retry: 1000\n\n/);
    assert.match(received, /id: 42\ndata: first\n\n/);
    sock.destroy();
    await sourceEnded;
    assert.equal(aborted, true);
    await assertWhole(s.server, before);
  } finally {
    await s.close();
  }
});

test('eventStream: a source that ends ends the response', async () => {
  const s = await serve(router().get('/', () => eventStream((async function* () { yield 'only'; })(), { heartbeatMs: 0 })));
  try {
    const sock = await connect(s.server.port);
    const all = readToEnd(sock);
    sock.end('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const [res] = parseResponses(await all);
    assert.equal(res!.body.toString(), ':\n\ndata: only\n\n');
  } finally {
    await s.close();
  }
});
