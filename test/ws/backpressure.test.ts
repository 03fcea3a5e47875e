/**
 * Streaming and backpressure, measured with byte counters rather than time:
 * a 64 MiB message read piece by piece in bounded memory, a slow application
 * that stops the socket being read, and a client that stops reading while
 * the server sends.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Conn } from '../../src/net/conn.js';
import { websocket, type WSConn } from '../../src/ws/index.js';
import { openClient } from './client.js';
import { serve, type Harness } from './harness.js';
import { expectFail, frame, rawConnect } from './raw.js';

/** node:test timeout, only to stop a hung test from blocking the run (ms). */
const HANG_GUARD = { timeout: 60_000 };

/** One turn of the event loop (lets I/O happen); not a timer. */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

type App = (ws: WSConn, conn: Conn) => Promise<void>;
let h: Harness;
const apps: Record<string, App> = {};

before(async () => {
  h = await serve(
    websocket(async (ws, req) => {
      const conn = h.upgraded.at(-1)!;
      await apps[req.path]!(ws, conn);
    }),
  );
});
after(async () => {
  await h.close();
  assert.deepEqual(h.errors, []);
});

test('a 64 MiB message streams through recv()/read() in bounded memory', HANG_GUARD, async () => {
  const SIZE = 64 * 1024 * 1024;
  let maxHeld = 0;
  let pieces = 0;
  apps['/big'] = async (ws, conn) => {
    const msg = await ws.recv();
    assert.ok(msg !== null);
    assert.equal(msg.type, 'binary');
    assert.equal(msg.length, SIZE);
    const hash = createHash('sha256');
    let consumed = 0;
    for (;;) {
      const piece = await msg.read();
      if (piece.length === 0) break;
      hash.update(piece);
      consumed += piece.length;
      pieces++;
      // Bytes taken from the kernel but not yet given to the application.
      maxHeld = Math.max(maxHeld, conn.socket.bytesRead - consumed);
      if (pieces % 4 === 0) await turn(); // a slowish reader
    }
    await ws.send(`${consumed} ${hash.digest('hex')}`);
    for (;;) if ((await ws.recv()) === null) break;
  };
  const c = await openClient(h.port, { path: '/big' });
  const data = Buffer.alloc(SIZE);
  for (let i = 0; i < SIZE; i += 4096) data.writeUInt32LE(i, i);
  const expected = `${SIZE} ${createHash('sha256').update(data).digest('hex')}`;
  c.ws.send(data);
  assert.equal((await c.next()).data.toString(), expected);
  await c.close();
  assert.ok(pieces > 100);
  // Conn pauses at 64 KiB, the stream buffer holds 64 KiB: a few hundred KiB at most.
  assert.ok(maxHeld < 1024 * 1024, `server held ${maxHeld} bytes`);
});

test('echoing a streamed message back as a streamed send', HANG_GUARD, async () => {
  apps['/stream-echo'] = async (ws) => {
    for (let msg = await ws.recv(); msg !== null; msg = await ws.recv()) await ws.send(msg);
  };
  const c = await openClient(h.port, { path: '/stream-echo' });
  const data = Buffer.alloc(5 * 1024 * 1024, 0x37);
  c.ws.send(data);
  c.ws.send('tail', { fin: false });
  c.ws.send(' end');
  const m = await c.next();
  assert.ok(m.binary && m.data.equals(data));
  const t = await c.next();
  assert.deepEqual([t.binary, t.data.toString()], [false, 'tail end']);
  await c.close();
});

test('recv(): length is known only for a single uncompressed frame; abandoning a message skips the rest', HANG_GUARD, async () => {
  const seen: string[] = [];
  apps['/abandon'] = async (ws) => {
    const first = await ws.recv();
    seen.push(`${first!.type}:${first!.length}`);
    await first!.read(); // read one piece, abandon the rest
    const second = await ws.recv();
    seen.push(`${second!.type}:${second!.length}`);
    let text = '';
    for (let b = await second!.read(); b.length > 0; b = await second!.read()) text += b.toString();
    await ws.send(text);
    assert.throws(() => ws.receive(), { code: 'WEFT_WS_MODE' });
    for (;;) if ((await ws.recv()) === null) break;
  };
  const c = await openClient(h.port, { path: '/abandon' });
  c.ws.send(Buffer.alloc(3 * 1024 * 1024, 1));
  c.ws.send('frag', { fin: false });
  c.ws.send('mented');
  assert.equal((await c.next()).data.toString(), 'fragmented');
  assert.deepEqual(seen, ['binary:3145728', 'text:-1']);
  await c.close();
});

