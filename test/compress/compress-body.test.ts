import assert from 'node:assert/strict';
import { randomBytes, randomFillSync } from 'node:crypto';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { activeCompressors, compressBody, compressBuffer } from '../../src/compress/compress-body.js';
import type { Coding } from '../../src/compress/negotiate.js';
import { DEFAULT_BROTLI_WINDOW_BITS } from '../../src/compress/limits.js';
import { bodyFromBuffer, bodyFromGenerator } from '../../src/http/body.js';
import type { BodyReader } from '../../src/http/types.js';

const CODINGS: readonly Coding[] = ['gzip', 'deflate', 'br'];
const EMPTY = Buffer.alloc(0);
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Decodes a complete body. */
function decode(coding: Coding, data: Buffer): Buffer {
  if (coding === 'gzip') return zlib.gunzipSync(data);
  if (coding === 'deflate') return zlib.inflateSync(data);
  return zlib.brotliDecompressSync(data);
}

/** Decodes what has arrived of a body so far (up to its last flush). */
function decodePartial(coding: Coding, data: Buffer): Buffer {
  if (coding === 'gzip') return zlib.gunzipSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  if (coding === 'deflate') return zlib.inflateSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return zlib.brotliDecompressSync(data, { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
}

async function drain(body: BodyReader): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for (let c = await body.read(); c.length > 0; c = await body.read()) chunks.push(c);
  return chunks;
}

/** A reader over `data` in pieces of `size`, with its length known or not, counting what it does. */
function pieces(data: Buffer, size: number, knownLength = true) {
  let at = 0;
  const stats = { reads: 0, closes: 0, pulled: 0 };
  const reader: BodyReader = {
    length: knownLength ? data.length : -1,
    read: async () => {
      stats.reads++;
      const c = data.subarray(at, at + size);
      at += c.length;
      stats.pulled += c.length;
      return c;
    },
    close: () => {
      stats.closes++;
    },
  };
  return { reader, stats };
}

const TEXT_1MIB = Buffer.from(
  Array.from({ length: 20000 }, (_, i) => `line ${i}: the quick brown fox jumps over the lazy dog ${i * 7919}\n`)
    .join('')
    .slice(0, 1024 * 1024),
);
const INPUTS: [string, Buffer][] = [
  ['empty', EMPTY],
  ['small', Buffer.from('hello, world\n')],
  ['1 MiB text', TEXT_1MIB],
  ['1 MiB random', randomBytes(1024 * 1024)],
];

for (const coding of CODINGS) {
  for (const [name, data] of INPUTS) {
    test(`${coding}: ${name} decodes to the original, byte for byte`, async () => {
      for (const known of [true, false]) {
        const { reader, stats } = pieces(data, 64 * 1024, known);
        const body = compressBody(reader, coding);
        assert.equal(body.length, -1);
        const out = Buffer.concat(await drain(body));
        assert.ok(decode(coding, out).equals(data), `known length: ${known}`);
        await body.close!();
        assert.equal(stats.closes, 1);
        assert.equal(activeCompressors(), 0);
      }
    });
  }

  test(`${coding}: compressBuffer decodes to the original`, async () => {
    for (const [, data] of INPUTS) {
      const out = await compressBuffer(data, coding);
      assert.ok(decode(coding, out).equals(data));
    }
    assert.equal(activeCompressors(), 0);
  });

  test(`${coding}: a streamed chunk arrives before the generator produces the next one`, { timeout: 10_000 }, async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let secondAsked = false;
    async function* lines() {
      yield 'first line\n';
      secondAsked = true;
      await gate; // the test opens it only after the first line decoded
      yield 'second line\n';
    }
    const body = compressBody(bodyFromGenerator(lines()), coding);
    const got: Buffer[] = [];
    // Read until what arrived decodes to the first line; with no flush this would wait forever.
    while (!decodePartial(coding, Buffer.concat(got)).toString().includes('first line\n')) got.push(await body.read());
    assert.equal(decodePartial(coding, Buffer.concat(got)).toString(), 'first line\n');
    release();
    got.push(...(await drain(body)));
    assert.equal(decode(coding, Buffer.concat(got)).toString(), 'first line\nsecond line\n');
    assert.ok(secondAsked);
    await body.close!();
    assert.equal(activeCompressors(), 0);
  });

  test(`${coding}: an error of the inner reader rejects read() and releases everything`, async () => {
    let closes = 0;
    let n = 0;
    const inner: BodyReader = {
      length: -1,
      read: async () => {
        if (n++ < 3) return Buffer.from(`chunk ${n}\n`);
        throw new Error('disk on fire');
      },
      close: () => void closes++,
    };
    const body = compressBody(inner, coding);
    await assert.rejects(drain(body), /disk on fire/);
    assert.equal(activeCompressors(), 0);
    await assert.rejects(body.read(), /disk on fire/); // and every later read
    await body.close!();
    await body.close!();
    assert.equal(closes, 1);
  });

  test(`${coding}: close() mid-stream destroys the compressor and closes the inner reader once`, async () => {
    let finallyRan = 0;
    async function* forever() {
      try {
        for (let i = 0; ; i++) yield `event ${i}\n`;
      } finally {
        finallyRan++;
      }
    }
    const inner = bodyFromGenerator(forever());
    let closes = 0;
    const body = compressBody({ ...inner, close: () => (closes++, inner.close!()) }, coding);
    for (let i = 0; i < 5; i++) assert.ok((await body.read()).length > 0);
    assert.equal(activeCompressors(), 1);
    const closing = body.close!();
    assert.equal(activeCompressors(), 0); // at once, not when the promise settles
    await closing;
    await body.close!();
    assert.equal(closes, 1);
    assert.equal(finallyRan, 1);
    assert.equal((await body.read()).length, 0);
  });

  test(`${coding}: close() during a pending read ends it and closes the inner reader after that read`, async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let innerReading = false;
    let closes = 0;
    const inner: BodyReader = {
      length: -1,
      read: async () => {
        innerReading = true;
        await gate;
        innerReading = false;
        return Buffer.from('late');
      },
      close: () => {
        assert.equal(innerReading, false, 'close() must not overlap read()');
        closes++;
      },
    };
    const body = compressBody(inner, coding);
    const pending = body.read();
    await turn();
    assert.ok(innerReading);
    const closing = body.close!();
    assert.equal((await pending).length, 0);
    assert.equal(activeCompressors(), 0);
    assert.equal(closes, 0);
    release();
    await closing;
    assert.equal(closes, 1);
  });
}

