/**
 * Properties, checked with fast-check over real sockets:
 * - the responses to a pipelined byte stream do not depend on how the stream
 *   is split into writes;
 * - random bytes never crash the server nor keep a connection open for ever.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { readAll } from '../../src/http/body.js';
import type { Server } from '../../src/http/server.js';
import { connect, exchange, parseResponses, readToEnd, startServer } from './support.js';

let server: Server;
before(async () => {
  server = await startServer(
    async (req, body) => {
      const data = await readAll(body);
      const text = `${req.method} ${req.target} ${req.headers.get('x-v') ?? '-'} ${data.length} ${data.toString('latin1')}`;
      return { code: 200, body: { length: text.length, bytes: Buffer.from(text, 'latin1'), read: async () => Buffer.alloc(0) } };
    },
    { headersTimeout: 100, idleTimeout: 100, bodyTimeout: 100 },
  );
});
after(() => server.close());

const token = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const bodyText = fc.stringMatching(/^[ -~]{0,40}$/);
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
  path: token,
  value: token,
  body: bodyText,
  framing: fc.constantFrom('length', 'chunked'),
  chunkSize: fc.integer({ min: 1, max: 16 }),
});

type Req = { method: string; path: string; value: string; body: string; framing: string; chunkSize: number };

function encode(r: Req): string {
  let head = `${r.method} /${r.path}?v=${r.value} HTTP/1.1\r\nHost: fuzz\r\nX-V: ${r.value}\r\n`;
  if (r.method === 'GET') return head + '\r\n';
  if (r.framing === 'length') return head + `Content-Length: ${r.body.length}\r\n\r\n${r.body}`;
  head += 'Transfer-Encoding: chunked\r\n\r\n';
  for (let i = 0; i < r.body.length; i += r.chunkSize) {
    const piece = r.body.slice(i, i + r.chunkSize);
    head += `${piece.length.toString(16)}\r\n${piece}\r\n`;
  }
  return head + '0\r\n\r\n';
}

/** Responses without their Date lines, which may differ between runs. */
const normalise = (b: Buffer) => b.toString('latin1').replace(/\r\nDate: [^\r]*/g, '');

async function sendInPieces(stream: Buffer, cuts: number[]): Promise<Buffer> {
  const s = await connect(server.port);
  const all = readToEnd(s);
  let prev = 0;
  for (const cut of [...cuts, stream.length]) {
    if (cut > prev) {
      s.write(stream.subarray(prev, cut));
      await new Promise((r) => setImmediate(r)); // let the server see this piece on its own
    }
    prev = Math.max(prev, cut);
  }
  return all;
}

test('any split of a pipelined stream gives identical responses', { timeout: 120_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(request, { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 12 }),
      async (reqs, rawCuts) => {
        const text = reqs.map(encode).join('') + 'GET /end HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n';
        const stream = Buffer.from(text, 'latin1');
        const cuts = [...new Set(rawCuts.map((c) => c % stream.length))].sort((a, b) => a - b);
        const whole = await exchange(server.port, stream);
        const split = await sendInPieces(stream, cuts);
        assert.equal(normalise(split), normalise(whole));
        const res = parseResponses(whole);
        assert.equal(res.length, reqs.length + 1);
        reqs.forEach((r, i) => assert.equal(res[i]!.body.toString('latin1'), `${r.method} /${r.path}?v=${r.value} ${r.value} ${r.method === 'GET' ? 0 : r.body.length} ${r.method === 'GET' ? '' : r.body}`));
      },
    ),
    { numRuns: 60 },
  );
});

test('random bytes never crash the server nor hang a connection', { timeout: 120_000 }, async () => {
  const prefix = fc.constantFrom('', 'GET / HTTP/1.1\r\n', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n');
  await fc.assert(
    fc.asyncProperty(prefix, fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (p, junk, halfClose) => {
      const s = await connect(server.port);
      const all = readToEnd(s); // resolves only when the server closes the connection
      s.on('error', () => {});
      const data = Buffer.concat([Buffer.from(p, 'latin1'), junk]);
      if (halfClose) s.end(data);
      else s.write(data);
      const got = await all;
      // Whatever came back is well-formed HTTP, or nothing at all.
      if (got.length > 0) parseResponses(got, ['GET', 'GET', 'GET']);
    }),
    { numRuns: 150 },
  );
  const [ok] = parseResponses(await exchange(server.port, 'GET /alive HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'));
  assert.equal(ok!.status, 200);
  await server.drained(); // every connection ends: a hang here fails by the test's timeout
  assert.equal(server.connections, 0);
});
