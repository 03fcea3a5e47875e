/**
 * The published package, as `npm pack` makes it, type-checked by tiny
 * consumer projects of every kind: CommonJS with the classic resolution and
 * no esModuleInterop, CommonJS and ESM under NodeNext. skipLibCheck is
 * off, so every emitted .d.ts is checked (which is what makes each check
 * take seconds: they run side by side).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from '../support.js';

const run = promisify(execFile);
let dir: string;

/** What a user writes first: a typed route, the kit's wrappers, a server. */
const APP = `import { createServer, router, json, compose, cors, requestId, jsonErrors, readJSON, type Handler } from 'weft-server';
const app = router({ formatError: jsonErrors })
  .get('/todos/:id', (req, body, p) => json({ id: p.id }))
  .post('/todos', async (req, body) => json(await readJSON(req, body), 201));
const handler: Handler = compose(requestId(), cors())(app);
export const server = createServer(handler, { formatError: jsonErrors });
`;

const KINDS: Record<string, { type: 'commonjs' | 'module'; compilerOptions: Record<string, unknown> }> = {
  'commonjs, node10 resolution, no esModuleInterop': { type: 'commonjs', compilerOptions: { module: 'commonjs', moduleResolution: 'node10' } },
  'commonjs, nodenext': { type: 'commonjs', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } },
  'esm, nodenext': { type: 'module', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } },
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-consumers-'));
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
  const tarball = join(dir, out.trim().split('\n').pop()!);
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  execFileSync('tar', ['-xzf', tarball, '-C', modules]);
  renameSync(join(modules, 'package'), join(modules, 'weft-server'));
  symlinkSync(join(ROOT, 'node_modules', '@types'), join(modules, '@types'));
  assert.ok(readdirSync(join(modules, 'weft-server', 'dist')).includes('index.d.ts'), 'the package holds its declarations');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('consumers', { concurrency: true }, () => {
for (const [kind, { type, compilerOptions }] of Object.entries(KINDS)) {
  test(`the packed .d.ts compiles in a consumer project: ${kind}`, async () => {
    const project = join(dir, kind.replace(/[^a-z0-9]+/g, '-'));
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type }));
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, esModuleInterop: false, types: ['node'], typeRoots: [join(dir, 'node_modules', '@types')], ...compilerOptions },
        files: ['app.ts'],
      }),
    );
    writeFileSync(join(project, 'app.ts'), APP);
    // node_modules one level up is found by every resolution mode.
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    try {
      await run(process.execPath, [tsc, '-p', project], { cwd: project });
    } catch (err) {
      assert.fail(`tsc failed for ${kind}:\n${(err as { stdout?: string }).stdout}`);
    }
  });
}
});
