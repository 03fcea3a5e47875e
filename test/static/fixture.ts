/** A temporary site for the handler tests: files with known bytes and old mtimes, directories, symlinks. */
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_SETTLE_MS } from '../../src/static/options.js';
import { makeTempDir, patternBytes, PAST } from './helpers.js';

export type Site = {
  /** Parent temp directory (remove it when done). */
  base: string;
  /** The served root. */
  root: string;
  fifty: Buffer;
  big: Buffer;
  secret: string;
};

/** Larger than the default per-file cache limit, so it is always streamed from the file. */
export const BIG_SIZE = 3 * 1024 * 1024 + 123;

/**
 * Builds the site and waits until its files are settled (CACHE_SETTLE_MS:
 * files changed less than a second ago are not cached).
 */
export async function makeSite(): Promise<Site> {
  const base = makeTempDir();
  const root = join(base, 'root');
  const secret = 'TOP-SECRET-' + Math.random().toString(36).slice(2);
  const fifty = patternBytes(50);
  const big = patternBytes(BIG_SIZE);
  const files: Record<string, Buffer | string> = {
    'fifty.txt': fifty,
    'big.bin': big,
    'empty.txt': '',
    'index.html': '<h1>home</h1>',
    'app.js': 'console.log(1)',
    'sub/b.txt': 'b',
    'sub/a file & <x>.txt': 'weird',
    'sub/.hidden': 'hidden',
    'sub/zdir/inner.txt': 'inner',
    'withindex/index.html': '<p>sub index</p>',
    '.env': secret,
    '.well-known/security.txt': 'Contact: mailto:x@example.com',
    '.well-known/.hidden': secret,
    'x%5cname': 'literal name', // a file whose name contains "%5c" literally
  };
  mkdirSync(join(root, 'sub', 'zdir'), { recursive: true });
  mkdirSync(join(root, 'withindex'));
  mkdirSync(join(root, '.well-known'));
  mkdirSync(join(root, 'emptydir'));
  for (const [name, data] of Object.entries(files)) writeFileSync(join(root, name), data);
  // Outside the root: a directory, and a sibling whose name has the root's as a prefix.
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(base, 'outside', 'secret.txt'), secret);
  mkdirSync(join(base, 'root-evil'));
  writeFileSync(join(base, 'root-evil', 'secret.txt'), secret);
  writeFileSync(join(base, 'secret.txt'), secret);
  symlinkSync(join(base, 'outside', 'secret.txt'), join(root, 'link-out.txt'));
  symlinkSync(join(base, 'outside'), join(root, 'dir-out'));
  symlinkSync('../root-evil', join(root, 'evil'));
  symlinkSync('fifty.txt', join(root, 'link-in.txt'));
  symlinkSync('sub', join(root, 'sub-link'));
  for (const name of [...Object.keys(files), 'link-in.txt']) utimesSync(join(root, name), PAST / 1000, PAST / 1000);
  await new Promise((r) => setTimeout(r, CACHE_SETTLE_MS + 50));
  return { base, root, fifty, big, secret };
}
