/** The library examples, run as programs and used through fetch. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { once } from 'node:events';
import WebSocket from 'ws';
import { startProgram } from '../support.js';

test('json-api: create, read, update, delete, and errors', async () => {
  const p = await startProgram('dist/examples/json-api.js');
  try {
    const base = `http://127.0.0.1:${p.port}/todos`;
    const created = await fetch(base, { method: 'POST', body: JSON.stringify({ title: 'write docs' }) });
    assert.equal(created.status, 201);
    const todo = await created.json();
    assert.deepEqual(todo, { id: 1, title: 'write docs', done: false });
    const updated = await fetch(`${base}/1`, { method: 'PUT', body: JSON.stringify({ done: true }) });
    assert.equal(((await updated.json()) as { done: boolean }).done, true);
    assert.equal((await fetch(`${base}/1`)).status, 200);
    const bad = await fetch(base, { method: 'POST', body: 'not json' });
    assert.equal(bad.status, 400);
    await bad.arrayBuffer();
    const tooBig = await fetch(base, { method: 'POST', body: 'x'.repeat(100_000) });
    assert.equal(tooBig.status, 413);
    await tooBig.arrayBuffer();
    assert.equal((await fetch(`${base}/1`, { method: 'DELETE' })).status, 204);
    const gone = await fetch(`${base}/1`);
    assert.equal(gone.status, 404);
    await gone.arrayBuffer();
  } finally {
    await p.stop();
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
    assert.equal(index.headers.get('cache-control'), 'public, max-age=0');
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
    assert.match(text, /data: \d{4}-\d\d-\d\dT.*\(1 listening\)/);
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
