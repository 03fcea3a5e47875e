/**
 * The memo of normalised request paths (serve-static.ts) is bounded in
 * memory, not only in entries: a client that sends thousands of distinct
 * paths, long ones or short ones under a large head, must not leave the
 * server holding megabytes of its request heads.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { createServer, type Server } from '../../src/http/server.js';
import { serveStatic } from '../../src/static/index.js';
import { heapAfterGc, snapshot, assertWhole } from '../leaks.js';
import { makeTempDir, removeTree } from './helpers.js';

/** Fewer than PATH_MEMO_MAX_ENTRIES, so that the memo never starts over during a case. */
const REQUESTS = 2000;
/** Retained growth allowed for REQUESTS distinct paths (bytes): a few hundred bytes each. */
const MAX_RETAINED = 6 * 1024 * 1024;

let dir: string;
let server: Server;

before(async () => {
  dir = makeTempDir('weft-path-memo-');
  server = await createServer(serveStatic(dir), { onError: () => {} }).listen({ port: 0, host: '127.0.0.1' });
});

after(async () => {
  await server.close();
  removeTree(dir);
});

/** Sends `count` GETs, one after the other on one connection, each for path(i) with `extra` header bytes; every answer must be a 404. */
async function sendAll(count: number, path: (i: number) => string, extra: number): Promise<void> {
  const socket: Socket = connect(server.port, '127.0.0.1');
  let pending = '';
  let closed = false;
  let wake: (() => void) | null = null;
  socket.on('data', (b: Buffer) => {
    pending += b.toString('latin1');
    wake?.();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
    wake?.();
  });
  const filler = extra > 0 ? `X-Filler: ${'f'.repeat(extra)}\r\n` : '';
  try {
    for (let i = 0; i < count; i++) {
      socket.write(`GET ${path(i)} HTTP/1.1\r\nHost: x\r\n${filler}\r\n`);
      // A 404 with a body whose length is given: read up to the end of it.
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end >= 0) {
          assert.match(pending, /^HTTP\/1\.1 404 /);
          const length = Number(/\r\ncontent-length: (\d+)/i.exec(pending.slice(0, end))![1]);
          if (pending.length >= end + 4 + length) {
            pending = pending.slice(end + 4 + length);
            break;
          }
        }
        assert.ok(!closed, 'the server closed the connection');
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    }
  } finally {
    socket.destroy();
  }
}

async function retainedBy(path: (i: number) => string, extra: number): Promise<number> {
  await sendAll(10, (i) => `/warm-${i}`, 0);
  const before = heapAfterGc();
  await sendAll(REQUESTS, path, extra);
  return heapAfterGc() - before;
}

test('distinct short paths under large heads do not keep the heads', async () => {
  const leaks = snapshot();
  const retained = await retainedBy((i) => `/missing-file-number-${i}.txt`, 12 * 1024);
  assert.ok(retained < MAX_RETAINED, `retained ${(retained / 1048576).toFixed(1)} MiB`);
  await assertWhole(server, leaks);
});

test('distinct long paths are not all remembered', async () => {
  const leaks = snapshot();
  const retained = await retainedBy((i) => `/${'d'.repeat(4000)}/${i}`, 0);
  assert.ok(retained < MAX_RETAINED, `retained ${(retained / 1048576).toFixed(1)} MiB`);
  await assertWhole(server, leaks);
});
