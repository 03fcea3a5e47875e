import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BufWriter } from '../../src/net/bufwriter.js';
import type { Conn } from '../../src/net/conn.js';
import { listen, type Listener } from '../../src/net/listener.js';
import { connect, readToEnd } from '../support.js';

let listener: Listener;
before(async () => {
  listener = await listen({ port: 0 });
});
after(() => listener.close());

/** Counts the writes that reach the Conn. */
function countWrites(conn: Conn): { writes: number } {
  const stats = { writes: 0 };
  const write = conn.writeNow.bind(conn);
  const writev = conn.writevNow.bind(conn);
  conn.writeNow = (d) => (stats.writes++, write(d));
  conn.writevNow = (d) => (stats.writes++, writev(d));
  return stats;
}

test('many small pushes leave in one socket write', async () => {
  const [conn, client] = await Promise.all([listener.accept(), connect(listener.port)]);
  const received = readToEnd(client);
  const stats = countWrites(conn);
  const w = new BufWriter(conn);
  for (let i = 0; i < 100; i++) {
    w.pushLatin1(`line ${i}\r\n`);
    w.push(Buffer.from('x'));
  }
  w.pushUtf8('é\n');
  assert.equal(stats.writes, 0);
  await w.flush();
  assert.equal(stats.writes, 1);
  await w.flush(); // nothing buffered: no write
  assert.equal(stats.writes, 1);
  await conn.end();
  conn.close();
  const expected = Array.from({ length: 100 }, (_, i) => `line ${i}\r\nx`).join('') + 'é\n';
  assert.equal((await received).toString(), expected);
});

test('flushWith sends the buffer and a large payload together, uncopied, in order', async () => {
  const [conn, client] = await Promise.all([listener.accept(), connect(listener.port)]);
  const received = readToEnd(client);
  const stats = countWrites(conn);
  const w = new BufWriter(conn, 64);
  const big = Buffer.alloc(1 << 20, 0x61);
  w.pushLatin1('head:');
  await w.flushWith(big);
  assert.equal(stats.writes, 1);
  // A push larger than the limit grows the buffer for that push.
  w.push(Buffer.alloc(200, 0x62));
  assert.equal(w.buffered, 200);
  await w.flush();
  await conn.end();
  conn.close();
  const got = await received;
  assert.equal(got.length, 5 + big.length + 200);
  assert.equal(got.subarray(0, 5).toString(), 'head:');
  assert.equal(got[got.length - 1], 0x62);
});

/**
 * Writes numbered 1 KiB lines through `w` until the kernel is full (the peer
 * does not read), so flushed buffers stay queued in the socket.
 */
function fillUntilQueued(conn: Conn, w: BufWriter, fill: string): { pending: Promise<void>[]; expected: string } {
  const pending: Promise<void>[] = [];
  let expected = '';
  for (let i = 0; conn.writeIdle || i < 64; i++) {
    const line = `${String(i).padStart(8, '0')}${fill.repeat(1015)}\n`;
    expected += line;
    w.pushLatin1(line);
    pending.push(w.flush() ?? Promise.resolve());
    if (i > 200_000) break;
  }
  return { pending, expected };
}

test('memory still queued in the socket is never overwritten by later pushes', async () => {
  const [conn, client] = await Promise.all([listener.accept(), connect(listener.port)]);
  client.pause();
  const w = new BufWriter(conn, 1024);
  const { pending, expected } = fillUntilQueued(conn, w, '.');
  const received = readToEnd(client);
  client.resume();
  await Promise.all(pending);
  await conn.end();
  conn.close();
  assert.equal((await received).toString(), expected);
});

test('a buffer the socket still holds is not pooled for another connection', async () => {
  const [a, clientA] = await Promise.all([listener.accept(), connect(listener.port)]);
  const [b, clientB] = await Promise.all([listener.accept(), connect(listener.port)]);
  clientA.pause();
  const wa = new BufWriter(a);
  const { pending, expected } = fillUntilQueued(a, wa, 'a');
  wa.release(); // idle with bytes still queued in the socket
  const receivedA = readToEnd(clientA);
  const receivedB = readToEnd(clientB);
  const wb = new BufWriter(b);
  for (let i = 0; i < 16; i++) {
    wb.pushLatin1('b'.repeat(1024));
    await wb.flush();
  }
  await b.end();
  b.close();
  clientA.resume();
  await Promise.all(pending);
  await a.end();
  a.close();
  assert.equal((await receivedA).toString(), expected);
  assert.equal((await receivedB).toString(), 'b'.repeat(16 * 1024));
});

test('rewind after a flush the socket still holds drops only what came after the mark', async () => {
  const [conn, client] = await Promise.all([listener.accept(), connect(listener.port)]);
  client.pause();
  const w = new BufWriter(conn);
  const { pending, expected } = fillUntilQueued(conn, w, 'r');
  const mark = w.buffered;
  w.pushLatin1('taken back');
  w.rewind(mark);
  const afterRewind = w.buffered;
  w.pushLatin1('kept\n');
  pending.push(w.flush() ?? Promise.resolve());
  const received = readToEnd(client);
  client.resume();
  await Promise.all(pending);
  await conn.end();
  conn.close();
  assert.equal(afterRewind, mark);
  assert.equal((await received).toString(), expected + 'kept\n');
});
