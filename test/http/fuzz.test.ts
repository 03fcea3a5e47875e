/**
 * Properties, checked with fast-check over real sockets:
 * - the responses to a pipelined byte stream do not depend on how the stream
 *   is split into writes, for every kind of handler (buffered, streamed,
 *   static files, router 405/501) and for bodies with framing errors too;
 * - random bytes never crash the server nor keep a connection open for ever.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { echo } from '../../src/app/demo.js';
import { router } from '../../src/app/router.js';
import { readAll } from '../../src/http/body.js';
import type { Server } from '../../src/http/server.js';
import type { Handler } from '../../src/http/types.js';
import { serveStatic } from '../../src/static/serve-static.js';
import { connect, exchange, parseResponses, readToEnd, startServer } from './support.js';

const buffered: Handler = async (req, body) => {
  const data = await readAll(body);
  const text = `${req.method} ${req.target} ${req.headers.get('x-v') ?? '-'} ${data.length} ${data.toString('latin1')}`;
  return { code: 200, body: { length: text.length, bytes: Buffer.from(text, 'latin1'), read: async () => Buffer.alloc(0) } };
};

let server: Server; // patient timeouts: a slow machine must not change the answers
let hasty: Server; // short timeouts, so that random bytes end quickly
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-fuzz-'));
  writeFileSync(join(dir, 'hello.txt'), 'hello\n');
  const files = serveStatic(dir, { prefix: '/static' });
  const app = router(files)
    .all('/buf/*', buffered)
    .all('/stream/*', echo)
    .get('/r/*', buffered);
  server = await startServer(app, { headersTimeout: 30_000, idleTimeout: 30_000, bodyTimeout: 30_000 });
  hasty = await startServer(buffered, { headersTimeout: 100, idleTimeout: 100, bodyTimeout: 100 });
});
after(async () => {
  await server.close();
  await hasty.close();
  rmSync(dir, { recursive: true, force: true });
});

const token = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const bodyText = fc.stringMatching(/^[ -~]{0,40}$/);
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'MKCOLA'),
  target: fc.constantFrom('/buf/', '/stream/', '/static/hello.txt', '/r/', '/static/missing'),
  value: token,
  body: bodyText,
  framing: fc.constantFrom('length', 'chunked', 'none'),
  chunkSize: fc.integer({ min: 1, max: 16 }),
  // Damage to a chunked body: a malformed size line, data not followed by CRLF, a forbidden trailer.
  damage: fc.constantFrom('none', 'none', 'none', 'size', 'crlf', 'trailer'),
});

type Req = { method: string; target: string; value: string; body: string; framing: string; chunkSize: number; damage: string };

function encode(r: Req): string {
  const target = r.target.endsWith('/') ? `${r.target}${r.value}?v=${r.value}` : r.target;
  let head = `${r.method} ${target} HTTP/1.1\r\nHost: fuzz\r\nX-V: ${r.value}\r\n`;
  if (r.framing === 'none') return head + '\r\n';
  if (r.framing === 'length') return head + `Content-Length: ${r.body.length}\r\n\r\n${r.body}`;
  head += 'Transfer-Encoding: chunked\r\n\r\n';
  const damageAt = Math.floor(r.body.length / 2);
  for (let i = 0; i < r.body.length; i += r.chunkSize) {
    const piece = r.body.slice(i, i + r.chunkSize);
    const last = i + r.chunkSize >= r.body.length;
    if (r.damage === 'size' && (i >= damageAt || last)) return head + 'ZZ\r\n' + piece + '\r\n0\r\n\r\n';
    head += `${piece.length.toString(16)}\r\n${piece}`;
    head += r.damage === 'crlf' && (i >= damageAt || last) ? 'XX' : '\r\n';
    if (r.damage === 'crlf' && (i >= damageAt || last)) break;
  }
  if (r.damage === 'size' && r.body.length === 0) return head + 'ZZ\r\n\r\n';
  if (r.damage === 'crlf' && r.body.length === 0) return head + '0\r\nXX\r\n\r\n'; // a malformed trailer line
  return head + (r.damage === 'trailer' ? '0\r\nContent-Length: 1\r\n\r\n' : '0\r\n\r\n');
}

type Seen = { status: number; headers: Record<string, string>; body: string; complete: boolean };

/**
 * Responses as a client sees them, Date removed, bodies decoded; a last
 * response cut off half-way (a streamed echo whose request failed) is kept
 * with what arrived of it.
 */
