/**
 * A connection's life: frames that come with the handshake, closing from
 * either side with timeouts, heartbeats, shutdown signals, failing message
 * sources, ping floods, and connections that vanish mid-message.
 */
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { after, before, test } from 'node:test';
import { websocket, type CloseInfo, type WebSocketOptions, type WSConn } from '../../src/ws/index.js';
import { openClient } from './client.js';
import { serve, type Harness } from './harness.js';
import { closeBody, frame, GOOD_KEY, rawConnect, readClose } from './raw.js';

/** node:test timeout, only to stop a hung test from blocking the run (ms). */
const HANG_GUARD = { timeout: 60_000 };

type App = (ws: WSConn) => Promise<void>;
const apps: Record<string, App> = {};
const closes = new Map<string, CloseInfo>();
const errors: unknown[] = [];
let h: Harness;

async function start(options: WebSocketOptions = {}): Promise<Harness> {
  return serve(
    websocket(
      async (ws, req) => {
        void ws.closed.then((info) => closes.set(req.path, info));
        await apps[req.path]!(ws);
      },
      { onError: (err) => errors.push(err), ...options },
    ),
  );
}

before(async () => {
  h = await start({ closeTimeout: 150 });
});
after(async () => {
  await h.close();
  assert.deepEqual(h.errors, []);
});

async function drain(ws: WSConn): Promise<void> {
  for await (const _ of ws);
}

