/**
 * Where things are, independent of the directory the benchmark is run from,
 * and the checks that say what to install or build when something is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** Exits with a message saying how to get `command` when it is not on PATH. */
export function requireCommand(command, howToInstall) {
  const r = spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
  if (r.status !== 0) fail(`${command} is not installed; ${howToInstall}`);
}

/** Exits with a message when a built file is missing. */
export function requireBuilt(relativePath) {
  if (!existsSync(join(REPO_ROOT, relativePath))) {
    fail(`${relativePath} not found; run \`npm run build\` first`);
  }
}

/**
 * Why the built package cannot be benchmarked (missing, failing to load, or
 * lacking one of `exports`), or null when it can.
 */
export async function builtWeftProblem(exports) {
  const index = join(REPO_ROOT, 'dist', 'index.js');
  if (!existsSync(index)) return 'dist/index.js not found; run `npm run build` first';
  let weft;
  try {
    weft = await import(pathToFileURL(index).href);
  } catch (error) {
    return `dist/index.js failed to load (${error.message}); run \`npm run build\``;
  }
  const missing = exports.filter((name) => typeof weft[name] !== 'function');
  return missing.length === 0 ? null : `dist/index.js does not export ${missing.join(' or ')}; run \`npm run build\``;
}

/** Prints `message` to stderr and exits with status 2 (setup error, not a result). */
export function fail(message) {
  console.error(`error: ${message}`);
  process.exit(2);
}
