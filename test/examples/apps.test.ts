/** The library examples, run as programs and used through fetch. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { once } from 'node:events';
import WebSocket from 'ws';
import { startProgram } from '../support.js';

test('json-api: create, read, update, delete; JSON errors, typed routes, wrappers', async () => {
  const p = await startProgram('dist/examples/json-api.js');
  try {
    const base = `http://127.0.0.1:${p.port}/todos`;
    const asJson = { 'content-type': 'application/json' };
    const created = await fetch(base, { method: 'POST', body: JSON.stringify({ title: 'write docs' }), headers: asJson });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('location'), '/todos/1');
    assert.match(created.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
    assert.match(created.headers.get('server-timing')!, /^app;dur=/);
    assert.deepEqual(await created.json(), { id: 1, title: 'write docs', done: false });
    const updated = await fetch(`${base}/1`, { method: 'PATCH', body: JSON.stringify({ done: true }), headers: asJson });
    assert.equal(((await updated.json()) as { done: boolean }).done, true);
    assert.deepEqual(await (await fetch(`${base}?done=true`)).json(), [{ id: 1, title: 'write docs', done: true }]);
    const bad = await fetch(base, { method: 'POST', body: 'not json', headers: asJson });
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { error: { status: 400, message: 'malformed JSON' } });
    const notJson = await fetch(base, { method: 'POST', body: '{}' });
    assert.equal(notJson.status, 415);
    await notJson.arrayBuffer();
    const tooBig = await fetch(base, { method: 'POST', body: JSON.stringify('x'.repeat(100_000)), headers: asJson });
    assert.equal(tooBig.status, 413);
    await tooBig.arrayBuffer();
    const cors = await fetch(`${base}/1`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'PATCH' } });
    assert.equal(cors.status, 204);
    assert.equal(cors.headers.get('access-control-allow-origin'), 'http://localhost:5173');
    assert.equal((await fetch(`${base}/1`, { method: 'DELETE' })).status, 204);
    const gone = await fetch(`${base}/1`);
    assert.equal(gone.status, 404);
    assert.deepEqual(await gone.json(), { error: { status: 404, message: 'no todo 1' } });
  } finally {
    await p.stop();
  }
});

test('upload: the form page, and files streamed to safe names in the directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-up-'));
  const p = await startProgram('dist/examples/upload.js', ['--dir', dir]);
  try {
    const base = `http://127.0.0.1:${p.port}`;
    assert.match(await (await fetch(base)).text(), /upload\.onprogress/);
    const form = new FormData();
    form.append('note', 'hello');
    form.append('file', new Blob(['one']), '../../outside.txt');
    form.append('file', new Blob(['two']), 'outside.txt');
    const res = await fetch(`${base}/upload`, { method: 'POST', body: form, headers: { accept: 'application/json' } });
    assert.equal(res.status, 201);
    const answer = (await res.json()) as { fields: Record<string, string>; files: { name: string; size: number; sentAs: string }[] };
    assert.deepEqual(answer.fields, { note: 'hello' });
    assert.deepEqual(answer.files.map((f) => [f.sentAs, f.name, f.size]), [['../../outside.txt', 'outside.txt', 3], ['outside.txt', 'outside-1.txt', 3]]);
    assert.deepEqual(readdirSync(dir).sort(), ['outside-1.txt', 'outside.txt']);
    const refused = await fetch(`${base}/upload`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain', accept: 'application/json' } });
    assert.equal(refused.status, 415);
    assert.equal(((await refused.json()) as { error: { status: number } }).error.status, 415);
  } finally {
    await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file-server: files with security headers and immutable caching of fingerprinted assets', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-fs-'));
  writeFileSync(join(dir, 'index.html'), '<h1>hi</h1>');
  writeFileSync(join(dir, 'app.3f9a2c71.js'), 'console.log(1)');
  const p = await startProgram('dist/examples/file-server.js', ['--dir', dir]);
  try {
    const index = await fetch(`http://127.0.0.1:${p.port}/`);
    assert.equal(await index.text(), '<h1>hi</h1>');
    assert.equal(index.headers.get('x-frame-options'), 'DENY');
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const asset = await fetch(`http://127.0.0.1:${p.port}/app.3f9a2c71.js`);
    assert.match(asset.headers.get('cache-control')!, /max-age=31536000, immutable/);
    await asset.arrayBuffer();
  } finally {
    await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('streaming: server-sent events arrive one by one', async () => {
  const p = await startProgram('dist/examples/streaming.js');
  try {
    const res = await fetch(`http://127.0.0.1:${p.port}/clock`);
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('id: 0\n')) text += (await reader.read()).value;
    assert.match(text, /event: tick\nid: 0\ndata: \d{4}-\d\d-\d\dT.*\(1 listening\)/);
    await reader.cancel();
  } finally {
    await p.stop();
  }
});

test('websocket-chat: the page, and a message reaching every member', async () => {
  const p = await startProgram('dist/examples/websocket-chat.js');
  try {
    const page = await fetch(`http://127.0.0.1:${p.port}/`);
    assert.match(await page.text(), /new WebSocket/);
    const open = async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${p.port}/chat`);
      await once(ws, 'open');
      return ws;
    };
    const a = await open();
    const b = await open();
    const heard = (ws: WebSocket) =>
      new Promise<string>((resolve) =>
        ws.on('message', (d) => {
          const m = JSON.parse(String(d));
          if (m.name === 'ann') resolve(m.text);
        }),
      );
    const both = Promise.all([heard(a), heard(b)]);
    a.send(JSON.stringify({ name: 'ann', text: 'hello room' }));
    assert.deepEqual(await both, ['hello room', 'hello room']);
    a.close();
    b.close();
  } finally {
    await p.stop();
  }
});