test('known length, flush auto: no flush per chunk (same bytes as one-shot gzip)', async () => {
  const { reader } = pieces(TEXT_1MIB, 1000, true);
  const out = Buffer.concat(await drain(compressBody(reader, 'gzip')));
  assert.ok(out.equals(zlib.gzipSync(TEXT_1MIB, { level: 6 })));
});

test("flush 'always' flushes a known-length body per chunk; 'never' does not flush a stream", async () => {
  const small = TEXT_1MIB.subarray(0, 64 * 1024);
  const syncMarker = Buffer.from([0, 0, 0xff, 0xff]);
  const always = Buffer.concat(await drain(compressBody(pieces(small, 4096, true).reader, 'gzip', { flush: 'always' })));
  assert.ok(always.includes(syncMarker));
  assert.ok(zlib.gunzipSync(always).equals(small));
  const never = Buffer.concat(await drain(compressBody(pieces(small, 4096, false).reader, 'gzip', { flush: 'never' })));
  assert.ok(never.equals(zlib.gzipSync(small)));
  assert.equal(activeCompressors(), 0);
});

test('levels are honoured: gzip level 1 and brotli quality 11 give their one-shot bytes', async () => {
  const data = TEXT_1MIB.subarray(0, 200 * 1024);
  const gz1 = Buffer.concat(await drain(compressBody(pieces(data, 16384).reader, 'gzip', { level: 1 })));
  assert.ok(gz1.equals(zlib.gzipSync(data, { level: 1 })));
  const br11 = Buffer.concat(await drain(compressBody(bodyFromBuffer(data), 'br', { brotliQuality: 11 })));
  assert.ok(zlib.brotliDecompressSync(br11).equals(data));
  const br4 = Buffer.concat(await drain(compressBody(bodyFromBuffer(data), 'br')));
  assert.ok(br11.length < br4.length, `q11 ${br11.length} < q4 ${br4.length}`);
});

