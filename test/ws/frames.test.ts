/**
 * Every framing rule of RFC 6455 §5 checked with hand-built frames over a
 * raw socket: the exact close code the server sends, and that it then closes
 * TCP. The server is weft's WebSocket echoing whole messages.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FRAME_OVERHEAD } from '../../src/ws/constants.js';
import { websocket, type CloseInfo, type WSConn } from '../../src/ws/index.js';
import { serve, type Harness } from './harness.js';
import { closeBody, expectFail, frame, rawConnect, readClose, type RawClient } from './raw.js';

/** node:test timeout, only to stop a hung test from blocking the run (ms). */
const HANG_GUARD = { timeout: 60_000 };

const TEXT = 0x1;
const BINARY = 0x2;
const CONT = 0x0;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

let h: Harness;
const closes: CloseInfo[] = [];
const MAX_MESSAGE = 1000;
const MAX_FRAMES = 10;

before(async () => {
  h = await serve(
    websocket(
      async (ws: WSConn) => {
        void ws.closed.then((info) => closes.push(info));
        for await (const msg of ws) await ws.send(msg.data);
      },
      { maxMessageSize: MAX_MESSAGE, maxFramesPerMessage: MAX_FRAMES, closeTimeout: 2000 },
    ),
  );
});
after(async () => {
  await h.close();
  assert.deepEqual(h.errors, []);
});

const open = (): Promise<RawClient> => rawConnect(h.port);

/** Sends frames and expects the server to fail the connection with `code`. */
async function violation(code: number, ...frames: Buffer[]): Promise<void> {
  const c = await open();
  assert.equal(c.status, 101);
  c.write(frames);
  await expectFail(c, code);
}

async function echoOf(c: RawClient): Promise<{ opcode: number; payload: Buffer }> {
  const f = await c.readFrame();
  assert.ok(f !== null);
  assert.equal(f.masked, false);
  assert.equal(f.fin, true);
  return f;
}

/** Closes cleanly from the client side and checks the server's echo and TCP close. */
async function closeCleanly(c: RawClient, code = 1000): Promise<void> {
  c.write(frame({ opcode: CLOSE, payload: closeBody(code) }));
  const got = await readClose(c);
  assert.equal(got.code, code);
  assert.equal(await c.readFrame(), null); // server ended TCP
  c.socket.end();
  await c.closed;
}

