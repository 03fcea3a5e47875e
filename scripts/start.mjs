// `npm start`: runs the built command (dist/cli.js) with the arguments
// given, rebuilding first only when a source is newer than the last build,
// and then incrementally (tsc --incremental: unchanged files are neither
// checked again nor emitted). A fresh build starts in a fraction of a second.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, 'node_modules', '.cache', 'weft');
const STAMP = join(CACHE, 'build.stamp'); // written after each build this script runs
const BUILD_INFO = join(CACHE, 'build.tsbuildinfo');
const CLI = join(ROOT, 'dist', 'cli.js');

/** The newest modification time (ms) under `path`. */
function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs; // a deleted file changes its directory
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

const sources = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'].map((p) => join(ROOT, p));
const built = existsSync(CLI) && existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
if (built === 0 || sources.some((p) => newest(p) > built)) {
  // Without dist/ the build info would say everything is emitted already.
  if (!existsSync(CLI)) rmSync(BUILD_INFO, { force: true });
  mkdirSync(CACHE, { recursive: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const started = Date.now();
  process.stderr.write('weft: building dist/ ... ');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--incremental', '--tsBuildInfoFile', BUILD_INFO], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    process.exit(1);
  }
  writeFileSync(STAMP, '');
  process.stderr.write(`${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
process.argv.splice(1, 1, CLI);
await import(pathToFileURL(CLI).href);

