/**
 * Memory bounds that are deterministic: what the server retains (heap and
 * Buffer memory after a full collection) while a connection stays open.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { router } from '../../src/app/router.js';
import { echo } from '../../src/app/demo.js';
import { withCompression } from '../../src/compress/with-compression.js';
import { bodyFromGenerator } from '../../src/http/body.js';
import type { Socket } from 'node:net';
import { connect, startServer } from '../http/support.js';
import { heapAfterGc, assertWholeAfterAll } from '../leaks.js';

assertWholeAfterAll();

const MiB = 1024 * 1024;

/**
 * Sends `total` bytes through POST /echo on `sock` and reads the echo back,
 * never holding more than one chunk; resolves once the whole echo arrived
 * (its length for a Content-Length answer, the last chunk for a chunked one).
 */
function echoThrough(sock: Socket, total: number, chunked: boolean): Promise<void> {
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  return new Promise((resolve, reject) => {
    let head = '';
    let bodyBytes = 0;
    let tail = '';
    let framing: 'length' | 'chunked' | null = null;
    const onData = (d: Buffer): void => {
      if (framing === null) {
        head += d.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!head.startsWith('HTTP/1.1 200 ')) return reject(new Error(head.slice(0, 200)));
        framing = /\r\ntransfer-encoding: chunked/i.test(head.slice(0, end)) ? 'chunked' : 'length';
        d = Buffer.from(head.slice(end + 4), 'latin1');
      }
      bodyBytes += d.length;
      tail = (tail + d.toString('latin1', Math.max(0, d.length - 7))).slice(-7);
      if ((framing === 'length' && bodyBytes >= total) || (framing === 'chunked' && tail.endsWith('\r\n0\r\n\r\n'))) {
        sock.off('data', onData);
        resolve();
      }
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sock.write(
      chunked
        ? 'POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'
        : `POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: ${total}\r\n\r\n`,
    );
    const size = Buffer.from(`${chunk.length.toString(16)}\r\n`);
    const crlf = Buffer.from('\r\n');
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length;
        let ok = chunked ? (sock.write(size), sock.write(chunk), sock.write(crlf)) : sock.write(chunk);
        if (chunked && sent >= total) ok = sock.write('0\r\n\r\n');
        if (!ok) return void sock.once('drain', pump);
      }
    };
    pump();
  });
}

for (const chunked of [false, true]) {
  test(`256 MiB through /echo (${chunked ? 'chunked' : 'content-length'}) on one kept-alive connection retains < 16 MiB`, async () => {
    const server = await startServer(router().post('/echo', echo));
    try {
      const sock = await connect(server.port);
      await echoThrough(sock, 1 * MiB, chunked); // warm up
      const base = heapAfterGc();
      await echoThrough(sock, 256 * MiB, chunked);
      const retained = heapAfterGc() - base;
      assert.ok(retained < 16 * MiB, `retained ${(retained / MiB).toFixed(1)} MiB`);
      sock.destroy();
    } finally {
      await server.close();
    }
  });
}

test('100 gzip responses on one kept-alive connection retain < 16 MiB', async () => {
  // Random text: gzip shrinks it by a quarter only, so retained chunks would show.
  const text = Buffer.from(randomBytes(192 * 1024).toString('base64')); // 256 KiB
  const app = withCompression(
    router().get('/big', () => ({
      code: 200,
      headers: { 'content-type': 'text/plain' },
      body: bodyFromGenerator((async function* () {
        for (let i = 0; i < 4; i++) yield text;
      })()),
    })),
  );
  const server = await startServer(app);
  try {
    const sock = await connect(server.port);
    let buffered = Buffer.alloc(0);
    const oneResponse = (): Promise<void> =>
      new Promise((resolve) => {
        const onData = (d: Buffer): void => {
          buffered = Buffer.concat([buffered, d]);
          const end = buffered.indexOf('\r\n0\r\n\r\n');
          if (end >= 0) {
            buffered = buffered.subarray(end + 7);
            sock.off('data', onData);
            resolve();
          }
        };
        sock.on('data', onData);
        sock.write('GET /big HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n');
      });
    for (let i = 0; i < 5; i++) await oneResponse();
    const base = heapAfterGc();
    for (let i = 0; i < 100; i++) await oneResponse();
    const retained = heapAfterGc() - base;
    assert.ok(retained < 16 * MiB, `retained ${(retained / MiB).toFixed(1)} MiB`);
    sock.destroy();
  } finally {
    await server.close();
  }
});

test('idle keep-alive connections hold no read or write buffer', async () => {
  const bytes = Buffer.from('hello\n');
  const server = await startServer(() => ({ code: 200, body: { length: bytes.length, bytes, read: async () => bytes } }));
  const socks: Socket[] = [];
  try {
    const openOne = async (): Promise<void> => {
      const s = await connect(server.port);
      socks.push(s);
      await new Promise<void>((resolve) => {
        s.once('data', () => resolve());
        s.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      });
    };
    for (let i = 0; i < 50; i++) await openOne(); // warm up
    const gc = (globalThis as { gc?: () => void }).gc!;
    gc();
    const base = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 1000; i++) await openOne();
    gc();
    const per = (process.memoryUsage().arrayBuffers - base) / 1000;
    assert.ok(per < 1024, `${per.toFixed(0)} bytes of Buffer memory per idle connection`);
  } finally {
    for (const s of socks) s.destroy();
    await server.close();
  }
});
