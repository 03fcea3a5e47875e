import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { dial } from '../../src/net/dial.js';
import type { NetError } from '../../src/net/errors.js';
import { assertWholeAfterAll, snapshot } from '../leaks.js';

assertWholeAfterAll();

test('an aborted dial gives up at once: its socket destroyed, its timer cleared', async () => {
  // A TCP server that accepts and never speaks: a TLS handshake with it never finishes.
  const accepted: Socket[] = [];
  const server = createServer((s) => accepted.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const before = snapshot();
  try {
    const controller = new AbortController();
    const attempt = dial({ host: '127.0.0.1', port, tls: { rejectUnauthorized: false }, timeout: 60_000, signal: controller.signal });
    while (accepted.length === 0) await once(server, 'connection');
    const closed = once(accepted[0]!, 'close');
    controller.abort();
    await assert.rejects(attempt, (err: NetError) => err.code === 'WEFT_DIAL_ABORTED');
    await closed; // the client side was destroyed, so the server's end closes too
    const timers = process.getActiveResourcesInfo().filter((k) => k === 'Timeout').length;
    assert.ok(timers <= (before.resources['Timeout'] ?? 0), 'the 60 s dial timer is cleared');
  } finally {
    server.close();
  }
});

test('a dial whose signal is already aborted does not connect', async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(dial({ host: '127.0.0.1', port: 9, signal: controller.signal }), (err: NetError) => err.code === 'WEFT_DIAL_ABORTED');
});
