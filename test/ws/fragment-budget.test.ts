/**
 * The fragment budget at the default limits (Autobahn 9.3.x, 9.4.x): every
 * frame after a message's first is charged FRAME_OVERHEAD against
 * maxMessageSize, so honest senders of many small fragments pass and a flood
 * of empty fragments is refused with 1009.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEFAULT_MAX_MESSAGE_SIZE, FRAME_OVERHEAD } from '../../src/ws/constants.js';
import { websocket } from '../../src/ws/index.js';
import { serve, type Harness } from './harness.js';
import { closeBody, expectFail, frame, rawConnect, readClose, type RawClient } from './raw.js';

/** node:test timeout, only to stop a hung test from blocking the run (ms). */
const HANG_GUARD = { timeout: 60_000 };

const BINARY = 0x2;
const CONT = 0x0;
const MESSAGE = 4 * 1024 * 1024;

let h: Harness;

before(async () => {
  // Default limits: the point is what passes and what does not without tuning.
  h = await serve(
    websocket(async (ws) => {
      for await (const msg of ws) await ws.send(msg.data);
    }),
  );
});
after(async () => {
  await h.close();
  assert.deepEqual(h.errors, []);
});

/** A recognisable payload: byte i is i mod 251 (a prime, so fragments do not line up with it). */
function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = i % 251;
  return b;
}

/** Writes `data` and waits until the socket has taken it (backpressure on the test's side). */
function send(c: RawClient, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => c.socket.write(data, (err) => (err ? reject(err) : resolve())));
}

async function closeCleanly(c: RawClient): Promise<void> {
  c.write(frame({ opcode: 0x8, payload: closeBody(1000) }));
  assert.equal((await readClose(c)).code, 1000);
  assert.equal(await c.readFrame(), null);
  c.socket.end();
  await c.closed;
}

for (const size of [64, 256, 1024]) {
  test(`a 4 MiB message in ${size} B fragments is echoed intact at the default limits`, HANG_GUARD, async () => {
    const data = pattern(MESSAGE);
    const frames: Buffer[] = [];
    for (let off = 0; off < MESSAGE; off += size) {
      frames.push(frame({ opcode: off === 0 ? BINARY : CONT, payload: data.subarray(off, off + size), fin: off + size >= MESSAGE }));
    }
    const c = await rawConnect(h.port);
    await send(c, Buffer.concat(frames));
    const echo = await c.readFrame();
    assert.ok(echo !== null);
    assert.equal(echo.opcode, BINARY);
    assert.equal(echo.payload.length, MESSAGE);
    assert.ok(echo.payload.equals(data), 'the echo differs from what was sent');
    await closeCleanly(c);
  });
}

/** A masked empty continuation frame (6 bytes), `n` times. */
function emptyFragments(n: number, fin = false): Buffer {
  const one = frame({ opcode: CONT, payload: '', fin: false });
  const out = Buffer.alloc(one.length * n, one);
  if (fin && n > 0) out[out.length - one.length] = 0x80 | CONT;
  return out;
}

/** Continuation frames whose charge alone fills the default budget. */
const FILLING = DEFAULT_MAX_MESSAGE_SIZE / FRAME_OVERHEAD;

test('empty fragments charged exactly maxMessageSize are one message; one more is 1009', HANG_GUARD, async () => {
  const c = await rawConnect(h.port);
  await send(c, Buffer.concat([frame({ opcode: BINARY, payload: '', fin: false }), emptyFragments(FILLING, true)]));
  const echo = await c.readFrame();
  assert.deepEqual([echo!.opcode, echo!.payload.length], [BINARY, 0]);
  await closeCleanly(c);
  const d = await rawConnect(h.port);
  d.write([frame({ opcode: BINARY, payload: '', fin: false }), emptyFragments(FILLING + 1, true)]);
  await expectFail(d, 1009);
});

test('a million empty fragments are closed with 1009 at the default limits', HANG_GUARD, async () => {
  const FRAGMENTS = 1_000_000;
  const BATCH = 65_536;
  const batch = emptyFragments(BATCH);
  const c = await rawConnect(h.port);
  const failed = expectFail(c, 1009);
  await send(c, frame({ opcode: BINARY, payload: '', fin: false }));
  // The server reads to our EOF after its close frame, so writing on is safe; stop once it has answered.
  for (let sent = 0; sent < FRAGMENTS && !c.ended(); sent += BATCH) await send(c, batch);
  await failed;
});