test('frames sent together with the handshake are not lost', HANG_GUARD, async () => {
  apps['/early'] = async (ws) => {
    for await (const msg of ws) await ws.send(`got ${msg.data}`);
  };
  const s = netConnect({ port: h.port, host: '127.0.0.1' });
  const head =
    `GET /early HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${GOOD_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  s.write(Buffer.concat([Buffer.from(head), frame({ opcode: 1, payload: 'first' }), frame({ opcode: 1, payload: 'second' })]));
  let buf = Buffer.alloc(0);
  await new Promise<void>((resolve) =>
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.includes('got second')) resolve();
    }),
  );
  assert.ok(buf.includes('got first'));
  s.write(frame({ opcode: 8, payload: closeBody(1000) }));
  s.end();
  await new Promise((r) => s.once('close', r));
});

test('server close: a peer that never answers is disconnected after closeTimeout', HANG_GUARD, async () => {
  apps['/close-unanswered'] = async (ws) => {
    await ws.close(4000, 'go away');
  };
  const c = await rawConnect(h.port, {}, { path: '/close-unanswered' });
  const got = await readClose(c);
  assert.deepEqual([got.code, got.reason], [4000, 'go away']);
  // We neither answer nor end: the server must close TCP by itself.
  await c.closed;
  await h.idle();
  assert.deepEqual(closes.get('/close-unanswered'), { code: 4000, reason: '', wasClean: false });
});

test('peer close: a peer that answers but keeps TCP open is disconnected after closeTimeout', HANG_GUARD, async () => {
  apps['/linger'] = drain;
  const c = await rawConnect(h.port, {}, { path: '/linger' });
  c.write(frame({ opcode: 8, payload: closeBody(1001, 'leaving') }));
  assert.equal((await readClose(c)).code, 1001);
  assert.equal(await c.readFrame(), null); // server's FIN
  await c.closed; // and then the server's close, though we never ended
  await h.idle();
  assert.deepEqual(closes.get('/linger'), { code: 1001, reason: 'leaving', wasClean: true });
});

test('close() sends queued messages first; sends after it reject; bad arguments throw', HANG_GUARD, async () => {
  apps['/close-order'] = async (ws) => {
    const big = ws.send(Buffer.alloc(300_000, 1));
    const small = ws.send('last words');
    const closing = ws.close(1000, 'done');
    await assert.rejects(ws.send('too late'), { code: 'WEFT_WS_CLOSED' });
    await assert.rejects(ws.close(1005), RangeError);
    await assert.rejects(ws.close(1000, 'x'.repeat(124)), RangeError);
    await big;
    await small;
    await closing;
  };
  const c = await openClient(h.port, { path: '/close-order' });
  assert.equal((await c.next()).data.length, 300_000);
  assert.equal((await c.next()).data.toString(), 'last words');
  assert.deepEqual(await c.closed, { code: 1000, reason: 'done' });
  await h.idle();
  assert.deepEqual(errors, []);
});

test('messages arriving after the application called close() are dropped', HANG_GUARD, async () => {
  const seen: string[] = [];
  apps['/drop-after-close'] = async (ws) => {
    const it = ws[Symbol.asyncIterator]();
    seen.push(String((await it.next()).value!.data));
    const closed = ws.close(1000);
    for (let r = await it.next(); !r.done; r = await it.next()) seen.push(String(r.value.data));
    await closed;
  };
  const c = await rawConnect(h.port, {}, { path: '/drop-after-close' });
  c.write(frame({ opcode: 1, payload: 'one' }));
  assert.equal((await readClose(c)).code, 1000);
  c.write([frame({ opcode: 1, payload: 'two' }), frame({ opcode: 8, payload: closeBody(1000) })]);
  assert.equal(await c.readFrame(), null);
  c.socket.end();
  await c.closed;
  await h.idle();
  assert.deepEqual(seen, ['one']);
});

test('the abort signal closes with 1001', HANG_GUARD, async () => {
  const controller = new AbortController();
  const hs = await start({ signal: controller.signal });
  apps['/signal'] = drain;
  const c = await openClient(hs.port, { path: '/signal' });
  controller.abort();
  assert.equal((await c.closed).code, 1001);
  await hs.close();
  assert.deepEqual(hs.errors, []);
});

test('a failing message source closes the connection with 1011 and its send rejects', HANG_GUARD, async () => {
  let sendError: unknown = null;
  apps['/bad-source'] = async (ws) => {
    let n = 0;
    try {
      await ws.send({
        type: 'binary',
        read: async () => {
          if (n++ < 2) return Buffer.alloc(1000);
          throw new Error('disk on fire');
        },
      });
    } catch (err) {
      sendError = err;
    }
    await drain(ws);
  };
  const c = await openClient(h.port, { path: '/bad-source' });
  assert.equal((await c.closed).code, 1011);
  await h.idle();
  assert.equal((sendError as Error).message, 'disk on fire');
});

test('a peer vanishing mid-message: read() rejects with WEFT_WS_ABORTED', HANG_GUARD, async () => {
  let readError: unknown = null;
  apps['/vanish'] = async (ws) => {
    const msg = await ws.recv();
    try {
      for (let b = await msg!.read(); b.length > 0; b = await msg!.read());
    } catch (err) {
      readError = err;
    }
    assert.equal(await ws.recv(), null);
  };
  const c = await rawConnect(h.port, {}, { path: '/vanish' });
  // Half a frame, then EOF.
  c.socket.end(frame({ opcode: 2, payload: Buffer.alloc(10_000) }).subarray(0, 5000));
  await h.idle();
  assert.equal((readError as { code?: string }).code, 'WEFT_WS_ABORTED');
  assert.deepEqual(closes.get('/vanish'), { code: 1006, reason: '', wasClean: false });
});

test('a ping flood from a peer that does not read stalls reading, not memory', HANG_GUARD, async () => {
  apps['/ping-flood'] = drain;
  const c = await rawConnect(h.port, {}, { path: '/ping-flood' });
  c.socket.pause(); // read nothing: the pongs pile up
  const ping = frame({ opcode: 9, payload: Buffer.alloc(125, 1) });
  const batch = Buffer.concat(Array.from({ length: 1024 }, () => ping));
  let sent = 0;
  const LIMIT = 64 * 1024 * 1024;
  while (c.socket.writableLength < 2 * 1024 * 1024 && sent < LIMIT) {
    c.socket.write(batch);
    sent += batch.length;
    await new Promise((r) => setImmediate(r));
  }
  assert.ok(sent < LIMIT, 'the server never pushed back');
  const server = h.upgraded.at(-1)!;
  // Pongs waiting in the server's socket: at most a write buffer's worth.
  assert.ok(server.socket.writableLength <= 64 * 1024, `server queued ${server.socket.writableLength} bytes`);
  c.socket.destroy();
  await h.idle();
});

test('heartbeat: a peer that answers pings stays; one that does not is dropped', HANG_GUARD, async () => {
  const hb = await start({ heartbeatInterval: 40 });
  apps['/hb'] = drain;
  // The ws client answers pings by itself.
  const good = await openClient(hb.port, { path: '/hb' });
  let pings = 0;
  await new Promise<void>((resolve) =>
    good.ws.on('ping', () => {
      if (++pings === 4) resolve();
    }),
  );
  assert.equal(good.ws.readyState, good.ws.OPEN);
  assert.equal((await good.close()).code, 1000);
  // A raw client that never answers is cut off after one unanswered ping.
  const mute = await rawConnect(hb.port, {}, { path: '/hb' });
  const first = await mute.readFrame();
  assert.equal(first!.opcode, 9);
  await mute.closed;
  await hb.idle();
  assert.deepEqual(closes.get('/hb'), { code: 1006, reason: '', wasClean: false });
  await hb.close();
  assert.deepEqual(hb.errors, []);
});

test('the size limit applies only once the application reads whole messages, even for frames parsed earlier', HANG_GUARD, async () => {
  const small = await start({ maxMessageSize: 1000 });
  apps['/early-stream'] = async (ws) => {
    const msg = await ws.recv();
    let n = 0;
    for (let b = await msg!.read(); b.length > 0; b = await msg!.read()) n += b.length;
    await ws.send(String(n));
    for (;;) if ((await ws.recv()) === null) break;
  };
  apps['/early-message'] = drain;
  // Handshake and a 5000-byte frame in one write: the frame is parsed before the application runs.
  const s = netConnect({ port: small.port, host: '127.0.0.1' });
  const head = (path: string): string =>
    `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${GOOD_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  s.write(Buffer.concat([Buffer.from(head('/early-stream')), frame({ opcode: 2, payload: Buffer.alloc(5000) })]));
  let buf = Buffer.alloc(0);
  await new Promise<void>((resolve) =>
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.includes('5000')) resolve();
    }),
  );
  s.end(frame({ opcode: 8, payload: closeBody(1000) }));
  await new Promise((r) => s.once('close', r));
  const m = netConnect({ port: small.port, host: '127.0.0.1' });
  m.write(Buffer.concat([Buffer.from(head('/early-message')), frame({ opcode: 2, payload: Buffer.alloc(5000) })]));
  let out = Buffer.alloc(0);
  m.on('data', (d: Buffer) => (out = Buffer.concat([out, d])));
  await new Promise((r) => m.once('end', r));
  const close = out.subarray(out.indexOf('\r\n\r\n') + 4);
  assert.deepEqual([close[0], close.readUInt16BE(2)], [0x88, 1009]);
  m.end();
  await small.close();
  assert.deepEqual(small.errors, []);
});

