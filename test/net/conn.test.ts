import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type * as net from 'node:net';
import { after, before, test } from 'node:test';
import { Conn } from '../../src/net/conn.js';
import { listen, type Listener } from '../../src/net/listener.js';
import { NetError } from '../../src/net/errors.js';
import { connect, readBytes, readToEnd, until } from '../support.js';

let listener: Listener;
before(async () => {
  listener = await listen({ port: 0 });
});
after(() => listener.close());

const closeOf = (s: net.Socket): Promise<void> => new Promise((r) => s.on('close', () => r()));

/** A connected pair: the server side as a Conn, the client as a raw socket. */
async function pair(): Promise<{ conn: Conn; client: net.Socket }> {
  const [conn, client] = await Promise.all([listener.accept(), connect(listener.port)]);
  return { conn, client };
}

test('read() gives the bytes sent, then an empty buffer at EOF', async () => {
  const { conn, client } = await pair();
  client.end('hello');
  const parts: Buffer[] = [];
  for (let d = await conn.read(); d.length > 0; d = await conn.read()) parts.push(d);
  assert.equal(Buffer.concat(parts).toString(), 'hello');
  // EOF is sticky.
  assert.equal((await conn.read()).length, 0);
  conn.close();
});

test('EOF that arrives while nobody reads is delivered to the next read', async () => {
  const { conn, client } = await pair();
  client.end();
  await once(conn.socket, 'end');
  assert.equal((await conn.read()).length, 0);
  conn.close();
});

test('a reset that arrives while nobody reads rejects the next read', async () => {
  const { conn, client } = await pair();
  client.resetAndDestroy();
  await closeOf(conn.socket); // events.once would reject on the 'error' first
  await assert.rejects(conn.read(), (e: Error & { code?: string }) => e.code === 'ECONNRESET' || e.code === 'WEFT_CONN_CLOSED');
});

test('only one read may be pending', async () => {
  const { conn, client } = await pair();
  const first = conn.read();
  await assert.rejects(conn.read(), (e: unknown) => e instanceof NetError && e.code === 'WEFT_CONCURRENT_READ');
  client.write('x');
  assert.equal((await first).toString(), 'x');
  client.destroy();
  conn.close();
});

test('close() rejects a pending read', async () => {
  const { conn, client } = await pair();
  const pending = conn.read();
  conn.close();
  await assert.rejects(pending, (e: unknown) => e instanceof NetError && e.code === 'WEFT_CONN_CLOSED');
  client.destroy();
});

test('interruptRead() rejects the pending read and leaves the socket writable', async () => {
  const { conn, client } = await pair();
  const pending = conn.read();
  const reason = new Error('timeout');
  conn.interruptRead(reason);
  await assert.rejects(pending, reason);
  const received = readToEnd(client);
  await conn.write(Buffer.from('still here'));
  await conn.end();
  conn.close();
  assert.equal((await received).toString(), 'still here');
});

test('a half-closed peer still receives the replies', async () => {
  const { conn, client } = await pair();
  const received = readToEnd(client);
  client.end('question');
  let q = '';
  for (let d = await conn.read(); d.length > 0; d = await conn.read()) q += d;
  assert.equal(q, 'question');
  await conn.write(Buffer.from('answer to ' + q));
  await conn.end();
  assert.equal((await received).toString(), 'answer to question');
  conn.close();
});

test('64 MiB sent to a slow reader: unread bytes never pass the high-water mark plus one chunk', async () => {
  const hwm = 64 * 1024;
  const { conn, client } = await pair();
  const total = 64 * 1024 * 1024;
  const block = Buffer.alloc(1024 * 1024, 7);
  const sent = (async () => {
    for (let i = 0; i < total / block.length; i++) {
      if (!client.write(block)) await once(client, 'drain');
    }
    client.end();
  })();
  const hash = createHash('sha1');
  let got = 0;
  let reads = 0;
  for (let d = await conn.read(); d.length > 0; d = await conn.read()) {
    got += d.length;
    hash.update(d);
    // A slow consumer: yield to the event loop so the socket can run ahead.
    if (++reads % 4 === 0) await new Promise((r) => setImmediate(r));
  }
  await sent;
  assert.equal(got, total);
  assert.equal(hash.digest('hex'), createHash('sha1').update(Buffer.alloc(total, 7)).digest('hex'));
  assert.ok(conn.peakUnread > 0);
  assert.ok(conn.peakUnread <= hwm + 64 * 1024, `peak unread ${conn.peakUnread}`);
  conn.close();
});

test('write() waits while the peer does not read, and resumes when it does', async () => {
  const { conn, client } = await pair();
  client.pause();
  const chunk = Buffer.alloc(256 * 1024, 1);
  let written = 0;
  let pending: Promise<void> | null = null;
  // Write until the kernel buffers are full and a write has to wait.
  for (let i = 0; i < 4096; i++) {
    const p = conn.write(chunk);
    written += chunk.length;
    if (!conn.writeIdle) {
      pending = p;
      break;
    }
    await p;
  }
  assert.ok(pending, 'some write had to wait');
  // The waiting producer holds at most its own chunk inside the socket.
  assert.ok(conn.socket.writableLength <= chunk.length);
  const received = readBytes(client, written);
  client.resume();
  await pending;
  assert.equal((await received).length, written);
  client.destroy();
  conn.close();
});

