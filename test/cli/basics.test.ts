/**
 * The built `weft` command: usage, defaults (the current directory), the
 * demo, compression, HTTPS and its reload, addresses, --open, shutdown and
 * hash-password. Each test starts as few processes as it can.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { networkUrls } from '../../src/app/addresses.js';
import { verifyPassword } from '../../src/kit/basic-auth.js';
import { connect, hasCommands, makeSelfSignedCert } from '../support.js';
import { openClient, type Client } from '../ws/client.js';
import { runWeft, startWeft, stopAll } from './support.js';

const run = promisify(execFile);
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-cli-'));
  writeFileSync(join(dir, 'hello.txt'), 'hello from a temp dir\n');
  writeFileSync(join(dir, 'page.html'), '<p>compress me</p>\n'.repeat(500));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'a.txt'), 'a');
});
after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

test('--help prints the usage and every flag, and exits 0', async () => {
  const r = await runWeft(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: weft \[dir\] \[options\]\n {7}weft hash-password/);
  for (const flag of ['--port', '--host', '--open', '--config', '--demo', '--cors', '--spa', '--no-listing', '--no-clean-urls', '--auth', '--no-compression',
    '--cache-control', '--cache-max-age', '--immutable', '--tls-cert', '--tls-key', '--workers', '--log', '--quiet', '--shutdown-timeout', '--pubsub']) {
    assert.ok(r.stdout.includes(flag), flag);
  }
  const v = await runWeft(['--version']);
  assert.equal(v.stdout.trim(), JSON.parse(readFileSync('package.json', 'utf8')).version);
});

test('a bad flag or value: one clear line, exit 2, no stack trace', async () => {
  for (const args of [['--bogus'], ['--port', 'abc'], ['--log', 'xml'], ['--workers', '0'], ['--tls-cert', 'x'], ['--auth', 'nocolon'],
    ['--pubsub', 'redis://h'], ['--demo', '--pubsub', 'http://h'], ['--demo', '--pubsub', 'redis://u:hunter2@h/x']]) {
    const r = await runWeft(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /^weft: .+\nTry 'weft --help'\.\n$/);
    assert.doesNotMatch(r.stderr, /hunter2/, 'no password in messages');
  }
});

test('a missing directory, a bad certificate, a broken config, a config\'s pubsub without --demo: one message, exit 1', async () => {
  const missing = await runWeft([join(dir, 'nope'), '--port', '0']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^weft: .*nope: no such directory\n$/);
  const cert = await runWeft([dir, '--port', '0', '--tls-cert', join(dir, 'hello.txt'), '--tls-key', join(dir, 'hello.txt')]);
  assert.equal(cert.code, 1);
  assert.match(cert.stderr, /^weft: the TLS certificate .*hello\.txt is not usable: .*\n$/);
  writeFileSync(join(dir, 'broken.json'), '{\n  "cleanUrls": "yes"\n}\n');
  const config = await runWeft([dir, '--port', '0', '--config', join(dir, 'broken.json')]);
  assert.equal(config.code, 1);
  assert.equal(config.stderr, `weft: ${join(dir, 'broken.json')}:2:16: cleanUrls must be true, false or "redirect", not "yes"\n`);
  writeFileSync(join(dir, 'pubsub.json'), '{ "pubsub": "redis://127.0.0.1:1" }');
  const pubsub = await runWeft([dir, '--port', '0', '--config', join(dir, 'pubsub.json')]);
  assert.equal(pubsub.code, 1);
  assert.equal(pubsub.stderr, `weft: ${join(dir, 'pubsub.json')}: pubsub carries the demo chat room: use it with --demo\n`);
});

test('weft with no directory serves the current one; 0.0.0.0 prints the LAN addresses; --open opens it', { skip: !hasCommands('curl') && 'curl missing' }, async () => {
  // The "browser" asks for a page the test then sees in the access log.
  const browser = join(dir, 'fake-browser.sh');
  writeFileSync(browser, '#!/bin/sh\nexec curl -s -o /dev/null "${1}hello.txt?opened-by-browser"\n');
  chmodSync(browser, 0o755);
  const w = await startWeft(['--host', '0.0.0.0', '--open'], { cwd: dir, env: { BROWSER: browser } });
  const banner = w.out.text.split('\n')[0]!;
  assert.equal(banner, `weft listening on http://localhost:${w.port}/ (serving ${dir})`);
  const lan = networkUrls('http', '0.0.0.0', w.port);
  for (const url of lan) await w.out.waitFor(new RegExp(`^  on your network: ${url.replace(/[.[\]]/g, '\\$&')}$`, 'm'));
  assert.ok(lan.every((u) => !u.includes('127.0.0.1')), 'loopback is not a LAN address');
  await w.out.waitFor(/"GET \/hello\.txt\?opened-by-browser HTTP\/1\.1" 200 /);

  const r = await fetch(`${w.base}/hello.txt`);
  assert.equal(await r.text(), 'hello from a temp dir\n');
  assert.equal(r.headers.get('cache-control'), 'no-cache', 'revalidate every time, without "public"');
  const listing = await fetch(`${w.base}/`);
  assert.match(await listing.text(), /<title>Index of \/<\/title>/);
  await w.stop();
});

/** The next chat message `c` hears, as [event or "said", name]. */
const heard = async (c: Client): Promise<[string, string]> => {
  const m = JSON.parse(String((await c.next()).data)) as { event?: string; name: string };
  return [m.event ?? 'said', m.name];
};

