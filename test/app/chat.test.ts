/** The demo WebSocket routes with the `ws` package as an independent client. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import WebSocket from 'ws';
import { createChatRoom } from '../../src/app/chat.js';
import { addDemoRoutes } from '../../src/app/demo.js';
import { router } from '../../src/app/router.js';
import { createHub } from '../../src/pubsub/hub.js';
import { websocket } from '../../src/ws/accept.js';
import type { WSConn } from '../../src/ws/websocket.js';
import { startServer } from '../http/support.js';
import { openClient, type Client } from '../ws/client.js';

async function open(url: string, options?: WebSocket.ClientOptions): Promise<WebSocket> {
  const ws = new WebSocket(url, options);
  await once(ws, 'open');
  return ws;
}

type ChatMessage = { event?: 'join' | 'leave'; name?: string; text: string };

/** Collects parsed chat messages until `until` returns true. */
function messages(ws: WebSocket, until: (all: ChatMessage[]) => boolean): Promise<ChatMessage[]> {
  const all: ChatMessage[] = [];
  return new Promise((resolve) => {
    const on = (data: WebSocket.RawData) => {
      all.push(JSON.parse(String(data)));
      if (until(all)) {
        ws.off('message', on);
        resolve(all);
      }
    };
    ws.on('message', on);
  });
}

test('/ws/echo echoes text and binary, with and without permessage-deflate', async () => {
  const s = await startServer(addDemoRoutes(router()));
  try {
    for (const perMessageDeflate of [false, true]) {
      const ws = await open(`ws://127.0.0.1:${s.port}/ws/echo`, { perMessageDeflate });
      assert.equal(ws.extensions.includes('permessage-deflate'), perMessageDeflate);
      ws.send('hello');
      const [text, isBinary] = await once(ws, 'message');
      assert.equal(String(text), 'hello');
      assert.equal(isBinary, false);
      const big = Buffer.alloc(200_000, 7);
      ws.send(big);
      const [bin, isBin] = await once(ws, 'message');
      assert.ok(isBin);
      assert.ok(Buffer.from(bin as Buffer).equals(big));
      ws.close(1000);
      const [code] = await once(ws, 'close');
      assert.equal(code, 1000);
    }
  } finally {
    await s.close();
  }
});

test('/ws/chat broadcasts to every member', async () => {
  const s = await startServer(addDemoRoutes(router()));
  try {
    const url = `ws://127.0.0.1:${s.port}/ws/chat`;
    const a = await open(url);
    const aHeard = messages(a, (all) => all.some((m) => m.text === 'hi all'));
    const b = await open(url);
    const bHeard = messages(b, (all) => all.some((m) => m.text === 'hi all'));
    await new Promise((r) => setImmediate(r));
    a.send(JSON.stringify({ name: 'ann', text: 'hi all' }));
    for (const heard of await Promise.all([aHeard, bHeard])) {
      assert.deepEqual(heard.find((m) => m.text === 'hi all')?.name, 'ann');
    }
    a.close();
    b.close();
  } finally {
    await s.close();
  }
});

test('joining and leaving are announced with the name given in ?name=; a member may rename itself', async () => {
  const s = await startServer(addDemoRoutes(router()));
  try {
    const path = '/ws/chat';
    const next = async (c: Client): Promise<string[]> => {
      const m = JSON.parse(String((await c.next()).data)) as ChatMessage;
      return [m.event ?? 'said', m.name ?? '', m.text];
    };
    const ann = await openClient(s.port, { path: `${path}?name=ann` });
    assert.deepEqual(await next(ann), ['join', 'ann', 'ann joined']);
    const bob = await openClient(s.port, { path: `${path}?name=${encodeURIComponent('  bob the builder  ')}` });
    assert.deepEqual(await next(bob), ['join', 'bob the builder', 'bob the builder joined']);
    bob.ws.send(JSON.stringify({ text: 'hello' }));
    bob.ws.send(JSON.stringify({ name: 'robert', text: 'call me robert' }));
    await bob.close();
    assert.deepEqual(
      [await next(ann), await next(ann), await next(ann), await next(ann)],
      [
        ['join', 'bob the builder', 'bob the builder joined'],
        ['said', 'bob the builder', 'hello'],
        ['said', 'robert', 'call me robert'],
        ['leave', 'robert', 'robert left'],
      ],
    );
    await ann.close();
  } finally {
    await s.close();
  }
});

test('a chat member that stops reading is dropped; the others carry on', { timeout: 60_000 }, async () => {
  let dropped!: (ws: WSConn) => void;
  const wasDropped = new Promise<WSConn>((r) => (dropped = r));
  const room = createChatRoom({ hub: createHub({ outboxBytes: 8 * 1024, onSlow: (ws) => dropped(ws) }) });
  const s = await startServer(router().get('/chat', websocket((ws) => room.join(ws))));
  try {
    const url = `ws://127.0.0.1:${s.port}/chat`;
    const talker = await open(url);
    const slow = await open(url);
    (slow as unknown as { _socket: import('node:net').Socket })._socket.pause(); // never reads again
    let heard = 0;
    talker.on('message', () => heard++);
    const text = 'x'.repeat(1000);
    let sent = 0;
    let gone = false;
    void wasDropped.then(() => (gone = true));
    // Talk until the slow member's kernel buffers and outbox are full.
    while (!gone && sent < 50_000) {
      talker.send(JSON.stringify({ name: 't', text }));
      sent++;
      if (sent % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    await wasDropped;
    assert.equal(room.size, 1);
    // The talker still hears the room.
    const before = heard;
    talker.send(JSON.stringify({ name: 't', text: 'still here' }));
    await messages(talker, (all) => all.some((m) => m.text === 'still here'));
    assert.ok(heard > before);
    talker.close();
    slow.terminate();
  } finally {
    await s.close();
  }
});
