import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { websocket } from '../../src/ws/index.js';
import { serve } from './harness.js';

test('echo with ws client', async () => {
  const h = await serve(websocket(async (ws) => { for await (const m of ws) await ws.send(m.data); }));
  const c = new WebSocket(`ws://127.0.0.1:${h.port}/`);
  await new Promise((r, j) => { c.once('open', r); c.once('error', j); });
  const got = new Promise<any[]>((resolve) => { const out: any[] = []; c.on('message', (d, bin) => { out.push([bin, d.toString()]); if (out.length === 3) resolve(out); }); });
  c.send('hello'); c.send(Buffer.from('bin')); c.send('x'.repeat(70000));
  const out = await got;
  assert.deepEqual(out.map((x) => x[1].length), [5, 3, 70000]);
  assert.deepEqual(out.map((x) => x[0]), [false, true, false]);
  const closed = new Promise<number>((r) => c.once('close', (code) => r(code)));
  c.close(1000, 'bye');
  assert.equal(await closed, 1000);
  await h.close();
});