test('--demo: the demo site with its routes, favicon, generated files; one chat room across a SIGHUP; files removed at shutdown', { timeout: 30_000 }, async () => {
  const { w, generated } = await startDemo(['--log', 'off']);
  const index = await fetch(`${w.base}/`);
  assert.match(await index.text(), /<title>weft demo<\/title>/);
  assert.match((await fetch(`${w.base}/favicon.svg`)).headers.get('content-type')!, /^image\/svg\+xml/);
  const sheep = await fetch(`${w.base}/sheep`);
  const reader = sheep.body!.getReader();
  assert.equal(new TextDecoder().decode((await reader.read()).value), '0\n');
  await reader.cancel();
  const echo = await fetch(`${w.base}/echo`, { method: 'POST', body: 'round trip' });
  assert.equal(await echo.text(), 'round trip');
  const range = await fetch(`${w.base}/files/big.bin`, { headers: { range: 'bytes=0-99' } });
  assert.equal(range.status, 206);
  assert.equal((await range.arrayBuffer()).byteLength, 100);
  assert.equal(generated().length, 1);

  // A reload rebuilds the routes, not the room: a member from before hears one who joins after.
  const ann = await openClient(w.port, { path: '/ws/chat?name=ann' });
  assert.deepEqual(await heard(ann), ['join', 'ann']);
  w.child.kill('SIGHUP');
  await w.err.waitFor(/^weft: reloaded the settings$/m);
  const bob = await openClient(w.port, { path: '/ws/chat?name=bob' });
  assert.deepEqual(await heard(bob), ['join', 'bob']);
  assert.deepEqual(await heard(ann), ['join', 'bob']);
  await bob.close();
  assert.deepEqual(await heard(ann), ['leave', 'bob']);
  await ann.close();

  w.child.kill('SIGTERM');
  assert.deepEqual(await w.exited, [0, null]);
  assert.deepEqual(generated(), [], 'the generated files are gone');
});

/** A demo whose generated files go to a temporary directory of its own (TMPDIR), to watch them come and go. */
async function startDemo(args: string[]): Promise<{ w: Awaited<ReturnType<typeof startWeft>>; tmp: string; generated: () => string[] }> {
  const tmp = mkdtempSync(join(dir, 'tmp-'));
  const w = await startWeft(['--demo', ...args], { env: { TMPDIR: tmp } });
  return { w, tmp, generated: () => readdirSync(tmp).filter((n) => n.startsWith('weft-demo-')) };
}

