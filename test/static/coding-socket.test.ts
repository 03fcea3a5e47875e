/**
 * serveStatic's codings behind the real HTTP server: Node's fetch and
 * curl --compressed decode what it sends, HEAD matches GET on the wire, and
 * clients that disconnect mid-response leave no compressor behind.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { activeCompressors } from '../../src/compress/compress-body.js';
import { createServer, type Server } from '../../src/http/server.js';
import { serveStatic } from '../../src/static/index.js';
import { connect } from '../support.js';
import { decode, makeCodingSite, type CodingSite } from './coding-fixture.js';
import { removeTree } from './helpers.js';

const curlVersion = spawnSync('curl', ['--version'], { encoding: 'utf8' });
const curlMissing: string | false = curlVersion.status === 0 ? false : 'curl not installed';
const curlWithoutBrotli: string | false = curlMissing || (/brotli/i.test(curlVersion.stdout) ? false : 'curl built without brotli');

let site: CodingSite;
let server: Server;
let base: string;

before(async () => {
  site = await makeCodingSite();
  server = await createServer(serveStatic(site.root), { onError: () => {} }).listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${server.port}`;
});
after(async () => {
  await server.close();
  removeTree(site.base);
});

const FILES = () =>
  [
    ['/page.html', site.page],
    ['/style.css', site.css],
    ['/big.txt', site.big],
  ] as const;

test('fetch decodes every coding to the file', async () => {
  for (const [path, bytes] of FILES()) {
    for (const coding of ['gzip', 'br', 'deflate']) {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(base + path, { headers: { 'accept-encoding': coding } });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-encoding'), coding, `${path} ${coding}`);
        assert.equal(res.headers.get('vary'), 'Accept-Encoding');
        assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes), `${path} ${coding}`);
      }
    }
  }
});

test('a sidecar goes out with its exact Content-Length', async () => {
  const socket = await connect(server.port);
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.write('GET /style.css HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\nConnection: close\r\n\r\n');
  await new Promise((r) => socket.on('close', r));
  const all = Buffer.concat(chunks);
  const split = all.indexOf('\r\n\r\n');
  const head = all.subarray(0, split).toString('latin1').toLowerCase();
  assert.match(head, new RegExp(`\r\ncontent-length: ${site.cssBr.length}\r\n`));
  assert.match(head, /\r\ncontent-type: text\/css; charset=utf-8\r\n/);
  assert.match(head, /\r\ncontent-encoding: br\r\n/);
  assert.ok(all.subarray(split + 4).equals(site.cssBr));
});

describe('curl --compressed', () => {
  for (const [coding, flag, skip] of [
    // Whatever this curl offers (it lists only what it can decode).
    ['as offered', ['--compressed'], curlMissing],
    ['gzip', ['--compressed', '-H', 'Accept-Encoding: gzip'], curlMissing],
    ['br', ['--compressed', '-H', 'Accept-Encoding: br'], curlWithoutBrotli],
  ] as const) {
    test(`decodes what weft sends (${coding})`, { skip }, async () => {
      for (const [path, bytes] of FILES()) {
        const out = join(site.base, `curl-${coding.replace(' ', '-')}-${path.slice(1)}`);
        const { stdout } = await promisify(execFile)('curl', ['-sS', ...flag, '-D', '-', '-o', out, base + path], { encoding: 'latin1' });
        const expected = coding === 'as offered' ? '(gzip|br|deflate)' : coding;
        assert.match(stdout.toLowerCase(), new RegExp(`\r\ncontent-encoding: ${expected}\r\n`), path);
        assert.ok(readFileSync(out).equals(bytes), `${path} ${coding}`);
      }
    });
  }
});

/** The head of a response to `request`, field names lower-cased, without the per-response ones. */
async function headOf(request: string): Promise<{ status: string; fields: Record<string, string>; rest: Buffer }> {
  const socket = await connect(server.port);
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.write(request);
  await new Promise((r) => socket.on('close', r));
  const all = Buffer.concat(chunks);
  const split = all.indexOf('\r\n\r\n');
  const [status, ...lines] = all.subarray(0, split).toString('latin1').split('\r\n');
  const fields: Record<string, string> = {};
  for (const line of lines) {
    const c = line.indexOf(':');
    const name = line.slice(0, c).toLowerCase();
    if (name !== 'date') fields[name] = line.slice(c + 1).trim();
  }
  return { status: status!, fields, rest: all.subarray(split + 4) };
}

test('HEAD has the header fields of GET on the wire, and no body', async () => {
  for (const [path, coding] of [
    ['/page.html', 'gzip'],
    ['/page.html', 'br'],
    ['/big.txt', 'gzip'],
    ['/style.css', 'br'],
  ]) {
    const request = (method: string) => `${method} ${path} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: ${coding}\r\nConnection: close\r\n\r\n`;
    const get = await headOf(request('GET'));
    const head = await headOf(request('HEAD'));
    assert.equal(head.rest.length, 0);
    assert.equal(head.status, get.status);
    for (const name of ['content-type', 'content-encoding', 'vary', 'etag', 'last-modified', 'cache-control']) {
      assert.equal(head.fields[name], get.fields[name], `${path} ${coding} ${name}`);
    }
    assert.equal(head.fields['content-encoding'], coding);
    // A length HEAD announces is GET's; a streamed GET has none to announce.
    if (head.fields['content-length'] !== undefined) assert.equal(head.fields['content-length'], get.fields['content-length']);
    else assert.equal(get.fields['transfer-encoding'], 'chunked');
  }
});

describe('clients that disconnect mid-response', () => {
  for (const coding of ['gzip', 'br', 'deflate']) {
    test(`leave no compressor alive (${coding})`, { timeout: 20_000 }, async () => {
      // A server of its own, so that drained() waits for these connections only.
      const own = await createServer(serveStatic(site.root), { onError: () => {} }).listen({ port: 0, host: '127.0.0.1' });
      try {
        for (let i = 0; i < 10; i++) {
          const socket = net.connect({ port: own.port, host: '127.0.0.1' });
          await new Promise<void>((resolve, reject) => {
            socket.once('error', reject);
            socket.write(`GET /big.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: ${coding}\r\n\r\n`);
            let got = 0;
            socket.on('data', (d: Buffer) => {
              got += d.length;
              if (got > 64 * 1024) {
                // The response is far from done (the client stopped reading): its compressor is alive and counted.
                socket.pause();
                socket.removeAllListeners('data');
                resolve();
              }
            });
          });
          assert.equal(activeCompressors(), 1);
          socket.destroy();
          await own.drained();
          assert.equal(activeCompressors(), 0);
        }
      } finally {
        await own.close();
      }
    });
  }
});

test('a compressed response read to the end releases its compressor too', async () => {
  const res = await fetch(`${base}/big.txt`, { headers: { 'accept-encoding': 'gzip' } });
  const body = Buffer.from(await res.arrayBuffer());
  assert.ok(decode(body, undefined).equals(site.big)); // fetch decoded it
  assert.equal(activeCompressors(), 0);
});
