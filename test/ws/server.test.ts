/**
 * The WebSocket handler behind weft's real HTTP server (src/http/server.ts):
 * the wiring the harness stands in for elsewhere.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createServer, type Server } from '../../src/http/server.js';
import type { Handler } from '../../src/http/types.js';
import { bodyFromBuffer } from '../../src/http/body.js';
import { acceptWebSocket, liveZlibStreams } from '../../src/ws/index.js';
import { openClient } from './client.js';
import { rawConnect } from './raw.js';

/** node:test timeout, only to stop a hung test from blocking the run (ms). */
const HANG_GUARD = { timeout: 60_000 };

let server: Server;

const handler: Handler = (req) => {
  if (req.path === '/ws') {
    return acceptWebSocket(
      req,
      async (ws) => {
        for await (const msg of ws) await ws.send(msg.data);
      },
      { perMessageDeflate: true, selectProtocol: (offered) => offered.find((p) => p === 'echo') },
    );
  }
  return { code: 200, body: bodyFromBuffer('plain http\n') };
};

before(async () => {
  server = createServer(handler, { onError: () => {} });
  await server.listen({ port: 0, host: '127.0.0.1' });
});
after(() => server.close());

test('upgrade through the HTTP server: protocol, compression, echo', HANG_GUARD, async () => {
  const c = await openClient(server.port, { path: '/ws', protocols: ['chat', 'echo'], perMessageDeflate: {} });
  assert.equal(c.ws.protocol, 'echo');
  assert.equal(c.headers['sec-websocket-extensions'], 'permessage-deflate');
  assert.equal(c.headers['connection'], 'Upgrade');
  for (const m of ['small', 'x'.repeat(50_000)]) {
    c.ws.send(m);
    assert.equal((await c.next()).data.toString(), m);
  }
  await c.close();
});

test('handshake failures come back as HTTP statuses from the server', HANG_GUARD, async () => {
  const bad = await rawConnect(server.port, { 'Sec-WebSocket-Version': '8' }, { path: '/ws' });
  assert.equal(bad.status, 426);
  assert.equal(bad.headers['sec-websocket-version'], '13');
  bad.socket.destroy();
  const noUpgrade = await rawConnect(server.port, { Upgrade: null, Connection: null }, { path: '/ws' });
  assert.equal(noUpgrade.status, 426);
  noUpgrade.socket.destroy();
  const post = await rawConnect(server.port, {}, { path: '/ws', method: 'POST' });
  assert.equal(post.status, 405);
  post.socket.destroy();
});

test('server.close() closes open WebSockets with 1001 and releases their zlib streams', HANG_GUARD, async () => {
  const clients = await Promise.all([1, 2, 3].map(() => openClient(server.port, { path: '/ws', perMessageDeflate: {} })));
  for (const c of clients) {
    c.ws.send('y'.repeat(5000));
    await c.next();
  }
  const closing = server.close();
  for (const c of clients) assert.equal((await c.closed).code, 1001);
  await closing;
  assert.equal(liveZlibStreams(), 0);
});