test('a text, a binary and an empty message are echoed', HANG_GUARD, async () => {
  const c = await open();
  assert.equal(c.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  c.write(frame({ opcode: TEXT, payload: 'héllo' }));
  let f = await echoOf(c);
  assert.deepEqual([f.opcode, f.payload.toString()], [TEXT, 'héllo']);
  c.write(frame({ opcode: BINARY, payload: Buffer.from([0, 1, 2, 255]) }));
  f = await echoOf(c);
  assert.deepEqual([f.opcode, [...f.payload]], [BINARY, [0, 1, 2, 255]]);
  c.write(frame({ opcode: TEXT, payload: '' }));
  f = await echoOf(c);
  assert.deepEqual([f.opcode, f.payload.length], [TEXT, 0]);
  await closeCleanly(c);
});

test('16-bit and 64-bit lengths at their boundaries', HANG_GUARD, async () => {
  const c = await open();
  for (const n of [125, 126, 999]) {
    c.write(frame({ opcode: BINARY, payload: Buffer.alloc(n, 7) }));
    const f = await echoOf(c);
    assert.equal(f.payload.length, n);
  }
  await closeCleanly(c);
});

test('a fragmented message is reassembled, with control frames between fragments', HANG_GUARD, async () => {
  const c = await open();
  c.write([
    frame({ opcode: TEXT, payload: 'one ', fin: false }),
    frame({ opcode: PING, payload: 'p1' }),
    frame({ opcode: CONT, payload: 'two ', fin: false }),
    frame({ opcode: CONT, payload: '', fin: false }),
    frame({ opcode: PONG, payload: 'unsolicited' }),
    frame({ opcode: CONT, payload: 'three' }),
  ]);
  const pong = await c.readFrame();
  assert.deepEqual([pong!.opcode, pong!.payload.toString()], [PONG, 'p1']);
  const f = await echoOf(c);
  assert.deepEqual([f.opcode, f.payload.toString()], [TEXT, 'one two three']);
  await closeCleanly(c);
});

test('frames split at every byte boundary still parse', HANG_GUARD, async () => {
  const c = await open();
  const bytes = Buffer.concat([
    frame({ opcode: TEXT, payload: 'ab€', fin: false }),
    frame({ opcode: PING, payload: 'x' }),
    frame({ opcode: CONT, payload: Buffer.from('€cd') }),
    frame({ opcode: BINARY, payload: Buffer.alloc(300, 1) }),
  ]);
  c.socket.setNoDelay(true);
  for (let i = 0; i < bytes.length; i++) {
    c.socket.write(bytes.subarray(i, i + 1));
    // Wait for each byte to leave, so the server sees many small reads.
    if (i % 7 === 0) await new Promise<void>((r) => c.socket.write(Buffer.alloc(0), () => r()));
  }
  const pong = await c.readFrame();
  assert.equal(pong!.opcode, PONG);
  assert.equal((await echoOf(c)).payload.toString(), 'ab€€cd');
  assert.equal((await echoOf(c)).payload.length, 300);
  await closeCleanly(c);
});

test('a ping is answered with a pong carrying the same payload', HANG_GUARD, async () => {
  const c = await open();
  const payload = Buffer.alloc(125, 0x5a);
  c.write(frame({ opcode: PING, payload }));
  const f = await c.readFrame();
  assert.equal(f!.opcode, PONG);
  assert.deepEqual(f!.payload, payload);
  await closeCleanly(c);
});

test('unmasked client frame → 1002', HANG_GUARD, () => violation(1002, frame({ opcode: TEXT, payload: 'x', mask: false })));
test('RSV1 without a negotiated extension → 1002', HANG_GUARD, () => violation(1002, frame({ opcode: TEXT, payload: 'x', rsv: 4 })));
test('RSV2 → 1002', HANG_GUARD, () => violation(1002, frame({ opcode: TEXT, payload: 'x', rsv: 2 })));
test('RSV3 → 1002', HANG_GUARD, () => violation(1002, frame({ opcode: BINARY, payload: 'x', rsv: 1 })));
for (const op of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
  test(`unknown opcode ${op} → 1002`, HANG_GUARD, () => violation(1002, frame({ opcode: op, payload: 'x' })));
}
test('control frame with 126 bytes → 1002', HANG_GUARD, () => violation(1002, frame({ opcode: PING, payload: Buffer.alloc(126) })));
test('fragmented control frame → 1002', HANG_GUARD, () => violation(1002, frame({ opcode: PING, payload: 'x', fin: false })));
test('continuation without a message → 1002', HANG_GUARD, () => violation(1002, frame({ opcode: CONT, payload: 'x' })));
test('new data frame inside a fragmented message → 1002', HANG_GUARD, () =>
  violation(1002, frame({ opcode: TEXT, payload: 'a', fin: false }), frame({ opcode: BINARY, payload: 'b' })));
test('non-minimal 16-bit length → 1002', HANG_GUARD, () => violation(1002, frame({ opcode: BINARY, payload: 'short', lengthBits: 16 })));
test('non-minimal 64-bit length → 1002', HANG_GUARD, () => violation(1002, frame({ opcode: BINARY, payload: Buffer.alloc(200), lengthBits: 64 })));
test('64-bit length with the top bit set → 1002', HANG_GUARD, async () => {
  const c = await open();
  // Header only: the violation must be caught before any payload.
  c.write(frame({ opcode: BINARY, high: 0x80000000 }).subarray(0, 14));
  await expectFail(c, 1002);
});
test('64-bit length beyond 2^53 → 1009', HANG_GUARD, async () => {
  const c = await open();
  c.write(frame({ opcode: BINARY, high: 0x00200000 }).subarray(0, 14));
  await expectFail(c, 1009);
});
test('a violation in the first two header bytes fails before the rest arrives', HANG_GUARD, async () => {
  const c = await open();
  c.write(frame({ opcode: TEXT, payload: Buffer.alloc(70000), mask: false }).subarray(0, 2));
  await expectFail(c, 1002);
});

test('invalid UTF-8 in a text frame → 1007', HANG_GUARD, () => violation(1007, frame({ opcode: TEXT, payload: Buffer.from([0x61, 0xff, 0x62]) })));
test('overlong encoding → 1007', HANG_GUARD, () => violation(1007, frame({ opcode: TEXT, payload: Buffer.from([0xc0, 0xaf]) })));
test('UTF-16 surrogate encoded in UTF-8 → 1007', HANG_GUARD, () => violation(1007, frame({ opcode: TEXT, payload: Buffer.from([0xed, 0xa0, 0x80]) })));
test('code point above U+10FFFF → 1007', HANG_GUARD, () => violation(1007, frame({ opcode: TEXT, payload: Buffer.from([0xf4, 0x90, 0x80, 0x80]) })));
test('text ending inside a UTF-8 sequence → 1007', HANG_GUARD, () =>
  violation(1007, frame({ opcode: TEXT, payload: Buffer.from([0x61, 0xe2, 0x82]), fin: false }), frame({ opcode: CONT, payload: '' })));
test('invalid UTF-8 fails fast: before the message (or even the frame) is complete', HANG_GUARD, async () => {
  const c = await open();
  // First fragment holds the invalid byte; the message never ends.
  c.write(frame({ opcode: TEXT, payload: Buffer.from('ok \xff', 'latin1'), fin: false }));
  await expectFail(c, 1007);
  const d = await open();
  // A long frame of which only the first bytes (already invalid) are sent.
  const big = frame({ opcode: TEXT, payload: Buffer.concat([Buffer.from([0xc3, 0x28]), Buffer.alloc(900, 0x61)]) });
  d.write(big.subarray(0, 8 + 10));
  await expectFail(d, 1007);
});
test('a code point split between fragments is valid', HANG_GUARD, async () => {
  const c = await open();
  const euro = Buffer.from('€'); // e2 82 ac
  c.write([frame({ opcode: TEXT, payload: euro.subarray(0, 1), fin: false }), frame({ opcode: CONT, payload: euro.subarray(1) })]);
  assert.equal((await echoOf(c)).payload.toString(), '€');
  await closeCleanly(c);
});

test('close frame with a 1-byte payload → 1002', HANG_GUARD, () => violation(1002, frame({ opcode: CLOSE, payload: Buffer.from([0x03]) })));
for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]) {
  test(`close code ${code} → 1002`, HANG_GUARD, () => violation(1002, frame({ opcode: CLOSE, payload: closeBody(code) })));
}
test('close reason that is not UTF-8 → 1007', HANG_GUARD, () =>
  violation(1007, frame({ opcode: CLOSE, payload: Buffer.concat([closeBody(1000), Buffer.from([0xff])]) })));
