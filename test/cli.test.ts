/** The built `weft` command, run as a child process. */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { connect, hasCommands, makeSelfSignedCert, readToEnd, startProgram } from './support.js';

const run = promisify(execFile);
const CLI = 'dist/cli.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-cli-'));
  writeFileSync(join(dir, 'hello.txt'), 'hello from a temp dir\n');
  writeFileSync(join(dir, 'big.bin'), Buffer.alloc(48 * 1024 * 1024, 7));
  writeFileSync(join(dir, 'page.html'), '<p>compress me</p>\n'.repeat(500));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the command to completion; resolves with its exit code and output. */
async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { timeout: 10_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('--help prints the usage and exits 0', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: weft \[dir\] \[options\]/);
  for (const flag of ['--port', '--host', '--demo', '--cors', '--spa', '--no-listing', '--no-compression', '--cache-max-age', '--tls-cert', '--tls-key', '--workers', '--log', '--quiet', '--pubsub']) {
    assert.ok(r.stdout.includes(flag), flag);
  }
});

test('a bad flag or value: one clear line, exit 2, no stack trace', async () => {
  for (const args of [['--bogus'], ['--port', 'abc'], ['--port', '70000'], ['--log', 'xml'], ['--workers', '0'], ['--tls-cert', 'x'],
    ['--pubsub', 'redis://h'], ['--demo', '--pubsub', 'http://h'], ['--demo', '--pubsub', 'redis://u:hunter2@h/x']]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /^weft: .+\nTry 'weft --help'\.\n$/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.doesNotMatch(r.stderr, /hunter2/, 'no password in messages');
  }
});

test('a missing directory is an error, exit 1', async () => {
  const r = await runCli([join(dir, 'nope'), '--port', '0']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no such directory/);
});

test('a busy port: one line, exit 1', async () => {
  const first = await startProgram(CLI, [dir]);
  try {
    const r = await runCli([dir, '--port', String(first.port)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^weft: port \d+ on 127\.0\.0\.1 is already in use.*\n$/);
  } finally {
    await first.stop();
  }
});

test('serves a directory, prints its URL, logs requests', async () => {
  const p = await startProgram(CLI, [dir, '--log', 'json']);
  try {
    const r = await fetch(`http://127.0.0.1:${p.port}/hello.txt`);
    assert.equal(await r.text(), 'hello from a temp dir\n');
    assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
    const line = await new Promise<string>((resolve) => p.child.stdout!.once('data', (d) => resolve(String(d))));
    assert.equal(JSON.parse(line).path, '/hello.txt');
  } finally {
    await p.stop();
  }
});

test('--demo: the demo site, /sheep streams, /echo echoes, generated files have ranges', async () => {
  const p = await startProgram(CLI, ['--demo', '--log', 'off']);
  try {
    const base = `http://127.0.0.1:${p.port}`;
    const index = await fetch(`${base}/`);
    assert.match(await index.text(), /<title>weft demo<\/title>/);
    const sheep = await fetch(`${base}/sheep`);
    const reader = sheep.body!.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), '0\n');
    await reader.cancel();
    const echo = await fetch(`${base}/echo`, { method: 'POST', body: 'round trip' });
    assert.equal(await echo.text(), 'round trip');
    const range = await fetch(`${base}/files/big.bin`, { headers: { range: 'bytes=0-99' } });
    assert.equal(range.status, 206);
    assert.equal((await range.arrayBuffer()).byteLength, 100);
  } finally {
    await p.stop();
  }
});

