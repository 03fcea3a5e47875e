/**
 * The fragment budget at the default limits (Autobahn 9.3.x, 9.4.x): every
 * frame after a message's first is charged FRAME_OVERHEAD against
 * maxMessageSize, so honest senders of many small fragments pass and a flood
 * of empty fragments is refused with 1009.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEFAULT_MAX_MESSAGE_SIZE, FRAME_OVERHEAD, OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_TEXT } from '../../src/ws/constants.js';
import { websocket } from '../../src/ws/index.js';
import { serve, type Harness } from './harness.js';
import { closeBody, expectFail, frame, rawConnect, readClose, type RawClient } from './raw.js';

/** node:test timeout, only to stop a hung test from blocking the run (ms). */
const HANG_GUARD = { timeout: 60_000 };

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

/**
 * A recognisable 4 MiB payload. Binary: byte i is i mod 251 (a prime, so
 * fragments do not line up with it). Text: 16-byte units holding 2-, 3- and
 * 4-byte characters, so that fragments cut code points apart.
 */
function pattern(opcode: number): Buffer {
  if (opcode === OP_TEXT) return Buffer.from('wefts ä€𝄞 '.repeat(MESSAGE / 16));
  const b = Buffer.allocUnsafe(MESSAGE);
  for (let i = 0; i < MESSAGE; i++) b[i] = i % 251;
  return b;
}

/** Writes `data` and waits until the socket has taken it (backpressure on the test's side). */
function send(c: RawClient, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => c.socket.write(data, (err) => (err ? reject(err) : resolve())));
}

async function closeCleanly(c: RawClient): Promise<void> {
  c.write(frame({ opcode: OP_CLOSE, payload: closeBody(1000) }));
  assert.equal((await readClose(c)).code, 1000);
  assert.equal(await c.readFrame(), null);
  c.socket.end();
  await c.closed;
}

// Autobahn 9.3.1-9.3.3 (text) and 9.4.1-9.4.3 (binary).
for (const [opcode, kind] of [[OP_TEXT, 'text'], [OP_BINARY, 'binary']] as const) {
  for (const size of [64, 256, 1024]) {
    test(`a 4 MiB ${kind} message in ${size} B fragments is echoed intact at the default limits`, HANG_GUARD, async () => {
      const data = pattern(opcode);
      assert.equal(data.length, MESSAGE);
      const frames: Buffer[] = [];
      for (let off = 0; off < MESSAGE; off += size) {
        frames.push(frame({ opcode: off === 0 ? opcode : OP_CONTINUATION, payload: data.subarray(off, off + size), fin: off + size >= MESSAGE }));
      }
      const c = await rawConnect(h.port);
      await send(c, Buffer.concat(frames));
      const echo = await c.readFrame();
      assert.ok(echo !== null);
      assert.equal(echo.opcode, opcode);
      assert.equal(echo.payload.length, MESSAGE);
      assert.ok(echo.payload.equals(data), 'the echo differs from what was sent');
      await closeCleanly(c);
    });
  }
}

/** A masked empty continuation frame (6 bytes), `n` times. */
function emptyFragments(n: number, fin = false): Buffer {
  const one = frame({ opcode: OP_CONTINUATION, payload: '', fin: false });
  const out = Buffer.alloc(one.length * n, one);
  if (fin && n > 0) out[out.length - one.length] = 0x80 | OP_CONTINUATION;
  return out;
}

/** Continuation frames whose charge alone fills the default budget. */
const FILLING = DEFAULT_MAX_MESSAGE_SIZE / FRAME_OVERHEAD;

test('empty fragments charged exactly maxMessageSize are one message; one more is 1009', HANG_GUARD, async () => {
  const c = await rawConnect(h.port);
  await send(c, Buffer.concat([frame({ opcode: OP_BINARY, payload: '', fin: false }), emptyFragments(FILLING, true)]));
  const echo = await c.readFrame();
  assert.deepEqual([echo!.opcode, echo!.payload.length], [OP_BINARY, 0]);
  await closeCleanly(c);
  const d = await rawConnect(h.port);
  d.write([frame({ opcode: OP_BINARY, payload: '', fin: false }), emptyFragments(FILLING + 1, true)]);
  await expectFail(d, 1009);
});

test('a million empty fragments are closed with 1009 at the default limits', HANG_GUARD, async () => {
  const FRAGMENTS = 1_000_000;
  const BATCH = 65_536;
  const batch = emptyFragments(BATCH);
  const c = await rawConnect(h.port);
  const failed = expectFail(c, 1009);
  await send(c, frame({ opcode: OP_BINARY, payload: '', fin: false }));
  // The server reads to our EOF after its close frame, so writing on is safe; stop once it has answered.
  for (let sent = 0; sent < FRAGMENTS && !c.ended(); sent += BATCH) await send(c, batch);
  await failed;
});
