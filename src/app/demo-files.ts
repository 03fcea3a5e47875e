/**
 * Files the demo generates at start rather than ship: a large binary to show
 * ranges and resumable downloads, and a large text to show compression.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Size of the generated binary file (bytes). */
export const DEMO_BIG_FILE_SIZE = 16 * 1024 * 1024;

export type DemoFiles = { dir: string; remove: () => Promise<void> };

/** Deterministic bytes (xorshift32): the same file every run, made in milliseconds. */
function pseudoRandom(size: number): Buffer {
  const words = new Uint32Array(Math.ceil(size / 4));
  let x = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return Buffer.from(words.buffer, 0, size);
}

export async function createDemoFiles(): Promise<DemoFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-demo-'));
  await writeFile(join(dir, 'big.bin'), pseudoRandom(DEMO_BIG_FILE_SIZE));
  const line = 'weft streams, ranges and compresses this text. ';
  await writeFile(join(dir, 'text.txt'), Array.from({ length: 4000 }, (_, i) => `${i} ${line}`).join('\n'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