test('compression by default, none with --no-compression', async () => {
  for (const [args, expected] of [[[], 'gzip'], [['--no-compression'], null]] as const) {
    const p = await startProgram(CLI, [dir, '--log', 'off', ...args]);
    try {
      const r = await fetch(`http://127.0.0.1:${p.port}/page.html`, { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(r.headers.get('content-encoding'), expected);
      assert.equal((await r.text()).length, '<p>compress me</p>\n'.length * 500);
    } finally {
      await p.stop();
    }
  }
});

test('--cors answers preflight and marks responses', async () => {
  const p = await startProgram(CLI, [dir, '--cors', '--log', 'off']);
  try {
    const pre = await fetch(`http://127.0.0.1:${p.port}/hello.txt`, {
      method: 'OPTIONS',
      headers: { origin: 'http://elsewhere.example', 'access-control-request-method': 'GET' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    const get = await fetch(`http://127.0.0.1:${p.port}/hello.txt`);
    assert.equal(get.headers.get('access-control-allow-origin'), '*');
    await get.arrayBuffer();
  } finally {
    await p.stop();
  }
});

test('--workers 2 answers from two processes', async () => {
  const p = await startProgram(CLI, [dir, '--workers', '2', '--expose-pid', '--log', 'off']);
  try {
    const pids = new Set<number>();
    for (let i = 0; i < 40 && pids.size < 2; i++) pids.add(await answeringPid(p.port));
    assert.equal(pids.size, 2);
    assert.ok(!pids.has(p.child.pid!), 'answers come from workers, not the primary');
  } finally {
    await p.stop();
  }
});

const hasOpenssl = hasCommands('openssl', 'curl');

test('--tls-cert/--tls-key: HTTPS that curl trusts with --cacert', { skip: !hasOpenssl && 'openssl or curl missing' }, async () => {
  const { keyFile: key, certFile: cert } = makeSelfSignedCert(dir);
  const p = await startProgram(CLI, [dir, '--tls-cert', cert, '--tls-key', key, '--log', 'off']);
  try {
    const { stdout } = await run('curl', ['-sS', '--cacert', cert, `https://127.0.0.1:${p.port}/hello.txt`]);
    assert.equal(stdout, 'hello from a temp dir\n');
    await assert.rejects(run('curl', ['-sS', `https://127.0.0.1:${p.port}/hello.txt`])); // untrusted without it
  } finally {
    await p.stop();
  }
});

/** Which process answered: one request on a fresh connection, bounded in time. */
async function answeringPid(port: number): Promise<number> {
  const s = await connect(port);
  s.setTimeout(2000, () => s.destroy()); // a connection handed to a dying worker is never answered
  const all = readToEnd(s);
  s.write('GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const m = /\r\nx-weft-pid: (\d+)\r\n/i.exec((await all).toString('latin1'));
  if (m === null) throw new Error('no answer');
  return Number(m[1]);
}

test('--workers: a worker that dies is replaced', async () => {
  const p = await startProgram(CLI, [dir, '--workers', '2', '--expose-pid', '--log', 'off']);
  try {
    // Both workers listening first: with --port 0, a shared socket whose
    // every worker died would be re-bound on another port.
    const before = new Set<number>();
    for (let i = 0; i < 40 && before.size < 2; i++) before.add(await answeringPid(p.port));
    assert.equal(before.size, 2);
    const [victim] = before;
    process.kill(victim!, 'SIGKILL');
    // Requests keep being answered, and a new worker shows up beside the survivor.
    const seen = new Set<number>();
    for (let i = 0; i < 200 && seen.size < 2; i++) {
      const pid = await answeringPid(p.port).catch(() => 0);
      if (pid !== 0 && pid !== victim) seen.add(pid);
    }
    assert.equal(seen.size, 2, `answered by ${[...seen].join(', ')}`);
  } finally {
    await p.stop();
  }
});

test('SIGTERM during a slow download lets it finish, then the process exits 0', async () => {
  const child = spawn(process.execPath, [CLI, dir, '--port', '0', '--log', 'off'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => {
    child.stdout!.on('data', (d) => {
      const m = /:(\d+)\//.exec(String(d));
      if (m) resolve(Number(m[1]));
    });
  });
  const s = await connect(port);
  let received = 0;
  let headSeen = false;
  const gotHead = new Promise<void>((resolve) =>
    s.on('data', (d: Buffer) => {
      received += d.length;
      if (!headSeen) {
        headSeen = true;
        s.pause(); // a slow client: stop reading for now
        resolve();
      }
    }),
  );
  const ended = new Promise<void>((resolve) => s.on('end', resolve));
  s.write('GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n');
  await gotHead;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  // The server must not accept new connections while it drains...
  await assert.rejects(
    (async () => {
      for (;;) (await connect(port)).destroy();
    })(),
  );
  // ...and the download in flight completes.
  s.resume();
  await ended;
  const [code] = await exited;
  assert.equal(code, 0);
  assert.ok(received > 48 * 1024 * 1024, `received ${received}`);
});
