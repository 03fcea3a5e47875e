/**
 * Graceful shutdown under keep-alive load: a request whose head has arrived
 * is answered (with `Connection: close`), a busy client's next request,
 * already on its way, too; idle connections close at once; the deadline
 * cuts only what still runs, and `force` cuts it now.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { bodyFromBuffer, bodyFromGenerator } from '../../src/http/body.js';
import type { ResponseInfo } from '../../src/http/connection.js';
import { connect, readToEnd, startServer } from '../http/support.js';
import { assertWhole, assertWholeAfterAll, snapshot } from '../leaks.js';

/**
 * A keep-alive client sending GETs back to back: the next as soon as a
 * response is complete, until one says `Connection: close` or the
 * connection ends. Counts requests written and responses received.
 */
type Tally = { written: number; answered: number; lastClose: boolean };

async function busyClient(port: number): Promise<{ firstAnswer: Promise<void>; done: Promise<Tally> }> {
  const s: Socket = await connect(port);
  let answeredOnce!: () => void;
  const firstAnswer = new Promise<void>((r) => (answeredOnce = r));
  const done = new Promise<Tally>((resolve) => {
        let written = 0;
        let answered = 0;
        let lastClose = false;
        let buf = '';
        const send = (): void => {
          written++;
          s.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
        };
        s.on('data', (d: Buffer) => {
          buf += d.toString('latin1');
          for (;;) {
            const end = buf.indexOf('\r\n\r\n');
            if (end < 0) return;
            const head = buf.slice(0, end);
            const length = Number(/\r\nContent-Length: (\d+)/i.exec(head)![1]);
            if (buf.length < end + 4 + length) return;
            buf = buf.slice(end + 4 + length);
            answered++;
            answeredOnce();
            lastClose = /\r\nConnection: close/i.test(head);
            if (lastClose) return;
            send();
          }
        });
        s.on('error', () => {});
        s.on('close', () => resolve({ written, answered, lastClose }));
        send();
  });
  return { firstAnswer, done };
}

test('SIGTERM-style close under keep-alive load loses no request', async () => {
  const body = Buffer.from('ok\n');
  const server = await startServer(() => ({ code: 200, body: bodyFromBuffer(body) }), { shutdownIdleGrace: 2000 });
  const before = snapshot();
  try {
    const clients = await Promise.all(Array.from({ length: 20 }, () => busyClient(server.port)));
    await Promise.all(clients.map((c) => c.firstAnswer)); // every client is under way
    await server.close();
    const results = await Promise.all(clients.map((c) => c.done));
    for (const r of results) {
      assert.equal(r.answered, r.written, 'every request written was answered');
      assert.ok(r.lastClose, 'the last response announced the close');
    }
    assert.ok(results.reduce((n, r) => n + r.answered, 0) > 20);
    await assertWhole(server, before);
  } finally {
    await server.close();
  }
});

test('an idle connection closes at once at shutdown; one with a request in progress is answered', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const server = await startServer(async (req) => {
    if (req.path === '/slow') await gate;
    return { code: 200, body: bodyFromBuffer('done\n') };
  });
  try {
    const idle = await connect(server.port);
    const idleEnded = readToEnd(idle);
    const busy = await connect(server.port);
    const busyEnded = readToEnd(busy);
    busy.write('GET /slow HTTP/1.1\r\nHost: a\r\n\r\n');
    while (server.busy !== 1) await new Promise((r) => setTimeout(r, 5));
    const closing = server.close({ timeout: 10_000 });
    assert.equal((await idleEnded).length, 0, 'the idle connection is closed, nothing sent');
    assert.equal(server.busy, 1);
    release();
    await closing;
    const text = (await busyEnded).toString('latin1');
    assert.match(text, /^HTTP\/1\.1 200 [\s\S]*Connection: close\r\n[\s\S]*done\n$/);
  } finally {
    await server.close();
  }
});

test('close({ force: true }) cuts what still runs now, and the cut response is logged as aborted', async () => {
  const logged: ResponseInfo[] = [];
  let started!: () => void;
  const inFlight = new Promise<void>((r) => (started = r));
  const server = await startServer(
    () => {
      started();
      return {
        code: 200,
        body: bodyFromGenerator((async function* () {
          yield 'part1 ';
          await new Promise(() => {}); // never produces the rest
        })()),
      };
    },
    { onResponse: (info) => logged.push(info) },
  );
  const before = snapshot();
  const s = await connect(server.port);
  const all = readToEnd(s).catch(() => Buffer.alloc(0));
  s.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await inFlight;
  const closing = server.close({ timeout: 60_000 });
  await new Promise((r) => setImmediate(r));
  await server.close({ force: true });
  await closing;
  await all;
  assert.equal(logged.length, 1);
  assert.equal(logged[0]!.aborted, true);
  assert.equal(logged[0]!.bytes, 6);
  await assertWhole(server, before);
});

assertWholeAfterAll();
