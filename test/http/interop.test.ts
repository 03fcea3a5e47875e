/** Real clients against weft: curl, Node's fetch, and undici with pipelining. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { Client } from 'undici';
import { addDemoRoutes } from '../../src/app/demo.js';
import { router } from '../../src/app/router.js';
import { bodyFromBuffer } from '../../src/http/body.js';
import type { Server } from '../../src/http/server.js';
import { startServer } from './support.js';

const run = promisify(execFile);
const hasCurl = await run('curl', ['--version']).then(() => true, () => false);
const curl = (...args: string[]) => run('curl', ['-sS', '--max-time', '30', ...args], { encoding: 'buffer', maxBuffer: 64 << 20 });

let server: Server;
let base: string;
let dir: string;
before(async () => {
  const app = addDemoRoutes(router(), { sheepInterval: 1 });
  app.get('/hello', () => ({ code: 200, headers: { 'content-type': 'text/plain' }, body: bodyFromBuffer('Hello, World!') }));
  app.get('/n/:n', (req, _b, p) => ({ code: 200, body: bodyFromBuffer(`${p.n}:${req.query}`) }));
  server = await startServer(app);
  base = `http://127.0.0.1:${server.port}`;
  dir = mkdtempSync(join(tmpdir(), 'weft-interop-'));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

test('curl: GET', { skip: !hasCurl && 'curl not installed' }, async () => {
  const { stdout } = await curl(`${base}/hello`);
  assert.equal(stdout.toString(), 'Hello, World!');
});

test('curl: --data-binary @file to /echo', { skip: !hasCurl && 'curl not installed' }, async () => {
  const data = randomBytes(3 * 1024 * 1024 + 7);
  const file = join(dir, 'upload.bin');
  writeFileSync(file, data);
  const { stdout } = await curl('--data-binary', `@${file}`, '-H', 'Content-Type: application/octet-stream', `${base}/echo`);
  assert.equal(sha1(stdout), sha1(data));
});

test('curl: -T - (chunked upload from stdin) to /echo', { skip: !hasCurl && 'curl not installed' }, async () => {
  const data = randomBytes(2 * 1024 * 1024);
  const child = execFile('curl', ['-sS', '--max-time', '30', '-T', '-', `${base}/echo`], { encoding: 'buffer', maxBuffer: 64 << 20 });
  const out = new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => parts.push(d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(parts)) : reject(new Error(`curl exited ${code}`))));
  });
  child.stdin!.end(data);
  assert.equal(sha1(await out), sha1(data));
});

test('curl: --http1.0', { skip: !hasCurl && 'curl not installed' }, async () => {
  const { stdout } = await curl('--http1.0', '-i', `${base}/sheep`);
  const text = stdout.toString();
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(text, /\r\nConnection: close\r\n/);
  assert.doesNotMatch(text, /Transfer-Encoding/i);
  assert.ok(text.endsWith('98\n99\n'));
});

test('curl: several URLs reuse one keep-alive connection', { skip: !hasCurl && 'curl not installed' }, async () => {
  const { stdout, stderr } = await curl('-v', `${base}/n/1`, `${base}/n/2?x=y`);
  assert.equal(stdout.toString(), '1:2:x=y');
  assert.match(stderr.toString(), /Re-using existing connection/i);
});

test('fetch: GET, POST, streaming', async () => {
  const r = await fetch(`${base}/hello`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-length'), '13');
  assert.equal(await r.text(), 'Hello, World!');

  const posted = await fetch(`${base}/echo`, { method: 'POST', body: 'payload', headers: { 'content-type': 'text/x-test' } });
  assert.equal(posted.headers.get('content-type'), 'text/x-test');
  assert.equal(await posted.text(), 'payload');

  const sheep = await fetch(`${base}/sheep`);
  const text = await sheep.text();
  assert.equal(text.split('\n').length, 101);

  const missing = await fetch(`${base}/nope`);
  assert.equal(missing.status, 404);
  await missing.arrayBuffer();
  const wrong = await fetch(`${base}/hello`, { method: 'DELETE' });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get('allow'), 'GET, HEAD, OPTIONS');
  await wrong.arrayBuffer();
});

test('undici with pipelining: 100 requests over one connection, answered in order', async () => {
  const client = new Client(base, { pipelining: 10 });
  try {
    const results = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const { statusCode, body } = await client.request({ path: `/n/${i}?q=${i}`, method: 'GET' });
        return `${statusCode} ${await body.text()}`;
      }),
    );
    results.forEach((r, i) => assert.equal(r, `200 ${i}:q=${i}`));
  } finally {
    await client.close();
  }
});
