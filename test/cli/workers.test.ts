/**
 * `weft --workers N`: the banner once every worker listens, a dead worker
 * replaced, a busy port fatal at once, SIGHUP checked by the primary and
 * passed on, shutdown reported across workers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect, readToEnd } from '../support.js';
import { runWeft, startWeft, stopAll } from './support.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-workers-'));
  writeFileSync(join(dir, 'hello.txt'), 'hello\n');
  writeFileSync(join(dir, 'big.bin'), Buffer.alloc(48 * 1024 * 1024, 7));
  writeFileSync(join(dir, 'weft.json'), JSON.stringify({ headers: [{ source: '/**', headers: { 'X-Version': '1' } }] }));
});
after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

/** Which process answered, and its X-Version: one request on a fresh connection, bounded in time. */
async function answer(port: number): Promise<{ pid: number; version: string }> {
  const s = await connect(port);
  s.setTimeout(5000, () => s.destroy()); // a connection handed to a dying worker is never answered
  const all = readToEnd(s);
  s.write('GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const text = (await all).toString('latin1');
  const pid = /\r\nx-weft-pid: (\d+)\r\n/i.exec(text);
  if (pid === null) throw new Error('no answer');
  return { pid: Number(pid[1]), version: /\r\nx-version: (\w+)\r\n/i.exec(text)?.[1] ?? '' };
}

test('--workers 2: both answer as soon as the banner is out; a worker that dies is replaced', async () => {
  const w = await startWeft([dir, '--workers', '2', '--expose-pid', '--log', 'off']);
  assert.match(w.out.text, /\(serving .*, 2 workers\)\n/);
  // The banner waits for every worker: connections alternate between them from the first one.
  const first = new Set<number>();
  for (let i = 0; i < 40 && first.size < 2; i++) first.add((await answer(w.port)).pid);
  assert.equal(first.size, 2);
  assert.ok(!first.has(w.child.pid!), 'answers come from workers, not the primary');

  const [victim] = first;
  process.kill(victim!, 'SIGKILL');
  await w.err.waitFor(new RegExp(`^weft: worker ${victim} exited \\(SIGKILL\\); starting another$`, 'm'));
  // Requests keep being answered, and a new worker shows up beside the survivor.
  const seen = new Set<number>();
  for (let i = 0; i < 400 && seen.size < 2; i++) {
    const pid = (await answer(w.port).catch(() => ({ pid: 0 }))).pid;
    if (pid !== 0 && pid !== victim) seen.add(pid);
  }
  assert.equal(seen.size, 2, `answered by ${[...seen].join(', ')}`);
  await w.stop();
});

test('--workers: a worker restarted after the config file broke cannot start, and the workers serving go on', async () => {
  const site = mkdtempSync(join(tmpdir(), 'weft-workers-broken-'));
  try {
    writeFileSync(join(site, 'hello.txt'), 'hello\n');
    writeFileSync(join(site, 'weft.json'), '{}');
    const w = await startWeft([site, '--workers', '2', '--expose-pid', '--log', 'off']);
    const { pid: victim } = await answer(w.port);
    writeFileSync(join(site, 'weft.json'), '{ "cleanUrls": "yes" }'); // edited, never reloaded
    process.kill(victim, 'SIGKILL');
    await w.err.waitFor(/^weft: worker \d+ cannot start: .*weft\.json:1:16: cleanUrls must be/m);
    const survivor = await answer(w.port);
    assert.notEqual(survivor.pid, victim);
    assert.equal(w.child.exitCode, null, 'the primary still runs');
    await w.stop();
  } finally {
    rmSync(site, { recursive: true, force: true });
  }
});

test('--workers on a busy port: one line, exit 1, no restart loop', async () => {
  const first = await startWeft([dir, '--log', 'off']);
  const r = await runWeft([dir, '--port', String(first.port), '--workers', '2']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `weft: port ${first.port} on 127.0.0.1 is already in use (try --port 0 for any free port)\n`);
  assert.equal(r.stdout, '');
  await first.stop();
});

test('--workers: SIGHUP is checked once by the primary, then every worker reloads; shutdown counts every worker\'s connections', async () => {
  const w = await startWeft([dir, '--workers', '2', '--expose-pid', '--log', 'off']);
  const config = join(dir, 'weft.json');

  writeFileSync(config, '{ "headers": [ }');
  let from = w.err.text.length;
  w.child.kill('SIGHUP');
  await w.err.waitFor(/^weft: SIGHUP: not reloaded, the old config and certificate stay: .*weft\.json:1:16: unexpected "}": expected a value$/m, from);

  writeFileSync(config, JSON.stringify({ headers: [{ source: '/**', headers: { 'X-Version': '2' } }] }));
  from = w.err.text.length;
  w.child.kill('SIGHUP');
  await w.err.waitFor(/^weft: reloaded .*weft\.json$/m, from);
  // Workers reload on the primary's word: each answers with the new header once it has.
  const updated = new Set<number>();
  for (let i = 0; i < 400 && updated.size < 2; i++) {
    const a = await answer(w.port);
    if (a.version === '2') updated.add(a.pid);
  }
  assert.equal(updated.size, 2, 'both workers reloaded');
  assert.equal(w.err.text.match(/not reloaded/g)?.length, 1, 'the broken file was reported once, not per worker');

  // A slow download on one worker; shutdown says so, and waits for it.
  const s = await connect(w.port);
  const head = new Promise<void>((resolve) => s.once('data', () => (s.pause(), resolve())));
  s.write('GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n');
  await head;
  let received = 0;
  s.on('data', (d: Buffer) => (received += d.length));
  const ended = new Promise<void>((resolve) => s.on('end', resolve));
  w.child.kill('SIGTERM');
  await w.err.waitFor(/^weft: shutting down: waiting for 1 connection \(10 s; Ctrl-C again to force\)$/m);
  s.resume();
  await ended;
  assert.deepEqual(await w.exited, [0, null]);
  assert.ok(received > 40 * 1024 * 1024);
});
