/**
 * WebSocket peers that vanish: reset mid-frame, mid-message, mid-close
 * handshake, while the server sends a large message they never read, while
 * permessage-deflate inflates what they sent, and peers that never answer a
 * close. After each, through weft's real HTTP server: the application's loop
 * ends, `ws.closed` settles, nothing is reported as the application's
 * failure, and the server is whole again (no slot, socket, timer, fd or zlib
 * stream left).
 */
import assert from 'node:assert/strict';
import { constants as zc, deflateRawSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { createServer, type Server } from '../../src/http/server.js';
import { MAX_PENDING_PINGS, OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT } from '../../src/ws/constants.js';
import { acceptWebSocket, liveZlibStreams, type CloseInfo, type WSConn } from '../../src/ws/index.js';
import { assertWhole, snapshot, assertWholeAfterAll } from '../leaks.js';
import { closeBody, frame, rawConnect, readClose, type RawClient } from '../ws/raw.js';

/** node:test timeout, only to stop a hung test from blocking the run (ms). */
const HANG_GUARD = { timeout: 60_000 };

/** Short, so that the test of a peer that never answers a close is quick. */
const CLOSE_TIMEOUT = 200;
/** Heartbeat interval for the one test that needs it (ms). */
const HEARTBEAT = 50;

type App = (ws: WSConn) => Promise<void>;
/** One WebSocket as the test sees it: the application's end and the connection's. */
type Session = { ws: WSConn; appEnded: Promise<void>; closed: Promise<CloseInfo> };

const apps: Record<string, App> = {};
const arriving = new Map<string, (s: Session) => void>();
const appErrors: unknown[] = [];
let server: Server;

before(async () => {
  server = createServer(
    (req) =>
      acceptWebSocket(
        req,
        async (ws) => {
          let ended!: () => void;
          const appEnded = new Promise<void>((resolve) => (ended = resolve));
          arriving.get(req.path)?.({ ws, appEnded, closed: ws.closed });
          try {
            await apps[req.path]!(ws);
          } finally {
            ended();
          }
        },
        {
          perMessageDeflate: true,
          closeTimeout: CLOSE_TIMEOUT,
          heartbeatInterval: req.path === '/behind-heartbeat' ? HEARTBEAT : 0,
          onError: (err) => appErrors.push(err),
        },
      ),
    { onError: (err) => appErrors.push(err) },
  );
  await server.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  await server.close();
  assert.deepEqual(appErrors, []);
});

/** Opens a WebSocket on `path` running `app`; resolves with the client and the server's session. */
async function open(path: string, app: App, extra: Record<string, string> = {}): Promise<{ c: RawClient; s: Session }> {
  apps[path] = app;
  const session = new Promise<Session>((resolve) => arriving.set(path, resolve));
  const c = await rawConnect(server.port, extra, { path });
  assert.equal(c.status, 101);
  return { c, s: await session };
}

/** The peer vanishes: TCP reset, no close frame, no FIN. */
function reset(c: RawClient): Promise<void> {
  c.socket.resetAndDestroy();
  return c.closed;
}

/** After the attack: the application returned, the connection closed as `code`, the server is whole. */
async function settled(s: Session, before: ReturnType<typeof snapshot>, code = 1006): Promise<void> {
  const info = await s.closed;
  assert.equal(info.code, code);
  await s.appEnded;
  await assertWhole(server, before);
  assert.equal(liveZlibStreams(), 0, 'zlib streams left open');
}

/** Resolves with the next frame of `opcode` the server sends (others are skipped). */
async function frameOf(c: RawClient, opcode: number): Promise<Buffer> {
  for (;;) {
    const f = await c.readFrame();
    assert.ok(f !== null, `the server ended TCP before a frame with opcode ${opcode}`);
    if (f.opcode === opcode) return f.payload;
  }
}

const echo: App = async (ws) => {
  for await (const msg of ws) await ws.send(msg.data);
};

/** A gate the application waits at, opened by the test. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

test('a peer that resets mid-frame (whole messages)', HANG_GUARD, async () => {
  const before = snapshot();
  const { c, s } = await open('/mid-frame', echo);
  // A ping, answered, then half a frame in the same write: the server has read up to the ping at least.
  c.write(Buffer.concat([frame({ opcode: OP_PING, payload: 'p' }), frame({ opcode: OP_BINARY, payload: Buffer.alloc(10_000) }).subarray(0, 5000)]));
  await frameOf(c, OP_PONG);
  await reset(c);
  await settled(s, before);
});

test('a peer that resets mid-frame while the application streams the message', HANG_GUARD, async () => {
  const before = snapshot();
  let readError: unknown = null;
  const firstPiece = gate();
  const { c, s } = await open('/mid-frame-stream', async (ws) => {
    const msg = await ws.recv();
    try {
      for (let b = await msg!.read(); b.length > 0; b = await msg!.read()) firstPiece.open();
    } catch (err) {
      readError = err;
    }
    assert.equal(await ws.recv(), null);
  });
  c.write(frame({ opcode: OP_BINARY, payload: Buffer.alloc(100_000) }).subarray(0, 30_000));
  await firstPiece.wait; // the application holds part of the frame
  await reset(c);
  await settled(s, before);
  assert.equal((readError as { code?: string }).code, 'WEFT_WS_ABORTED');
});

test('a peer that resets mid-message, between fragments', HANG_GUARD, async () => {
  const before = snapshot();
  const { c, s } = await open('/mid-message', echo);
  c.write([frame({ opcode: OP_TEXT, payload: 'first half, ', fin: false }), frame({ opcode: OP_PING, payload: 'p' })]);
  await frameOf(c, OP_PONG);
  await reset(c);
  await settled(s, before);
});

test('a peer that resets instead of answering the server close', HANG_GUARD, async () => {
  const before = snapshot();
  const { c, s } = await open('/close-reset', async (ws) => {
    await ws.close(4000, 'bye');
  });
  assert.equal((await readClose(c)).code, 4000);
  await reset(c);
  await settled(s, before, 4000);
  assert.equal((await s.closed).wasClean, false);
});

test('a peer that sends a close and resets before reading the answer', HANG_GUARD, async () => {
  const before = snapshot();
  const { c, s } = await open('/close-then-reset', echo);
  c.write(frame({ opcode: OP_CLOSE, payload: closeBody(1000) }));
  await reset(c);
  const info = await s.closed;
  // Whether the close frame was read before the reset is up to the kernel: either way it ends.
  assert.ok(info.code === 1000 || info.code === 1006, `closed with ${info.code}`);
  await s.appEnded;
  await assertWhole(server, before);
});

test('a peer that closes and resets while the application is still answering an earlier message', HANG_GUARD, async () => {
  const before = snapshot();
  const received = gate();
  const answer = gate();
  let sendError: unknown = null;
  const { c, s } = await open('/close-while-answering', async (ws) => {
    for await (const msg of ws) {
      received.open();
      await answer.wait;
      try {
        await ws.send(msg.data);
      } catch (err) {
        sendError = err;
      }
    }
  });
  c.write([frame({ opcode: OP_TEXT, payload: 'question' }), frame({ opcode: OP_CLOSE, payload: closeBody(1000) })]);
  await received.wait;
  await reset(c);
  // The connection ends though the application is behind: nothing waits on it.
  assert.equal((await s.closed).wasClean, false);
  answer.open();
  await s.appEnded;
  assert.equal((sendError as { code?: string }).code, 'WEFT_WS_CLOSED');
  await assertWhole(server, before);
});

test('a peer that resets while the server sends a large message it never reads', HANG_GUARD, async () => {
  const before = snapshot();
  const big = Buffer.alloc(32 * 1024 * 1024, 0x42);
  const sending = gate();
  let sendError: unknown = null;
  const { c, s } = await open('/big-send', async (ws) => {
    for await (const _ of ws) {
      const sent = ws.send(big);
      sending.open();
      try {
        await sent;
      } catch (err) {
        sendError = err;
      }
    }
  });
  c.socket.pause(); // never read
  c.write(frame({ opcode: OP_TEXT, payload: 'send me something big' }));
  await sending.wait;
  await reset(c);
  await settled(s, before);
  assert.equal((sendError as { code?: string }).code, 'WEFT_WS_CLOSED');
});

test('a peer that resets while the server streams a message it never reads: the source is closed', HANG_GUARD, async () => {
  const before = snapshot();
  const started = gate();
  let sourceClosed = false;
  let sendError: unknown = null;
  const { c, s } = await open('/stream-send', async (ws) => {
    try {
      await ws.send({
        type: 'binary',
        read: async () => {
          started.open();
          return Buffer.alloc(64 * 1024, 1); // endless
        },
        close: () => {
          sourceClosed = true;
        },
      });
    } catch (err) {
      sendError = err;
    }
    for await (const _ of ws);
  });
  c.socket.pause();
  await started.wait;
  await reset(c);
  await settled(s, before);
  assert.equal(sourceClosed, true);
  assert.equal((sendError as { code?: string }).code, 'WEFT_WS_CLOSED');
});

test('a peer that resets while the server streams from a source waiting for data: the connection closes the source', HANG_GUARD, async () => {
  const before = snapshot();
  const waiting = gate();
  let wake: ((b: Buffer) => void) | null = null;
  let sendError: unknown = null;
  const { c, s } = await open('/idle-source', async (ws) => {
    let first = true;
    try {
      await ws.send({
        type: 'text',
        read: () => {
          if (first) {
            first = false;
            return Promise.resolve(Buffer.from('the first piece'));
          }
          waiting.open();
          return new Promise<Buffer>((resolve) => (wake = resolve)); // data that never comes
        },
        // Like a queue that is closed: the pending read ends.
        close: () => wake?.(Buffer.alloc(0)),
      });
    } catch (err) {
      sendError = err;
    }
    for await (const _ of ws);
  });
  await waiting.wait;
  await reset(c);
  await settled(s, before);
  assert.equal((sendError as { code?: string }).code, 'WEFT_WS_CLOSED');
});

test('a peer that never answers pings: only the latest MAX_PENDING_PINGS wait, older ones reject', HANG_GUARD, async () => {
  const before = snapshot();
  const outcomes: string[] = [];
  const { c, s } = await open('/unanswered-pings', async (ws) => {
    const pings = Array.from({ length: MAX_PENDING_PINGS + 4 }, (_, i) =>
      ws.ping(`p${i}`).then(
        () => outcomes.push(`${i} answered`),
        (err: { code?: string }) => outcomes.push(`${i} ${err.code}`),
      ),
    );
    await Promise.all(pings);
    for await (const _ of ws);
  });
  let last = '';
  for (let i = 0; i < MAX_PENDING_PINGS + 4; i++) last = (await frameOf(c, OP_PING)).toString();
  // One pong for the latest answers every ping still waiting (RFC 6455 §5.5.3).
  c.write(frame({ opcode: OP_PONG, payload: last }));
  c.write(frame({ opcode: OP_CLOSE, payload: closeBody(1000) }));
  assert.equal((await readClose(c)).code, 1000);
  await settled(s, before, 1000);
  const expected = Array.from({ length: MAX_PENDING_PINGS + 4 }, (_, i) => (i < 4 ? `${i} WEFT_WS_HEARTBEAT` : `${i} answered`));
  assert.deepEqual(outcomes, expected);
});

/** A compressed frame (RFC 7692): deflate with a sync flush, minus the 00 00 ff ff trailer. */
function compressed(opcode: number, data: Buffer): Buffer {
  const z = deflateRawSync(data, { finishFlush: zc.Z_SYNC_FLUSH });
  return frame({ opcode, payload: z.subarray(0, z.length - 4), rsv: 4 });
}

test('a peer that resets while the server inflates its message for an application that is behind', HANG_GUARD, async () => {
  const before = snapshot();
  const firstPiece = gate();
  const resume = gate();
  let readError: unknown = null;
  const { c, s } = await open(
    '/inflating',
    async (ws) => {
      const msg = await ws.recv();
      try {
        await msg!.read();
        firstPiece.open();
        await resume.wait; // behind: the inflater pauses on the full stream buffer
        for (let b = await msg!.read(); b.length > 0; b = await msg!.read());
      } catch (err) {
        readError = err;
      }
      assert.equal(await ws.recv(), null);
    },
    { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
  );
  assert.equal(c.headers['sec-websocket-extensions'], 'permessage-deflate');
  c.write(compressed(OP_BINARY, Buffer.alloc(8 * 1024 * 1024, 0x61)));
  await firstPiece.wait;
  await reset(c);
  // The connection ends and its zlib stream is released while the application still waits.
  assert.equal((await s.closed).code, 1006);
  resume.open();
  await settled(s, before);
  assert.equal((readError as { code?: string }).code, 'WEFT_WS_ABORTED');
});

test('a peer that resets while whole messages wait for an application that is behind', HANG_GUARD, async () => {
  const before = snapshot();
  const resume = gate();
  const taken: number[] = [];
  const { c, s } = await open('/behind', async (ws) => {
    await resume.wait;
    for await (const msg of ws) taken.push(msg.data.length);
  });
  // More than the receive buffer holds: the server stops reading, the rest stays in TCP.
  c.write(Buffer.concat(Array.from({ length: 64 }, () => frame({ opcode: OP_BINARY, payload: Buffer.alloc(64 * 1024) }))));
  await reset(c);
  // A paused socket cannot see the reset: the application, once it reads again, finds the end.
  resume.open();
  await settled(s, before);
  assert.ok(taken.every((n) => n === 64 * 1024));
});

test('a heartbeat notices a peer that vanished while the application is behind', HANG_GUARD, async () => {
  const before = snapshot();
  const { c, s } = await open('/behind-heartbeat', async (ws) => {
    await ws.closed; // never reads: the receiver waits, the socket is not read
  });
  c.write(frame({ opcode: OP_TEXT, payload: 'unread' }));
  await frameOf(c, OP_PING); // the heartbeat runs
  await reset(c);
  // The next ping's write fails on the reset socket: the connection ends though nothing reads it.
  await settled(s, before);
});

test('a peer that never answers a close is dropped after closeTimeout', HANG_GUARD, async () => {
  const before = snapshot();
  const { c, s } = await open('/never-answers', async (ws) => {
    await ws.close(1000);
  });
  assert.equal((await readClose(c)).code, 1000);
  // Neither a close frame nor FIN from us: the server ends it by itself.
  await c.closed;
  await settled(s, before, 1000);
  assert.equal((await s.closed).wasClean, false);
});

test('a peer that sends a protocol error and keeps its side of TCP open is dropped after closeTimeout', HANG_GUARD, async () => {
  const before = snapshot();
  const { c, s } = await open('/never-answers-failure', echo);
  c.socket.allowHalfOpen = true; // no automatic FIN when the server ends its side
  c.write([frame({ opcode: OP_TEXT, payload: 'fine' }), frame({ opcode: OP_CONTINUATION, payload: 'orphan' })]);
  assert.equal((await frameOf(c, OP_TEXT)).toString(), 'fine');
  assert.equal((await readClose(c)).code, 1002);
  assert.equal(await c.readFrame(), null); // the server's FIN; ours never comes
  const info = await s.closed;
  assert.deepEqual(info, { code: 1002, reason: '', wasClean: false });
  await s.appEnded;
  c.socket.destroy();
  await assertWhole(server, before);
});

// Last, so that it runs after the shared server's own after() hook.
assertWholeAfterAll();