for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]) {
  test(`close code ${code} is valid and echoed`, HANG_GUARD, async () => {
    const c = await open();
    await closeCleanly(c, code);
  });
}
test('an empty close frame is answered with an empty close frame', HANG_GUARD, async () => {
  const c = await open();
  c.write(frame({ opcode: CLOSE }));
  const got = await readClose(c);
  assert.equal(got.code, 0);
  assert.equal(await c.readFrame(), null);
  c.socket.end();
  await c.closed;
});

test('message over maxMessageSize → 1009, from the header alone', HANG_GUARD, async () => {
  const c = await open();
  c.write(frame({ opcode: BINARY, payload: Buffer.alloc(MAX_MESSAGE + 1) }).subarray(0, 8));
  await expectFail(c, 1009);
});
test('fragmented message over maxMessageSize → 1009', HANG_GUARD, () =>
  violation(
    1009,
    frame({ opcode: BINARY, payload: Buffer.alloc(600), fin: false }),
    frame({ opcode: CONT, payload: Buffer.alloc(600) }),
  ));
test('more frames than maxFramesPerMessage (a hard cap when set) → 1009, even within the size budget', HANG_GUARD, () =>
  violation(1009, ...Array.from({ length: MAX_FRAMES + 1 }, () => frame({ opcode: CONT, payload: '', fin: false })).map((f, i) =>
    i === 0 ? frame({ opcode: TEXT, payload: '', fin: false }) : f,
  )));

/** A message of `frames` frames whose payload plus per-fragment charge is `charged` bytes (all payload in the first). */
function budgeted(frames: number, charged: number): Buffer[] {
  const payload = charged - (frames - 1) * FRAME_OVERHEAD;
  return Array.from({ length: frames }, (_, i) =>
    frame({ opcode: i === 0 ? BINARY : CONT, payload: Buffer.alloc(i === 0 ? payload : 0, 1), fin: i === frames - 1 }),
  );
}
test('a message whose payload plus fragment charge is exactly maxMessageSize is delivered', HANG_GUARD, async () => {
  const c = await open();
  c.write(budgeted(MAX_FRAMES, MAX_MESSAGE));
  assert.equal((await echoOf(c)).payload.length, MAX_MESSAGE - (MAX_FRAMES - 1) * FRAME_OVERHEAD);
  await closeCleanly(c);
});
test('one byte over maxMessageSize once fragments are charged → 1009', HANG_GUARD, () => violation(1009, ...budgeted(MAX_FRAMES, MAX_MESSAGE + 1)));
test('a single frame of exactly maxMessageSize carries no fragment charge', HANG_GUARD, async () => {
  const c = await open();
  c.write(frame({ opcode: BINARY, payload: Buffer.alloc(MAX_MESSAGE, 2) }));
  assert.equal((await echoOf(c)).payload.length, MAX_MESSAGE);
  await closeCleanly(c);
});

test('data after the peer closes TCP without a close frame: reported as 1006', HANG_GUARD, async () => {
  await h.idle();
  const before = closes.length;
  const c = await open();
  c.write(frame({ opcode: TEXT, payload: 'hi' }));
  await echoOf(c);
  c.socket.end();
  assert.equal(await c.readFrame(), null);
  await c.closed;
  await h.idle();
  assert.equal(closes.length, before + 1);
  assert.deepEqual(closes.at(-1), { code: 1006, reason: '', wasClean: false });
});

test('a clean close is reported with the peer code and reason', HANG_GUARD, async () => {
  await h.idle();
  const before = closes.length;
  const c = await open();
  c.write(frame({ opcode: CLOSE, payload: closeBody(4001, 'done here') }));
  const got = await readClose(c);
  assert.equal(got.code, 4001);
  c.socket.end();
  await c.closed;
  await h.idle();
  assert.equal(closes.length, before + 1);
  assert.deepEqual(closes.at(-1), { code: 4001, reason: 'done here', wasClean: true });
});