test('writeBufferSize 0: one socket write per frame, and send() waits for each', HANG_GUARD, async () => {
  const strict = await start({ writeBufferSize: 0 });
  let writes = 0;
  apps['/strict'] = async (ws) => {
    const it = ws[Symbol.asyncIterator]();
    await it.next(); // the test has counted writes from here on
    for (let i = 0; i < 20; i++) await ws.send(`m${i}`);
    await ws.send(Buffer.alloc(10_000));
    for (let r = await it.next(); !r.done; r = await it.next());
  };
  const c = await openClient(strict.port, { path: '/strict' });
  const conn = strict.upgraded.at(-1)!;
  const writeNow = conn.writeNow.bind(conn);
  const writevNow = conn.writevNow.bind(conn);
  conn.writeNow = (d) => (writes++, writeNow(d));
  conn.writevNow = (d) => (writes++, writevNow(d));
  c.ws.send('start');
  for (let i = 0; i < 20; i++) assert.equal((await c.next()).data.toString(), `m${i}`);
  assert.equal((await c.next()).data.length, 10_000);
  assert.equal(writes, 21);
  await c.close();
  await strict.close();
  assert.deepEqual(strict.errors, []);
});

test('replies to pipelined messages leave in one socket write', HANG_GUARD, async () => {
  apps['/batch'] = async (ws) => {
    for await (const msg of ws) await ws.send(msg.data);
  };
  const c = await rawConnect(h.port, {}, { path: '/batch' });
  const conn = h.upgraded.at(-1)!;
  let writes = 0;
  const writeNow = conn.writeNow.bind(conn);
  conn.writeNow = (d) => (writes++, writeNow(d));
  c.write(Buffer.concat(Array.from({ length: 64 }, (_, i) => frame({ opcode: 1, payload: `message ${i}`.padEnd(32) }))));
  for (let i = 0; i < 64; i++) assert.equal((await c.readFrame())!.payload.toString().trim(), `message ${i}`);
  assert.ok(writes <= 2, `${writes} writes for 64 replies`);
  c.write(frame({ opcode: 8, payload: closeBody(1000) }));
  assert.equal((await readClose(c)).code, 1000);
  c.socket.end();
  await c.closed;
});
