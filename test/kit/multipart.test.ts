/**
 * The multipart/form-data reader: real clients (fetch with FormData, curl -F),
 * malformed bodies as raw bytes with their precise statuses, limits, safe
 * saving, and split invariance checked with fast-check.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { router } from '../../src/app/router.js';
import { json, readAll } from '../../src/http/body.js';
import { HTTPError } from '../../src/http/errors.js';
import type { BodyReader } from '../../src/http/types.js';
import { multipartParts, readMultipart, type MultipartLimits } from '../../src/kit/multipart.js';
import { safeFilename, saveFile } from '../../src/kit/save-file.js';
import { hasCommands } from '../support.js';
import { assertWhole, snapshot } from '../leaks.js';
import { get, rawStatus, serve } from './support.js';

const run = promisify(execFile);
const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'weft-mp-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A handler that reads every part and describes it. */
const describeParts = (limits?: MultipartLimits) =>
  router().post('/up', async (req, body) => {
    const out = [];
    for await (const part of readMultipart(req, body, limits)) {
      const data = await readAll(part.body, Infinity);
      out.push({ name: part.name, filename: part.filename, type: part.contentType, size: data.length, sha: sha(data), text: data.length < 100 ? data.toString() : null });
    }
    return json(out);
  });

test('fetch with FormData: fields and binary files arrive byte for byte', async () => {
  const s = await serve(describeParts());
  try {
    const binary = Buffer.concat([randomBytes(300_000), Buffer.from('\r\n--\r\n------WebKitFormBoundary\r\n'), randomBytes(70_000)]);
    const form = new FormData();
    form.append('note', 'héllo\r\nworld');
    form.append('empty', '');
    form.append('file', new Blob([binary], { type: 'application/x-thing' }), 'données "v2".bin');
    form.append('file', new Blob(['small']), 'small.txt');
    const r = await get(`${s.base}/up`, { method: 'POST', body: form });
    assert.equal(r.status, 200, r.text);
    const parts = JSON.parse(r.text);
    assert.deepEqual(
      parts.map((p: { name: string; filename: string | null; size: number }) => [p.name, p.filename, p.size]),
      [['note', null, 13], ['empty', null, 0], ['file', 'données %22v2%22.bin', binary.length], ['file', 'small.txt', 5]],
    );
    assert.equal(parts[0].text, 'héllo\r\nworld');
    assert.equal(parts[0].type, 'text/plain');
    assert.equal(parts[2].sha, sha(binary));
    assert.equal(parts[2].type, 'application/x-thing');
  } finally {
    await s.close();
  }
});

test('curl -F: files saved under safe names inside the directory, never outside', { skip: !hasCommands('curl') && 'curl not installed' }, async () => {
  const dir = tempDir();
  const outside = tempDir();
  const src = join(outside, 'report.txt');
  writeFileSync(src, 'quarterly numbers\n');
  writeFileSync(join(dir, 'taken.txt'), 'keep me');
  symlinkSync(join(outside, 'target'), join(dir, 'link.txt'));
  const app = router().post('/up', async (req, body) => {
    const saved = [];
    for await (const part of readMultipart(req, body)) if (part.filename !== null) saved.push((await saveFile(part, dir)).name);
    return json(saved);
  });
  const s = await serve(app);
  try {
    const { stdout } = await run('curl', [
      '-s', '-F', 'note=hi',
      '-F', `a=@${src};filename=../../escape.txt`,
      '-F', `b=@${src};filename=C:\\Users\\ann\\taken.txt`,
      '-F', `c=@${src};filename=link.txt`,
      '-F', `d=@${src};filename=..`,
      `${s.base}/up`,
    ]);
    assert.deepEqual(JSON.parse(stdout), ['escape.txt', 'taken-1.txt', 'link-1.txt', 'upload']);
    assert.equal(readFileSync(join(dir, 'taken.txt'), 'utf8'), 'keep me', 'an existing file is never replaced');
    assert.equal(existsSync(join(outside, 'target')), false, 'a planted symlink is never written through');
    assert.equal(readFileSync(join(dir, 'escape.txt'), 'utf8'), 'quarterly numbers\n');
    assert.deepEqual(readdirSync(outside).sort(), ['report.txt']);
  } finally {
    await s.close();
  }
});

