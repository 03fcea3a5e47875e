/**
 * serveStatic behind the real HTTP server, driven by curl (range, resume,
 * conditional) and by raw sockets (a client that disconnects mid-download).
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createServer, type Server } from '../../src/http/server.js';
import { serveStatic } from '../../src/static/index.js';
import { openFdCount, parseMultipart, removeTree } from './helpers.js';
import { BIG_SIZE, makeSite, type Site } from './fixture.js';

const run = promisify(execFile);

/** Decided when the tests are defined, so that they can be skipped. */
const curlMissing: string | false = spawnSync('curl', ['--version']).status === 0 ? false : 'curl not installed';

let site: Site;
let server: Server;
let base: string;

before(async () => {
  site = await makeSite();
  server = await createServer(serveStatic(site.root), { onError: () => {} }).listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${server.port}`;
});
after(async () => {
  await server.close();
  removeTree(site.base);
});

/** Runs curl; returns the response head (last one) and the body file's bytes. */
async function curl(args: string[], url: string): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const out = join(site.base, `curl-${Math.random().toString(36).slice(2)}`);
  const { stdout } = await run('curl', ['-s', '-D', '-', '-o', out, ...args, url], { encoding: 'latin1' });
  const heads = stdout.split('\r\n\r\n').filter((h) => h.startsWith('HTTP/'));
  const lines = heads[heads.length - 1]!.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const c = line.indexOf(':');
    headers[line.slice(0, c).toLowerCase()] = line.slice(c + 1).trim();
  }
  let body = Buffer.alloc(0);
  try {
    body = readFileSync(out);
  } catch {
    // no body written (HEAD, 304)
  }
  return { status: Number(lines[0]!.split(' ')[1]), headers, body };
}

describe('with curl', () => {
  test('plain GET and HEAD', { skip: curlMissing }, async () => {
    const r = await curl([], `${base}/fifty.txt`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, site.fifty);
    assert.equal(r.headers['content-length'], '50');
    assert.equal(r.headers['accept-ranges'], 'bytes');
    const h = await curl(['-I'], `${base}/big.bin`);
    assert.equal(h.status, 200);
    assert.equal(h.headers['content-length'], String(BIG_SIZE));
  });

  test('curl -r: one range and several', { skip: curlMissing }, async () => {
    const one = await curl(['-r', '10-19'], `${base}/fifty.txt`);
    assert.equal(one.status, 206);
    assert.equal(one.headers['content-range'], 'bytes 10-19/50');
    assert.deepEqual(one.body, site.fifty.subarray(10, 20));

    const big = await curl(['-r', '1000-1999999'], `${base}/big.bin`);
    assert.equal(big.status, 206);
    assert.ok(big.body.equals(site.big.subarray(1000, 2000000)));

    const multi = await curl(['-r', '0-4,20-24,-3'], `${base}/fifty.txt`);
    assert.equal(multi.status, 206);
    assert.equal(Number(multi.headers['content-length']), multi.body.length);
    const parts = parseMultipart(multi.body, multi.headers['content-type']!);
    assert.deepEqual(
      parts.map((p) => [p.headers['content-range'], p.data.toString('latin1')]),
      [
        ['bytes 0-4/50', site.fifty.subarray(0, 5).toString('latin1')],
        ['bytes 20-24/50', site.fifty.subarray(20, 25).toString('latin1')],
        ['bytes 47-49/50', site.fifty.subarray(47).toString('latin1')],
      ],
    );

    const bad = await curl(['-r', '60-70'], `${base}/fifty.txt`);
    assert.equal(bad.status, 416);
    assert.equal(bad.headers['content-range'], 'bytes */50');
  });

  test('curl -z: If-Modified-Since and If-Unmodified-Since', { skip: curlMissing }, async () => {
    const lm = (await curl(['-I'], `${base}/fifty.txt`)).headers['last-modified']!;
    const notModified = await curl(['-z', lm], `${base}/fifty.txt`);
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body.length, 0);
    const modified = await curl(['-z', 'Thu, 01 Jan 2015 00:00:00 GMT'], `${base}/fifty.txt`);
    assert.equal(modified.status, 200);
    assert.deepEqual(modified.body, site.fifty);
    const unmodifiedSince = await curl(['-z', '-Thu, 01 Jan 2015 00:00:00 GMT'], `${base}/fifty.txt`);
    assert.equal(unmodifiedSince.status, 412);
  });

  test('curl -C -: resuming a partial download', { skip: curlMissing }, async () => {
    const partial = join(site.base, 'partial.bin');
    writeFileSync(partial, site.big.subarray(0, 1_234_567));
    await run('curl', ['-s', '-C', '-', '-o', partial, `${base}/big.bin`]);
    assert.equal(statSync(partial).size, BIG_SIZE);
    assert.ok(readFileSync(partial).equals(site.big));
  });

  test('curl --path-as-is: traversal refused', { skip: curlMissing }, async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/link-out.txt', '/..%2fsecret.txt', '/evil/secret.txt']) {
      const r = await curl(['--path-as-is'], `${base}${path}`);
      assert.ok([400, 403, 404].includes(r.status), `${path} → ${r.status}`);
      assert.ok(!r.body.toString('latin1').includes(site.secret));
    }
  });
});

describe('raw sockets', () => {
  test('1,000 downloads aborted halfway leave no descriptor open', { skip: openFdCount() < 0 && 'needs /proc', timeout: 120_000 }, async () => {
    await server.drained();
    const start = openFdCount();
    // A FileHandle nobody closed is closed by the garbage collector, with a
    // warning: the descriptor count alone would not see that leak.
    const gcClosed: string[] = [];
    const onWarning = (w: Error): void => {
      if (/on garbage collection/.test(w.message)) gcClosed.push(w.message);
    };
    process.on('warning', onWarning);
    for (let i = 0; i < 1000; i++) {
      const s = net.connect({ port: server.port, host: '127.0.0.1' });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.write(`GET /big.bin HTTP/1.1\r\nHost: x\r\n${i % 2 ? 'Range: bytes=100-\r\n' : ''}\r\n`);
        let got = 0;
        s.on('data', (d: Buffer) => {
          got += d.length;
          if (got > 100_000) {
            s.destroy();
            resolve();
          }
        });
      });
    }
    // Every connection has ended once the server is drained; the file
    // handles they owned close on the thread pool within a few loop turns.
    await server.drained();
    for (let i = 0; i < 10_000 && openFdCount() !== start; i++) await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    assert.equal(openFdCount(), start);
    assert.deepEqual(gcClosed, []);
  });
});