/** An endless-ish source of incompressible bytes, counting what was pulled. */
function randomSource(total: number, chunk = 64 * 1024) {
  const stats = { pulled: 0, reads: 0, closes: 0 };
  const reader: BodyReader = {
    length: total,
    read: async () => {
      const n = Math.min(chunk, total - stats.pulled);
      stats.reads++;
      stats.pulled += n;
      return n === 0 ? EMPTY : randomFillSync(Buffer.allocUnsafe(n));
    },
    close: () => void stats.closes++,
  };
  return { reader, stats };
}

/**
 * Random bytes do not compress, so what was pulled minus what was handed out
 * is what sits in between: about one input chunk and one output buffer for
 * zlib; brotli holds up to about twice its window before it emits anything.
 */
const MAX_IN_FLIGHT: Record<Coding, number> = {
  gzip: 1024 * 1024,
  deflate: 1024 * 1024,
  br: 2 * 2 ** DEFAULT_BROTLI_WINDOW_BITS + 1024 * 1024,
};

/** [coding, MiB]: the 100 MiB run at gzip level 1 keeps the test quick; the others at default levels. */
const RUNS: [Coding, number][] = [
  ['gzip', 100],
  ['deflate', 16],
  ['br', 16],
];
for (const [coding, mib] of RUNS) {
  test(`backpressure: ${mib} MiB of ${coding} through a slow consumer keeps the bytes in flight bounded`, { timeout: 120_000 }, async () => {
    const total = mib * 1024 * 1024;
    const { reader, stats } = randomSource(total);
    const body = compressBody(reader, coding, coding === 'gzip' ? { level: 1 } : {});
    let consumed = 0;
    let worst = 0;
    for (let i = 0; ; i++) {
      const c = await body.read();
      if (c.length === 0) break;
      consumed += c.length;
      worst = Math.max(worst, stats.pulled - consumed);
      if (i % 16 === 0) for (let t = 0; t < 5; t++) await turn(); // slow down now and then
    }
    assert.equal(stats.pulled, total);
    assert.ok(consumed >= total, 'incompressible input only grows');
    assert.ok(worst < MAX_IN_FLIGHT[coding], `at most ${worst} bytes in flight`);
    await body.close!();
    assert.equal(activeCompressors(), 0);
  });
}

for (const coding of CODINGS) {
  test(`${coding}: a consumer that stops reading stops the reads of the inner reader`, async () => {
    const { reader, stats } = randomSource(64 * 1024 * 1024);
    const body = compressBody(reader, coding);
    let consumed = 0;
    for (let i = 0; i < 8; i++) consumed += (await body.read()).length;
    const pulled = stats.pulled;
    const reads = stats.reads;
    for (let t = 0; t < 200; t++) await turn(); // plenty of time to run ahead, if it would
    assert.equal(stats.reads, reads, 'no inner read without a read() of the output');
    assert.equal(stats.pulled, pulled);
    assert.ok(pulled - consumed < MAX_IN_FLIGHT[coding], `${pulled - consumed} bytes in flight`);
    await body.close!();
    assert.equal(stats.closes, 1);
    assert.equal(activeCompressors(), 0);
  });
}

test('invalid levels fail at once and leave no compressor counted', async () => {
  assert.throws(() => compressBody(bodyFromBuffer('x'), 'gzip', { level: 42 }), RangeError);
  await assert.rejects(compressBuffer(Buffer.from('x'), 'deflate', { level: 10 }), RangeError);
  assert.equal(activeCompressors(), 0);
});