test('safeFilename: the last segment, no controls or reserved characters, no dot names', () => {
  assert.equal(safeFilename('../../etc/passwd'), 'passwd');
  assert.equal(safeFilename('C:\\Users\\ann\\cv.pdf'), 'cv.pdf');
  assert.equal(safeFilename('..'), null);
  assert.equal(safeFilename(' . '), null);
  assert.equal(safeFilename('.env'), 'env');
  assert.equal(safeFilename('a\x00b\nc.txt'), 'abc.txt');
  assert.equal(safeFilename('re<>:"|?*port.txt'), 'report.txt');
  assert.equal(safeFilename('evil\u202Etxt.exe'), 'eviltxt.exe');
  assert.equal(safeFilename('CON.txt'), '_CON.txt');
  assert.equal(safeFilename('trailing... '), 'trailing');
  const long = safeFilename(`${'é'.repeat(300)}.tar.gz`)!;
  assert.ok(Buffer.byteLength(long) <= 200);
  assert.ok(long.endsWith('.gz'));
  assert.equal(long, `${'é'.repeat(98)}.gz`, 'the longest whole-character prefix that fits');
  assert.equal(safeFilename(`${'😀'.repeat(60)}.txt`), `${'😀'.repeat(49)}.txt`, 'never half a surrogate pair');
  // A long "extension" is no extension: it is cut with the rest, not kept and repeated.
  assert.equal(safeFilename(`${'x'.repeat(170)}.${'b'.repeat(30)}`), `${'x'.repeat(170)}.${'b'.repeat(29)}`);
  // As long as a part header allows: cut in one pass (it was a pass per character).
  assert.equal(safeFilename(`${'é'.repeat(16_000)}.pdf`), `${'é'.repeat(98)}.pdf`);
});