function seen(data: Buffer): Seen[] {
  const out: Seen[] = [];
  let text = data.toString('latin1');
  while (text.length > 0) {
    const end = text.indexOf('\r\n\r\n');
    assert.ok(end > 0, `a response head: ${JSON.stringify(text.slice(0, 80))}`);
    const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const c = l.indexOf(':');
      const k = l.slice(0, c).toLowerCase();
      if (k !== 'date') headers[k] = l.slice(c + 1).trim();
    }
    text = text.slice(end + 4);
    let body = '';
    let complete = true;
    if (headers['transfer-encoding'] === 'chunked') {
      complete = false;
      for (;;) {
        const le = text.indexOf('\r\n');
        if (le < 0) break;
        const size = parseInt(text.slice(0, le), 16);
        if (text.length < le + 2 + size + 2) break;
        text = text.slice(le + 2);
        if (size === 0) {
          const te = text.indexOf('\r\n');
          text = text.slice(te + 2);
          complete = true;
          break;
        }
        body += text.slice(0, size);
        text = text.slice(size + 2);
      }
      if (!complete) text = '';
    } else {
      const n = Number(headers['content-length'] ?? 0);
      body = text.slice(0, n);
      complete = body.length === n;
      text = text.slice(n);
    }
    delete headers['transfer-encoding'];
    delete headers['content-length'];
    out.push({ status: Number(statusLine!.split(' ')[1]), headers, body, complete });
  }
  return out;
}

async function sendInPieces(port: number, stream: Buffer, cuts: number[]): Promise<Buffer> {
  const s = await connect(port);
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

test('any split of a pipelined stream gives identical responses, errors included, for every kind of handler', { timeout: 180_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(request, { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 12 }),
      async (reqs, rawCuts) => {
        const text = reqs.map(encode).join('') + 'GET /buf/end HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n';
        const stream = Buffer.from(text, 'latin1');
        const cuts = [...new Set(rawCuts.map((c) => c % stream.length))].sort((a, b) => a - b);
        const whole = seen(await exchange(server.port, stream));
        const split = seen(await sendInPieces(server.port, stream, cuts));
        const bytewise = reqs.length <= 2 && stream.length <= 400 ? seen(await sendInPieces(server.port, stream, [...stream.keys()])) : split;
        assert.deepEqual(split, whole);
        assert.deepEqual(bytewise, whole);
        // Up to the first damaged body, every request is answered, and the buffered ones by what they sent.
        const firstBad = reqs.findIndex((r) => r.framing === 'chunked' && r.damage !== 'none');
        if (firstBad < 0) {
          assert.equal(whole.length, reqs.length + 1);
          reqs.forEach((r, i) => {
            if (r.target !== '/buf/' || r.method === 'MKCOLA') return;
            const sent = r.framing === 'none' ? '' : r.body;
            assert.equal(whole[i]!.body, `${r.method} ${r.target}${r.value}?v=${r.value} ${r.value} ${sent.length} ${sent}`);
          });
        } else {
          assert.ok(whole.length <= firstBad + 1, 'nothing after a broken body is answered');
        }
        for (const r of whole) assert.ok(r.status !== 500, 'a client mistake is never a 500');
      },
    ),
    { numRuns: 80 },
  );
});

test('random bytes never crash the server nor hang a connection', { timeout: 120_000 }, async () => {
  const prefix = fc.constantFrom('', 'GET / HTTP/1.1\r\n', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n');
  await fc.assert(
    fc.asyncProperty(prefix, fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (p, junk, halfClose) => {
      const s = await connect(hasty.port);
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
  const [ok] = parseResponses(await exchange(hasty.port, 'GET /alive HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'));
  assert.equal(ok!.status, 200);
  await hasty.drained(); // every connection ends: a hang here fails by the test's timeout
  assert.equal(hasty.connections, 0);
});