test('writes to a reset connection reject instead of throwing', async () => {
  const { conn, client } = await pair();
  client.resetAndDestroy();
  await closeOf(conn.socket); // events.once would reject on the 'error' first
  await assert.rejects(conn.write(Buffer.from('x')));
});

test('writev sends all buffers in order', async () => {
  const { conn, client } = await pair();
  const received = readToEnd(client);
  await conn.writev([Buffer.from('a'), Buffer.from('bc'), Buffer.from('def')]);
  await conn.end();
  conn.close();
  assert.equal((await received).toString(), 'abcdef');
});

test('an echo loop whose client never reads holds bounded memory', async () => {
  const hwm = 64 * 1024;
  const { conn, client } = await pair();
  client.pause(); // never reads
  let maxWritable = 0;
  let stalledNow: () => void = () => {};
  const stalled = new Promise<void>((r) => (stalledNow = r));
  // Stalled for good: a write is waiting on the peer and reading is paused.
  const check = (): void => {
    if (!conn.writeIdle && conn.socket.isPaused()) stalledNow();
  };
  conn.socket.on('pause', check);
  const echo = (async () => {
    try {
      for (let d = await conn.read(); d.length > 0; d = await conn.read()) {
        const p = conn.write(d);
        maxWritable = Math.max(maxWritable, conn.socket.writableLength);
        check();
        await p;
      }
    } catch {
      // the client is destroyed at the end
    }
  })();
  const block = Buffer.alloc(64 * 1024, 3);
  let clientSent = 0;
  const sending = (async () => {
    while (clientSent < 64 * 1024 * 1024) {
      clientSent += block.length;
      if (!client.write(block)) {
        const drained = await Promise.race([once(client, 'drain').then(() => true), stalled.then(() => false)]);
        if (!drained) return;
      }
    }
  })();
  await stalled;
  await sending;
  assert.ok(clientSent < 64 * 1024 * 1024, 'the client was held back');
  assert.ok(conn.peakUnread <= hwm + 64 * 1024, `peak unread ${conn.peakUnread}`);
  assert.ok(maxWritable <= 64 * 1024, `socket write queue ${maxWritable}`);
  client.destroy();
  conn.close();
  await echo;
});

test('resumeReading undoes interruptRead, so a close can drain what the peer still sends; a real failure is kept', async () => {
  const { conn, client } = await pair();
  const pending = conn.read();
  conn.interruptRead(new Error('timed out'));
  await assert.rejects(pending, /timed out/);
  await assert.rejects(conn.read(), /timed out/);
  conn.resumeReading();
  client.write('more');
  assert.equal((await conn.read()).toString(), 'more');
  client.end();
  assert.equal((await conn.read()).length, 0, 'then EOF');
  conn.close();

  const second = await pair();
  second.conn.interruptRead(new Error('timed out'));
  const gone = closeOf(second.client);
  second.client.destroy();
  await gone;
  second.conn.resumeReading();
  const after = await second.conn.read().then((b) => b.length, (err: Error) => err.message);
  assert.ok(after === 0 || after === 'connection closed', `a read after the peer left ends at once (${after})`);
  second.conn.close();
});

test('deliver() hands chunks to the sink as they arrive, until it returns false; later ones wait for read()', async () => {
  const { conn, client } = await pair();
  const seen: string[] = [];
  let stopped!: () => void;
  const stop = new Promise<void>((r) => (stopped = r));
  assert.equal(
    conn.deliver((chunk) => {
      assert.notEqual(chunk, null);
      seen.push(chunk!.toString());
      if (seen.length < 2) return true;
      stopped();
      return false;
    }),
    true,
  );
  client.write('a');
  await until(() => seen.length === 1);
  client.write('b');
  await stop;
  client.write('c');
  assert.equal((await conn.read()).toString(), 'c');
  assert.deepEqual(seen, ['a', 'b']);
  client.destroy();
  conn.close();
});

test('deliver() wakes the sink with null at EOF, and refuses while a chunk is queued', async () => {
  const { conn, client } = await pair();
  client.write('queued');
  await once(conn.socket, 'data');
  assert.equal(conn.deliver(() => true), false, 'a queued chunk must go to read() first');
  assert.equal((await conn.read()).toString(), 'queued');
  const woken = new Promise<Buffer | null>((resolve) => conn.deliver((chunk) => (resolve(chunk), false)));
  client.end();
  assert.equal(await woken, null);
  assert.equal((await conn.read()).length, 0);
  assert.equal(conn.deliver(() => true), false, 'the read side has ended');
  conn.close();
});

test('deliver() wakes the sink with null when the read is interrupted, and read() rejects with the reason', async () => {
  const { conn, client } = await pair();
  const woken = new Promise<Buffer | null>((resolve) => conn.deliver((chunk) => (resolve(chunk), false)));
  const reason = new Error('too slow');
  conn.interruptRead(reason);
  assert.equal(await woken, null);
  await assert.rejects(conn.read(), (e: unknown) => e === reason);
  client.destroy();
  conn.close();
});
