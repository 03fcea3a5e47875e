/** HTTPS: the same stack over node:tls, checked with curl and undici against a certificate made here. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { bodyFromBuffer } from '../../src/http/body.js';
import { createServer, type Server } from '../../src/http/server.js';
import { hasCommands, makeSelfSignedCert, type TestCert } from '../support.js';

const run = promisify(execFile);
const hasTools = hasCommands('openssl', 'curl');

let dir: string;
let server: Server;
const makeCert = (name: string): TestCert => makeSelfSignedCert(dir, name);

let first: TestCert;
before(async () => {
  if (!hasTools) return;
  dir = mkdtempSync(join(tmpdir(), 'weft-tls-'));
  first = makeCert('first');
  server = createServer((req) => ({ code: 200, body: bodyFromBuffer(`secure=${req.secure} ${req.method} ${req.path}`) }));
  await server.listen({ port: 0, tls: { cert: first.cert, key: first.key } });
});
after(async () => {
  if (!hasTools) return;
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('curl --cacert over HTTPS, HTTP/1.1 by ALPN', { skip: !hasTools && 'openssl or curl missing' }, async () => {
  const { stdout, stderr } = await run('curl', ['-sS', '-v', '--cacert', first.certFile, `https://127.0.0.1:${server.port}/x`]);
  assert.equal(stdout, 'secure=true GET /x');
  assert.match(stderr, /ALPN.*http\/1\.1/i);
});

test('undici over HTTPS with keep-alive', { skip: !hasTools && 'openssl or curl missing' }, async () => {
  const agent = new Agent({ connect: { ca: first.cert } });
  try {
    for (let i = 0; i < 3; i++) {
      const r = await request(`https://127.0.0.1:${server.port}/k${i}`, { dispatcher: agent });
      assert.equal(await r.body.text(), `secure=true GET /k${i}`);
    }
  } finally {
    await agent.close();
  }
});

test('a failed TLS handshake does not disturb the server', { skip: !hasTools && 'openssl or curl missing' }, async () => {
  await assert.rejects(run('curl', ['-sS', `https://127.0.0.1:${server.port}/`])); // unknown CA
  const { stdout } = await run('curl', ['-sS', '--cacert', first.certFile, `https://127.0.0.1:${server.port}/ok`]);
  assert.equal(stdout, 'secure=true GET /ok');
});

test('setSecureContext swaps the certificate for new connections', { skip: !hasTools && 'openssl or curl missing' }, async () => {
  const second = makeCert('second');
  server.setSecureContext({ cert: second.cert, key: second.key });
  const peer = await new Promise<string>((resolve, reject) => {
    const s = tls.connect({ port: server.port, host: '127.0.0.1', ca: second.cert, servername: 'localhost' }, () => {
      resolve(String(s.getPeerCertificate().subject.CN));
      s.destroy();
    });
    s.on('error', reject);
  });
  assert.equal(peer, 'second');
});
