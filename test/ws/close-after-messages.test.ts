/**
 * Messages that were complete before the peer's close frame or a protocol
 * error are delivered, and the application's replies sent, before the
 * server's close frame (Autobahn 3.2-3.4, 4.1.3-4.1.5, 4.2.3-4.2.5, 5.15,
 * 7.1.6) — however the bytes are split, while invalid UTF-8 still fails at
 * the first bad fragment (6.4.x).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_TEXT } from '../../src/ws/constants.js';
import { acceptWebSocket, type CloseInfo, type WSConn } from '../../src/ws/index.js';
import { serve, type Harness } from './harness.js';
import { closeBody, frame, rawConnect, type RawClient } from './raw.js';

/** node:test timeout, only to stop a hung test from blocking the run (ms). */
const HANG_GUARD = { timeout: 120_000 };


type App = (ws: WSConn) => Promise<void>;

/** Echoes after an await: replies that follow asynchronous work go out before the close too. */
const echo: App = async (ws) => {
  for await (const msg of ws) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await ws.send(msg.data);
  }
};

/** Replies without waiting for them: they still leave before the close frame. */
const echoUnawaited: App = async (ws) => {
  for await (const msg of ws) void ws.send(msg.data).catch(() => {});
};

/** Closes with its own code after answering: once the connection has failed, the error's code goes out instead. */
const echoThenClose: App = async (ws) => {
  for await (const msg of ws) {
    await ws.send(msg.data);
    await ws.close(4000, 'my own reason');
  }
};

/** The same in stream mode: each message read to its end, then echoed whole. */
const streamEcho: App = async (ws) => {
  for (let msg = await ws.recv(); msg !== null; msg = await ws.recv()) {
    const parts: Buffer[] = [];
    for (let b = await msg.read(); b.length > 0; b = await msg.read()) parts.push(b);
    const data = Buffer.concat(parts);
    await ws.send(msg.type === 'text' ? data.toString() : data);
  }
};

/** Takes one message and never asks for another. */
const takesOne: App = async (ws) => {
  await ws.receive();
  await ws.closed;
};

const apps: Record<string, App> = {
  '/echo': echo,
  '/echo-unawaited': echoUnawaited,
  '/stream': streamEcho,
  '/echo-then-close': echoThenClose,
  '/takes-one': takesOne,
};
const closes: CloseInfo[] = [];
const appErrors: unknown[] = [];
let h: Harness;

before(async () => {
  h = await serve((req) =>
    acceptWebSocket(
      req,
      async (ws) => {
        void ws.closed.then((info) => closes.push(info));
        await apps[req.path]!(ws);
      },
      // Long enough that no outcome here depends on it, except where a test says so.
      { closeTimeout: req.path === '/takes-one' ? 100 : 30_000, onError: (err) => appErrors.push(err) },
    ),
  );
});
after(async () => {
  await h.close();
  assert.deepEqual(h.errors, []);
  // The peer's violations reach a streaming application as rejected reads: not its failures.
  assert.deepEqual(appErrors, []);
});

const text = (s: string | Buffer, fin = true): Buffer => frame({ opcode: OP_TEXT, payload: s, fin });
const cont = (s: string | Buffer, fin = true): Buffer => frame({ opcode: OP_CONTINUATION, payload: s, fin });
const ping = frame({ opcode: OP_PING, payload: 'ping' });
const BIG = Buffer.alloc(256 * 1024, 0x61);

type Case = { name: string; bytes: Buffer; outcome: string[] };

/** How a case's outcome is written: each data frame received, then the close code. */
const said = (s: string | Buffer): string => {
  const b = Buffer.from(s);
  return b.length <= 32 ? `${b.toString()}` : `${b.length} B ${createHash('sha1').update(b).digest('hex').slice(0, 12)}`;
};

const CASES: Case[] = [
  { name: '3.2: a text then a frame with RSV2', bytes: Buffer.concat([text('Hello, world!'), frame({ opcode: OP_TEXT, payload: 'Hello, world!', rsv: 2 }), ping]), outcome: ['Hello, world!', 'close 1002'] },
  { name: '3.3: a text then a frame with RSV2 and RSV3', bytes: Buffer.concat([text('Hello, world!'), frame({ opcode: OP_TEXT, payload: 'x', rsv: 3 }), ping]), outcome: ['Hello, world!', 'close 1002'] },
  { name: '3.4: a text then a frame with RSV1 (no extension)', bytes: Buffer.concat([text('Hello, world!'), frame({ opcode: OP_TEXT, payload: 'x', rsv: 4 }), ping]), outcome: ['Hello, world!', 'close 1002'] },
  ...[5, 6, 7, 0xb, 0xc, 0xd].map((op) => ({
    name: `4.${op < 8 ? 1 : 2}.x: a text then reserved opcode ${op}`,
    bytes: Buffer.concat([text('Hello, world!'), frame({ opcode: op, payload: 'reserved' }), ping]),
    outcome: ['Hello, world!', 'close 1002'],
  })),
  {
    name: '5.15: a fragmented text, then a continuation without a message',
    bytes: Buffer.concat([text('fragment1', false), cont('fragment2'), cont('fragment3', false), text('fragment4')]),
    outcome: ['fragment1fragment2', 'close 1002'],
  },
  {
    name: 'a text, then a new message inside a fragmented one: only the complete one is echoed',
    bytes: Buffer.concat([text('whole'), text('part', false), text('intruder')]),
    outcome: ['whole', 'close 1002'],
  },
  {
    name: '6.4.x: a text, then invalid UTF-8 in the first fragment of the next (never finished)',
    bytes: Buffer.concat([text('fine'), text(Buffer.from([0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xf4, 0x90, 0x80, 0x80]), false)]),
    outcome: ['fine', 'close 1007'],
  },
  {
    name: 'a text, then a fragmented one cut off by a close frame: the unfinished one is not delivered as if whole',
    bytes: Buffer.concat([text('whole'), text('cut', false), cont(' off', false), frame({ opcode: OP_CLOSE, payload: closeBody(1000) })]),
    outcome: ['whole', 'close 1000'],
  },
  {
    name: '7.1.6: a 256 KiB message, a small one and a close',
    bytes: Buffer.concat([text(BIG), text('small'), frame({ opcode: OP_CLOSE, payload: closeBody(1000) }), ping]),
    outcome: [said(BIG), 'small', 'close 1000'],
  },
];

