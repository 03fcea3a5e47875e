/**
 * Compression over real sockets: weft's server with withCompression(),
 * against Node's fetch, curl --compressed and a raw socket.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import { activeCompressors } from '../../src/compress/compress-body.js';
import { withCompression } from '../../src/compress/with-compression.js';
import { bodyFromBuffer, bodyFromGenerator } from '../../src/http/body.js';
import { createServer, type Server } from '../../src/http/server.js';
import type { HTTPRes, Handler } from '../../src/http/types.js';
import { connect } from '../support.js';

const PAGE = '<!doctype html>\n' + Array.from({ length: 2000 }, (_, i) => `<p>paragraph ${i}</p>\n`).join('');

/** Hands the test control of the /sheep generator: each line waits for its gate. */
let gates: { open: () => void; wait: Promise<void> }[] = [];
function gate() {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { open, wait };
}
/** Resolves when the endless stream's generator has finished (its finally ran). */
let endlessDone: Promise<void> = Promise.resolve();

const handler: Handler = (req): HTTPRes => {
  if (req.path === '/page') {
    return { code: 200, headers: { 'content-type': 'text/html; charset=utf-8', etag: '"p1"' }, body: bodyFromBuffer(PAGE) };
  }
  if (req.path === '/sheep') {
    async function* sheep() {
      for (let i = 0; i < gates.length; i++) {
        yield `${i + 1} sheep\n`;
        await gates[i]!.wait;
      }
    }
    return { code: 200, headers: { 'content-type': 'text/plain' }, body: bodyFromGenerator(sheep()) };
  }
  if (req.path === '/endless') {
    let finished!: () => void;
    endlessDone = new Promise((r) => (finished = r));
    async function* endless() {
      try {
        for (let i = 0; ; i++) {
          yield `event ${i} ${'x'.repeat(100)}\n`;
          await new Promise((r) => setImmediate(r));
        }
      } finally {
        finished();
      }
    }
    return { code: 200, headers: { 'content-type': 'text/event-stream' }, body: bodyFromGenerator(endless()) };
  }
  return { code: 404, headers: { 'content-type': 'text/plain' }, body: bodyFromBuffer('not found\n') };
};

let server: Server;
let base: string;
before(async () => {
  server = createServer(withCompression(handler), { onError: () => {} });
  await server.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${server.port}`;
});
after(() => server.close());

test('fetch: a page comes back compressed and decodes to the original', async () => {
  for (const coding of ['gzip', 'br', 'deflate']) {
    const res = await fetch(`${base}/page`, { headers: { 'accept-encoding': coding } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-encoding'), coding);
    assert.equal(res.headers.get('vary'), 'Accept-Encoding');
    assert.equal(res.headers.get('etag'), `"p1-${coding}"`);
    assert.equal(await res.text(), PAGE);
  }
  const plain = await fetch(`${base}/page`, { headers: { 'accept-encoding': 'identity' } });
  assert.equal(plain.headers.get('content-encoding'), null);
  assert.equal(plain.headers.get('content-length'), String(Buffer.byteLength(PAGE)));
  assert.equal(await plain.text(), PAGE);
});

test('fetch: 406 when identity is refused and nothing fits', async () => {
  const res = await fetch(`${base}/page`, { headers: { 'accept-encoding': 'zstd, identity;q=0' } });
  assert.equal(res.status, 406);
  assert.equal(res.headers.get('vary'), 'Accept-Encoding');
  await res.arrayBuffer();
});

const curl = spawnSync('curl', ['--version']).status === 0;
test('curl --compressed decodes what weft sends', { skip: !curl && 'curl not installed' }, async () => {
  // Asynchronously: the server runs in this process and must keep serving.
  const r = await promisify(execFile)('curl', ['-sS', '--compressed', '-D', '-', `${base}/page`], { encoding: 'utf8' });
  const split = r.stdout.indexOf('\r\n\r\n');
  const head = r.stdout.slice(0, split).toLowerCase();
  assert.match(head, /\r\ncontent-encoding: (gzip|br|deflate|zstd)\r\n/);
  assert.match(head, /\r\ntransfer-encoding: chunked|\r\ncontent-length: \d+/);
  assert.equal(r.stdout.slice(split + 4), PAGE);
});

/** Everything a socket receives, and a way to wait for more. */
function received(socket: import('node:net').Socket) {
  const state = { data: Buffer.alloc(0), more: () => {} };
  socket.on('data', (d: Buffer) => {
    state.data = Buffer.concat([state.data, d]);
    state.more();
  });
  return {
    /** The chunked body as far as it has arrived, once `done` accepts it. */
    async body(done: (body: Buffer) => boolean): Promise<Buffer> {
      for (;;) {
        const data = state.data;
        const head = data.indexOf('\r\n\r\n');
        if (head >= 0) {
          const parts: Buffer[] = [];
          let pos = head + 4;
          for (;;) {
            const le = data.indexOf('\r\n', pos);
            if (le < 0) break;
            const size = parseInt(data.toString('latin1', pos, le), 16);
            if (data.length < le + 2 + size + 2) break;
            parts.push(data.subarray(le + 2, le + 2 + size));
            pos = le + 2 + size + 2;
          }
          const body = Buffer.concat(parts);
          if (done(body)) return body;
        }
        await new Promise<void>((resolve) => (state.more = resolve));
      }
    },
  };
}

test('a streamed response arrives live: each line before the next one is produced', { timeout: 10_000 }, async () => {
  gates = [gate(), gate(), gate()];
  const socket = await connect(server.port);
  const rx = received(socket);
  socket.write('GET /sheep HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n');
  const partial = (b: Buffer) => zlib.gunzipSync(b, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString();
  for (let i = 0; i < gates.length; i++) {
    const upTo = Array.from({ length: i + 1 }, (_, j) => `${j + 1} sheep\n`).join('');
    await rx.body((b) => b.length > 0 && partial(b) === upTo);
    gates[i]!.open(); // only now may the generator go on
  }
  const body = await rx.body((b) => {
    try {
      return zlib.gunzipSync(b).length > 0;
    } catch {
      return false;
    }
  });
  assert.equal(zlib.gunzipSync(body).toString(), '1 sheep\n2 sheep\n3 sheep\n');
  socket.destroy();
});

test('a client that disconnects mid-stream leaves no compressor behind', { timeout: 10_000 }, async () => {
  const socket = await connect(server.port);
  const rx = received(socket);
  socket.write('GET /endless HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\n\r\n');
  await rx.body((b) => b.length > 10_000);
  assert.equal(activeCompressors(), 1);
  socket.destroy();
  await endlessDone; // the server closed the body: the generator's finally ran
  assert.equal(activeCompressors(), 0);
});