/** A raw multipart request with the given body (Content-Length framing). */
const rawUpload = (body: string | Buffer, type = 'multipart/form-data; boundary=XyZ') => {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  return Buffer.concat([Buffer.from(`POST /up HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`), bytes]);
};
const field = (name: string, value: string) => `--XyZ\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;

test('malformed bodies get 400, limits 413, other types 415; none is an application error', async () => {
  const limits = { maxParts: 3, maxHeaderSize: 256, maxFieldSize: 10, maxFileSize: 20 };
  const s = await serve(describeParts(limits));
  const before = snapshot();
  const cases: [string, Buffer, number][] = [
    ['valid', rawUpload(field('a', '1') + '--XyZ--\r\n'), 200],
    ['valid, with preamble, padding and epilogue', rawUpload('preamble\r\n--XyZ \t\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--XyZ--  epilogue'), 200],
    ['no parts at all', rawUpload('--XyZ--'), 200],
    ['junk after a boundary', rawUpload('--XyZ junk\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--XyZ--'), 400],
    ['broken boundary: one dash', rawUpload(field('a', '1') + '--XyZ-\r\n'), 400],
    ['missing final boundary', rawUpload(field('a', '1')), 400],
    ['body ends inside a part', rawUpload('--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nhalf'), 400],
    ['body ends inside a part header', rawUpload('--XyZ\r\nContent-Disposition: form-da'), 400],
    ['no boundary anywhere', rawUpload('just some bytes'), 400],
    ['no Content-Disposition', rawUpload('--XyZ\r\nContent-Type: text/plain\r\n\r\n1\r\n--XyZ--'), 400],
    ['not form-data', rawUpload('--XyZ\r\nContent-Disposition: attachment; name="a"\r\n\r\n1\r\n--XyZ--'), 400],
    ['no name', rawUpload('--XyZ\r\nContent-Disposition: form-data\r\n\r\n1\r\n--XyZ--'), 400],
    ['header line without a colon', rawUpload('--XyZ\r\nContent-Disposition: form-data; name=a\r\nnonsense\r\n\r\n1\r\n--XyZ--'), 400],
    ['folded header line', rawUpload('--XyZ\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\n1\r\n--XyZ--'), 400],
    ['part header over the limit', rawUpload(`--XyZ\r\nContent-Disposition: form-data; name="a"\r\nX-Pad: ${'p'.repeat(300)}\r\n\r\n1\r\n--XyZ--`), 413],
    ['part header over the limit, never ending', rawUpload(`--XyZ\r\nContent-Disposition: form-data; name="a"\r\nX-Pad: ${'p'.repeat(300)}`), 413],
    ['too many parts', rawUpload(field('a', '1') + field('b', '2') + field('c', '3') + field('d', '4') + '--XyZ--'), 413],
    ['field over the limit', rawUpload(field('a', '12345678901') + '--XyZ--'), 413],
    ['file over the limit', rawUpload(`--XyZ\r\nContent-Disposition: form-data; name="f"; filename="f.bin"\r\n\r\n${'x'.repeat(21)}\r\n--XyZ--`), 413],
    ['not multipart', rawUpload(field('a', '1'), 'application/json'), 415],
    ['no boundary parameter', rawUpload(field('a', '1'), 'multipart/form-data'), 400],
    ['boundary too long', rawUpload(field('a', '1'), `multipart/form-data; boundary=${'b'.repeat(71)}`), 400],
    ['gzip body', Buffer.from(rawUpload(field('a', '1') + '--XyZ--').toString('latin1').replace('Connection: close', 'Connection: close\r\nContent-Encoding: gzip'), 'latin1'), 415],
  ];
  try {
    for (const [what, request, status] of cases) {
      const [res] = await rawStatus(s.server.port, request);
      assert.equal(res!.status, status, `${what}: ${res!.body.toString()}`);
    }
    assert.equal(s.errors.length, 0);
    await assertWhole(s.server, before);
  } finally {
    await s.close();
  }
});

test('a file over its limit is not left half-saved', async () => {
  const dir = tempDir();
  const s = await serve(router().post('/up', async (req, body) => {
    for await (const part of readMultipart(req, body, { maxFileSize: 1000 })) await saveFile(part, dir);
    return json('saved');
  }));
  try {
    const form = new FormData();
    form.append('f', new Blob([randomBytes(5000)]), 'big.bin');
    assert.equal((await get(`${s.base}/up`, { method: 'POST', body: form })).status, 413);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    await s.close();
  }
});

/** A BodyReader handing out `data` cut at `cuts`. */
function pieces(data: Buffer, cuts: number[]): BodyReader {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, data.length]) {
    if (p > prev) chunks.push(Buffer.from(data.subarray(prev, p))); // copies: as a socket would hand them out
    prev = p;
  }
  return { length: -1, read: async () => chunks.shift() ?? Buffer.alloc(0) };
}

/** What parsing yields: the parts, or the error that stopped it (and the parts before it). */
async function outcome(source: BodyReader, limits: MultipartLimits = {}): Promise<unknown[]> {
  const seen: unknown[] = [];
  try {
    for await (const part of multipartParts(source, 'b0undary', limits)) {
      seen.push([part.name, part.filename, part.contentType, (await readAll(part.body, Infinity)).toString('latin1')]);
    }
  } catch (err) {
    if (!(err instanceof HTTPError)) throw err;
    seen.push(`error ${err.status}: ${err.message}`);
  }
  return seen;
}

// Bytes that look like parts of a delimiter, so that cuts land inside near-misses.
const tricky = fc.array(fc.constantFrom('\r', '\n', '-', '--', '\r\n', '\r\n--', '\r\n--b0und', 'b0undary', 'x', 'é', '\0'), { maxLength: 20 })
  .map((a) => a.join(''))
  .filter((c) => !c.includes('\r\n--b0undary')); // a body whose content holds its delimiter is another body
const partArb = fc.record({
  name: fc.stringMatching(/^[a-z]{1,6}$/),
  filename: fc.option(fc.stringMatching(/^[a-z.]{0,8}$/), { nil: null }),
  type: fc.option(fc.constantFrom('image/png', 'text/plain; charset=utf-8'), { nil: null }),
  content: tricky,
});

function encodeBody(parts: { name: string; filename: string | null; type: string | null; content: string }[], preamble: string, padding: string): Buffer {
  let s = preamble;
  for (const p of parts) {
    s += `--b0undary${padding}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename === null ? '' : `; filename="${p.filename}"`}\r\n`;
    if (p.type !== null) s += `Content-Type: ${p.type}\r\n`;
    s += `\r\n${p.content}\r\n`;
  }
  return Buffer.from(`${s}--b0undary--\r\nepilogue`, 'latin1');
}

test('split invariance: the parts do not depend on how the bytes are cut (fast-check)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(partArb, { maxLength: 5 }),
      fc.constantFrom('', 'preamble\r\n', '\r\n'),
      fc.constantFrom('', ' ', '\t '),
      fc.array(fc.nat(), { maxLength: 30 }),
      async (parts, preamble, padding, cuts) => {
        const data = encodeBody(parts, preamble, padding);
        const expected = parts.map((p) => [p.name, p.filename, p.type ?? 'text/plain', p.content]);
        assert.deepEqual(await outcome(pieces(data, [])), expected);
        assert.deepEqual(await outcome(pieces(data, cuts)), expected);
        // Byte by byte, too.
        assert.deepEqual(await outcome(pieces(data, [...data.keys()])), expected);
      },
    ),
    { numRuns: 300 },
  );
});

test('split invariance holds for damaged bodies and tight limits too (fast-check)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(partArb, { minLength: 1, maxLength: 4 }),
      fc.nat(),
      fc.constantFrom('truncate', 'flip', 'insert'),
      fc.array(fc.nat(), { maxLength: 20 }),
      fc.record({ maxParts: fc.integer({ min: 1, max: 5 }), maxHeaderSize: fc.integer({ min: 20, max: 200 }), maxFieldSize: fc.integer({ min: 0, max: 40 }) }),
      async (parts, at, damage, cuts, limits) => {
        let data = encodeBody(parts, '', '');
        const i = at % data.length;
        if (damage === 'truncate') data = data.subarray(0, i);
        else if (damage === 'flip') data = Buffer.concat([data.subarray(0, i), Buffer.from([data[i]! ^ 0x20]), data.subarray(i + 1)]);
        else data = Buffer.concat([data.subarray(0, i), Buffer.from('\r\n--b0undary'), data.subarray(i)]);
        const whole = await outcome(pieces(data, []), limits);
        assert.deepEqual(await outcome(pieces(data, cuts), limits), whole);
      },
    ),
    { numRuns: 300 },
  );
});

test('a part left unread is skipped; its bytes are never buffered whole', async () => {
  const big = Buffer.alloc(8 * 1024 * 1024, 0x61);
  const data = Buffer.concat([
    Buffer.from('--b0undary\r\nContent-Disposition: form-data; name="skip"; filename="a"\r\n\r\n'),
    big,
    Buffer.from('\r\n--b0undary\r\nContent-Disposition: form-data; name="keep"\r\n\r\nyes\r\n--b0undary--'),
  ]);
  // Chunks of 64 KiB, as from a socket: the largest chunk handed out must stay about that size.
  const cuts = [];
  for (let i = 65536; i < data.length; i += 65536) cuts.push(i);
  const source = pieces(data, cuts);
  const names = [];
  let largest = 0;
  for await (const part of multipartParts(source, 'b0undary')) {
    names.push(part.name);
    if (part.name === 'keep') assert.equal((await readAll(part.body)).toString(), 'yes');
    else {
      const c = await part.body.read();
      largest = Math.max(largest, c.length); // read one chunk, leave the rest
    }
  }
  assert.deepEqual(names, ['skip', 'keep']);
  assert.ok(largest <= 65536 + 80, `a chunk of ${largest} bytes`);
});