/** Reads every frame until the server's close and TCP end: the outcome, as CASES write it. */
async function outcomeOf(c: RawClient): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const f = await c.readFrame();
    assert.ok(f !== null, `server ended TCP without a close frame after ${JSON.stringify(out)}`);
    assert.equal(f.masked, false);
    if (f.opcode === OP_CLOSE) {
      out.push(`close ${f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 0}`);
      break;
    }
    assert.ok(f.opcode === OP_TEXT || f.opcode === OP_BINARY, `unexpected opcode ${f.opcode}`);
    out.push(said(f.payload));
  }
  // Then the server ends TCP by itself (it sent or answered the close).
  assert.equal(await c.readFrame(), null);
  c.socket.end();
  await c.closed;
  return out;
}

/** Writes `bytes` cut at `cuts`, each piece handed to the OS before the next, so the server sees many reads. */
async function writeSplit(c: RawClient, bytes: Buffer, cuts: number[]): Promise<void> {
  c.socket.setNoDelay(true);
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    if (at <= from) continue;
    await new Promise<void>((resolve) => c.socket.write(bytes.subarray(from, at), () => resolve()));
    from = at;
  }
}

const MODES: Record<string, string> = { '/echo': 'whole messages', '/echo-unawaited': 'replies not awaited', '/stream': 'streamed messages' };
for (const [path, mode] of Object.entries(MODES)) {
  for (const k of CASES) {
    test(`${k.name} in one write → ${k.outcome.join(', ')} (${mode})`, HANG_GUARD, async () => {
      const c = await rawConnect(h.port, {}, { path });
      c.write(k.bytes);
      assert.deepEqual(await outcomeOf(c), k.outcome);
    });
  }
}

test('the same bytes byte by byte give the same outcome', HANG_GUARD, async () => {
  for (const k of CASES) {
    // The 256 KiB case a byte at a time would be 262,144 writes: 1 KiB pieces stand in for it.
    const step = k.bytes.length > 4096 ? 1024 : 1;
    const cuts = Array.from({ length: Math.ceil(k.bytes.length / step) }, (_, i) => i * step);
    const c = await rawConnect(h.port, {}, { path: '/echo' });
    const outcome = outcomeOf(c);
    await writeSplit(c, k.bytes, cuts);
    assert.deepEqual(await outcome, k.outcome, k.name);
  }
});

test('the same bytes in random splits give the same outcome, in both receive modes', HANG_GUARD, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: CASES.length - 1 }),
      fc.constantFrom('/echo', '/stream'),
      fc.uniqueArray(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
      async (i, path, fractions) => {
        const k = CASES[i]!;
        const cuts = fractions.map((f) => Math.floor(f * k.bytes.length)).sort((a, b) => a - b);
        const c = await rawConnect(h.port, {}, { path });
        const outcome = outcomeOf(c);
        await writeSplit(c, k.bytes, cuts);
        assert.deepEqual(await outcome, k.outcome, k.name);
      },
    ),
    { numRuns: 60 },
  );
});

test('an application that closes with its own code while the connection is failing: the error code goes out', HANG_GUARD, async () => {
  const c = await rawConnect(h.port, {}, { path: '/echo-then-close' });
  c.write([text('Hello'), frame({ opcode: OP_TEXT, payload: 'x', rsv: 2 })]);
  assert.deepEqual(await outcomeOf(c), ['Hello', 'close 1002']);
  const d = await rawConnect(h.port, {}, { path: '/echo-then-close' });
  d.write([text('Hello'), frame({ opcode: OP_CLOSE, payload: closeBody(4001) })]);
  assert.deepEqual(await outcomeOf(d), ['Hello', 'close 4001']); // the peer's code, echoed
});

test('the server reports the peer close after the messages before it as clean', HANG_GUARD, async () => {
  await h.idle();
  const before = closes.length;
  const c = await rawConnect(h.port, {}, { path: '/echo' });
  c.write(CASES.at(-1)!.bytes);
  await outcomeOf(c);
  await h.idle();
  assert.deepEqual(closes.slice(before), [{ code: 1000, reason: '', wasClean: true }]);
});

test('an application that never asks for the next message: the close frame still goes out, after closeTimeout', HANG_GUARD, async () => {
  await h.idle();
  const before = closes.length;
  const c = await rawConnect(h.port, {}, { path: '/takes-one' });
  c.write([text('one'), text('two'), frame({ opcode: OP_TEXT, payload: 'bad', rsv: 2 })]);
  const f = await c.readFrame();
  assert.deepEqual([f!.opcode, f!.payload.readUInt16BE(0)], [OP_CLOSE, 1002]);
  await c.closed; // and the server dropped the connection
  await h.idle();
  assert.deepEqual(closes.slice(before), [{ code: 1002, reason: '', wasClean: false }]);
});
