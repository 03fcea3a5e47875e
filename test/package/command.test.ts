/**
 * The command as a user gets it: `npm pack`, the tarball installed into a
 * fresh temporary project (offline: it has no dependencies), then
 * `npx weft-server ./site` run from there.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { Output } from '../cli/support.js';
import { ROOT } from '../support.js';

const run = promisify(execFile);
let dir: string;
let project: string;
let tarball: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-npx-'));
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT });
  tarball = join(dir, stdout.trim().split('\n').pop()!);
  project = join(dir, 'project');
  mkdirSync(join(project, 'site'), { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'a-site', private: true }));
  writeFileSync(join(project, 'site', 'hello.txt'), 'hello from npx\n');
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: project });
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the tarball holds the command, the library and the demo, not the sources or tests', async () => {
  const { stdout } = await run('tar', ['-tzf', tarball]);
  const files = stdout.split('\n');
  for (const f of ['package/dist/cli.js', 'package/dist/index.js', 'package/dist/index.d.ts', 'package/demo/index.html', 'package/README.md']) {
    assert.ok(files.includes(f), f);
  }
  assert.ok(!files.some((f) => /^package\/(src|test|bench|dist\/examples)\//.test(f)), 'no sources, tests or examples');
  const pkg = JSON.parse(readFileSync(join(project, 'node_modules', 'weft-server', 'package.json'), 'utf8'));
  assert.deepEqual(pkg.bin, { weft: 'dist/cli.js', 'weft-server': 'dist/cli.js' });
});

test('npx weft-server ./site serves it; npx weft is the same command', async () => {
  const version = await run('npx', ['--no-install', 'weft', '--version'], { cwd: project });
  assert.equal(version.stdout.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);

  const child = spawn('npx', ['--no-install', 'weft-server', './site', '--port', '0', '--log', 'off'], {
    cwd: project,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true, // npx runs the command in a child: the group is stopped as one
  });
  const exited = once(child, 'exit');
  try {
    const out = new Output(child.stdout);
    const m = await out.waitFor(/^weft listening on http:\/\/127\.0\.0\.1:(\d+)\/ \(serving (.*)\)$/m);
    assert.equal(m[2], join(project, 'site'));
    const r = await fetch(`http://127.0.0.1:${m[1]}/hello.txt`);
    assert.equal(await r.text(), 'hello from npx\n');
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
});