/** A client that asks for `path` and reads only the response head, leaving the rest unread. */
async function slowDownload(port: number, path: string): Promise<import('node:net').Socket> {
  const s = await connect(port);
  await new Promise<void>((resolve) =>
    s.once('data', () => {
      s.pause(); // a slow client: stop reading for now
      resolve();
    }).write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`),
  );
  return s;
}

test('shutdown says what it waits for; its deadline cuts a download, which the log marks as aborted', async () => {
  writeFileSync(join(dir, 'big.bin'), Buffer.alloc(48 * 1024 * 1024, 7));
  const w = await startWeft([dir, '--log', 'json', '--shutdown-timeout', '1']);
  const s = await slowDownload(w.port, '/big.bin');
  w.child.kill('SIGTERM');
  await w.err.waitFor(/^weft: shutting down: waiting for 1 connection \(1 s; Ctrl-C again to force\)$/m);
  const line = await w.out.waitFor(/^\{.*"aborted":true.*\}$/m);
  const entry = JSON.parse(line[0]);
  assert.equal(entry.path, '/big.bin');
  assert.equal(entry.status, 200);
  assert.ok(entry.bytes > 0 && entry.bytes < 48 * 1024 * 1024, `sent ${entry.bytes}`);
  assert.deepEqual(await w.exited, [0, null]);
  s.destroy();
});

test('a second Ctrl-C forces the exit, and the generated demo files are still removed', async () => {
  const { w, generated } = await startDemo(['--log', 'off']);
  const s = await slowDownload(w.port, '/sheep'); // a response that takes 100 s
  w.child.kill('SIGINT');
  await w.err.waitFor(/waiting for 1 connection \(10 s; Ctrl-C again to force\)/);
  assert.equal(generated().length, 1);
  w.child.kill('SIGINT');
  assert.deepEqual(await w.exited, [1, null]);
  s.destroy();
  assert.deepEqual(generated(), []);
});

test('SIGTERM during a slow download lets it finish, then the process exits 0', async () => {
  const w = await startWeft([dir, '--log', 'off']);
  const s = await slowDownload(w.port, '/big.bin');
  let received = 0;
  s.on('data', (d: Buffer) => (received += d.length));
  const ended = new Promise<void>((resolve) => s.on('end', resolve));
  w.child.kill('SIGTERM');
  await w.err.waitFor(/waiting for 1 connection/);
  // No new connections while it drains...
  await assert.rejects(connect(w.port));
  // ...and the download in flight completes.
  s.resume();
  await ended;
  assert.deepEqual(await w.exited, [0, null]);
  assert.ok(received > 40 * 1024 * 1024, `received ${received}`);
  rmSync(join(dir, 'big.bin'));
});

test('compression by default, none with --no-compression', async () => {
  for (const [args, expected] of [[[], 'gzip'], [['--no-compression'], null]] as const) {
    const w = await startWeft([dir, '--log', 'off', ...args]);
    const r = await fetch(`${w.base}/page.html`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(r.headers.get('content-encoding'), expected);
    assert.equal((await r.text()).length, '<p>compress me</p>\n'.length * 500);
    await w.stop();
  }
});

const hasOpenssl = hasCommands('openssl', 'curl');

test('HTTPS; SIGHUP with a bad key keeps serving the old certificate (one line naming the file), a good pair replaces it', { skip: !hasOpenssl && 'openssl or curl missing' }, async () => {
  const first = makeSelfSignedCert(dir, 'first');
  const second = makeSelfSignedCert(dir, 'second');
  const cert = join(dir, 'live.crt');
  const key = join(dir, 'live.key');
  copyFileSync(first.certFile, cert);
  copyFileSync(first.keyFile, key);
  const w = await startWeft([dir, '--no-config', '--tls-cert', cert, '--tls-key', key, '--log', 'off']);
  const url = `https://127.0.0.1:${w.port}/hello.txt`;
  assert.equal((await run('curl', ['-sS', '--cacert', first.certFile, url])).stdout, 'hello from a temp dir\n');
  await assert.rejects(run('curl', ['-sS', url])); // untrusted without it

  copyFileSync(second.keyFile, key); // the key no longer matches the certificate
  w.child.kill('SIGHUP');
  await w.err.waitFor(new RegExp(`^weft: SIGHUP: not reloaded, the old config and certificate stay: the TLS key ${key} does not go with the certificate ${cert}: key values mismatch$`, 'm'));
  rmSync(key);
  const from = w.err.text.length;
  w.child.kill('SIGHUP');
  await w.err.waitFor(new RegExp(`cannot read the TLS key ${key}: no such file`), from);
  assert.equal((await run('curl', ['-sS', '--cacert', first.certFile, url])).stdout, 'hello from a temp dir\n', 'still the old certificate');

  copyFileSync(second.certFile, cert);
  copyFileSync(second.keyFile, key);
  w.child.kill('SIGHUP');
  await w.err.waitFor(/^weft: reloaded the settings and the certificate$/m);
  assert.equal((await run('curl', ['-sS', '--cacert', second.certFile, url])).stdout, 'hello from a temp dir\n', 'the new one');
  assert.equal(w.child.exitCode, null, 'never killed by a reload');
  await w.stop();
});

test('a busy port: one line, exit 1', async () => {
  const first = await startWeft([dir, '--log', 'off']);
  const r = await runWeft([dir, '--port', String(first.port)]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^weft: port \d+ on 127\.0\.0\.1 is already in use.*\n$/);
  await first.stop();
});

test('hash-password: a hash of the line on stdin, which --auth and basicAuth accept', async () => {
  const r = await runWeft(['hash-password'], { input: 'correct horse\n' });
  assert.equal(r.code, 0, r.stderr);
  const hash = r.stdout.trim();
  assert.match(hash, /^\$scrypt\$ln=14,r=8,p=5\$/);
  assert.ok(await verifyPassword('correct horse', hash));
  assert.ok(!(await verifyPassword('correct horse\n', hash)));
  const empty = await runWeft(['hash-password'], { input: '\n' });
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /empty password/);
});