test('invalid UTF-8 in a streamed text message: read() rejects and the peer gets 1007', HANG_GUARD, async () => {
  let readError: unknown = null;
  apps['/stream-utf8'] = async (ws) => {
    const msg = await ws.recv();
    try {
      for (let b = await msg!.read(); b.length > 0; b = await msg!.read());
    } catch (err) {
      readError = err;
    }
    await ws.recv();
  };
  const c = await rawConnect(h.port, {}, { path: '/stream-utf8' });
  c.write([frame({ opcode: 1, payload: 'valid so far ', fin: false }), frame({ opcode: 0, payload: Buffer.from([0xfe]), fin: false })]);
  await expectFail(c, 1007);
  await h.idle();
  assert.equal((readError as { code?: string } | null)?.code, 'WEFT_WS_INVALID_UTF8');
});

test('a slow application in message mode stops the socket being read', HANG_GUARD, async () => {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let readWhileBlocked = 0;
  let blocked!: () => void;
  const isBlocked = new Promise<void>((r) => (blocked = r));
  const MSG = 256 * 1024;
  let sent = 0;
  apps['/slow-app'] = async (ws, conn) => {
    // Take one message (message mode is on), then stall.
    const it = ws[Symbol.asyncIterator]();
    let r = await it.next();
    let n = 0;
    blocked();
    await released;
    readWhileBlocked = conn.socket.bytesRead;
    for (; !r.done; r = await it.next()) {
      assert.equal((r.value.data as Buffer).readUInt32LE(0), n++);
      if (n === sent) break;
    }
    await ws.send(`got ${n}`);
    for await (const _ of ws);
  };
  const c = await openClient(h.port, { path: '/slow-app' });
  const first = Buffer.alloc(MSG);
  first.writeUInt32LE(sent++, 0);
  c.ws.send(first);
  await isBlocked;
  // Send until the client itself has to buffer: the kernel buffers between
  // us are full, so the server must have stopped reading.
  while (c.ws.bufferedAmount < 4 * 1024 * 1024 && sent < 400) {
    const m = Buffer.alloc(MSG);
    m.writeUInt32LE(sent++, 0);
    c.ws.send(m);
    await turn();
  }
  assert.ok(sent < 400, 'the server never pushed back');
  const serverConn = h.upgraded.at(-1)!;
  const held = serverConn.socket.bytesRead;
  release();
  assert.equal((await c.next()).data.toString(), `got ${sent}`);
  // While the application stalled, the server took at most its receive
  // buffer (1 MiB, plus the message that crosses it), the message being
  // assembled and Conn's 64 KiB: far less than the client sent.
  assert.ok(held < 3 * 1024 * 1024, `server read ${held} bytes while the application was blocked`);
  assert.ok(held * 2 < sent * MSG, `server read ${held} of ${sent * MSG} bytes`);
  assert.ok(readWhileBlocked <= held + MSG);
  await c.close();
});

test('a client that stops reading: send() waits, and server memory stays bounded', HANG_GUARD, async () => {
  const CHUNK = 64 * 1024;
  const TOTAL = 64 * 1024 * 1024;
  let maxBuffered = 0;
  let blocked!: () => void;
  const isBlocked = new Promise<void>((r) => (blocked = r));
  let sentWhenBlocked = 0;
  apps['/flood'] = async (ws) => {
    const chunk = Buffer.alloc(CHUNK, 0x42);
    for (let sent = 0; sent < TOTAL; sent += CHUNK) {
      const p = ws.send(chunk);
      maxBuffered = Math.max(maxBuffered, ws.bufferedAmount);
      if (ws.bufferedAmount > 0 && sentWhenBlocked === 0) {
        sentWhenBlocked = sent + CHUNK;
        blocked();
      }
      await p;
    }
    await ws.send('end');
    for await (const _ of ws);
  };
  const c = await openClient(h.port, { path: '/flood' });
  const socket = (c.ws as unknown as { _socket: import('node:net').Socket })._socket;
  socket.pause();
  await isBlocked;
  socket.resume();
  let received = 0;
  for (;;) {
    const m = await c.next();
    if (!m.binary) break;
    received += m.data.length;
  }
  assert.equal(received, TOTAL);
  assert.ok(sentWhenBlocked < TOTAL, 'the kernel never pushed back');
  // At most one frame in flight beyond the kernel: 64 KiB + header + the small-frame buffer.
  assert.ok(maxBuffered <= CHUNK + 16 * 1024 + 14, `server buffered ${maxBuffered} bytes`);
  await c.close();
});
