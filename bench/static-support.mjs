/**
 * What bench/static.mjs and bench/compress.mjs share: a throwaway directory
 * of files to serve, the check that dist/ has serveStatic, and the specs of
 * weft's and node:http's file servers (bench/servers/static-*.mjs).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_DIR, REPO_ROOT, fail } from './lib/paths.mjs';

/** Exits with what to do when dist/index.js is missing or lacks createServer and serveStatic. */
export async function requireWeftStatic() {
  const index = join(REPO_ROOT, 'dist', 'index.js');
  if (!existsSync(index)) fail('dist/index.js not found; run `npm run build` first');
  let weft;
  try {
    weft = await import(pathToFileURL(index).href);
  } catch (error) {
    fail(`dist/index.js failed to load (${error.message}); run \`npm run build\``);
  }
  const missing = ['createServer', 'serveStatic'].filter((name) => typeof weft[name] !== 'function');
  if (missing.length > 0) fail(`dist/index.js does not export ${missing.join(' or ')}; run \`npm run build\``);
}

/** A fresh temp directory, removed when the process exits (normally or on SIGINT/SIGTERM). */
export function benchDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', remove);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      remove();
      process.exit(130);
    });
  }
  return dir;
}

/**
 * weft's file server (bench/servers/static-weft.mjs) with `mounts`:
 * `[{ prefix, root, options }]`, serveStatic options per URL prefix.
 */
export function weftStaticServer(mounts) {
  return {
    command: [process.execPath, join(BENCH_DIR, 'servers', 'static-weft.mjs')],
    env: { WEFT_MOUNTS: JSON.stringify(mounts) },
  };
}

/** node:http + fs.createReadStream (bench/servers/static-node.mjs) serving `root`; `gzip` pipes through zlib.createGzip(). */
export function nodeStaticServer(root, { gzip = false } = {}) {
  return {
    command: [process.execPath, join(BENCH_DIR, 'servers', 'static-node.mjs')],
    env: { ROOT: root, GZIP: gzip ? '1' : '0' },
  };
}
