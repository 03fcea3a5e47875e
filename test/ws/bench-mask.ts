/**
 * Not a test: measures unmasking speed and prints it. Each implementation
 * runs in its own process so that neither deoptimises the other.
 *   node --import tsx test/ws/bench-mask.ts
 */
import { spawnSync } from 'node:child_process';
import { unmask } from '../../src/ws/mask.js';

function byteLoop(buf: Uint8Array, key: Uint8Array, phase: number): void {
  for (let i = 0; i < buf.length; i++) buf[i] ^= key[(i + phase) & 3]!;
}

const which = process.argv[2];
if (which === undefined) {
  for (const impl of ['weft', 'byte-loop']) {
    spawnSync(process.execPath, ['--import', 'tsx', process.argv[1]!, impl], { stdio: 'inherit' });
  }
} else {
  const fn = which === 'weft' ? unmask : byteLoop;
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  for (const size of [16, 32, 64, 125, 1024, 64 * 1024]) {
    const buf = Buffer.alloc(size + 1).subarray(1); // misaligned on purpose
    const iters = Math.max(1000, Math.floor(50_000_000 / size));
    for (let i = 0; i < 10_000; i++) fn(buf, key, i & 3);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) fn(buf, key, i & 3);
    const ns = Number(process.hrtime.bigint() - t0) / iters;
    console.log(`${which.padEnd(9)} ${String(size).padStart(6)} B: ${ns.toFixed(1).padStart(9)} ns  ${(size / ns).toFixed(2)} GB/s`);
  }
}
