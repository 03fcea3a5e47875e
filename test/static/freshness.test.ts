/**
 * Freshness of the memory cache (StaticOptions `recheckMs`): a cached file
 * that is edited in place (same size or not), replaced by a rename, deleted
 * or renamed away is served stale for at most `recheckMs`, and every
 * response meanwhile is one version whole: its bytes with their own ETag
 * and Content-Length, never the old ETag on new bytes or the reverse.
 *
 * No sleep decides anything: each case polls until the change shows and
 * checks every answer on the way. A stale answer is allowed only to a
 * request sent less than `recheckMs` after the change began (the server's
 * last check of the file was before that, and it trusts a check for
 * `recheckMs`), whatever the machine's load.
 */
import assert from 'node:assert/strict';
import { readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { createServer, type Server } from '../../src/http/server.js';
import type { Handler } from '../../src/http/types.js';
import { serveStatic } from '../../src/static/index.js';
import { CACHE_SETTLE_MS, DEFAULT_RECHECK_MS } from '../../src/static/options.js';
import { makeTempDir, PAST, removeTree } from './helpers.js';

/** Short enough to keep the suite quick, long enough that stale answers are seen on a fast machine. */
const SHORT_RECHECK_MS = 150;
/** Large enough to be compressed (the compression layer's minSize is 1 KiB). */
const SIZE = 2000;
const POLL_MS = 10;

type Change = { name: string; apply: (path: string, next: Buffer) => void; gone: boolean };

const CHANGES: Change[] = [
  { name: 'edited in place, same size', apply: (path, next) => writeFileSync(path, next), gone: false },
  { name: 'edited in place, another size', apply: (path, next) => writeFileSync(path, Buffer.concat([next, next.subarray(0, 333)])), gone: false },
  {
    name: 'replaced by a rename over it',
    apply: (path, next) => {
      writeFileSync(`${path}.tmp`, next);
      renameSync(`${path}.tmp`, path);
    },
    gone: false,
  },
  { name: 'deleted', apply: (path) => unlinkSync(path), gone: true },
  { name: 'renamed away', apply: (path) => renameSync(path, `${path}.moved`), gone: true },
];

const CODINGS = ['identity', 'gzip'] as const;
type Coding = (typeof CODINGS)[number];

const version = (tag: string, size = SIZE) => Buffer.from(`${tag}: ${'x'.repeat(size)}`.slice(0, size));
const fileName = (change: Change, coding: Coding) => `${change.name.replace(/[^a-z]+/g, '-')}.${coding}.txt`;

let dir: string;
let server: Server;
let port: number;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
/** Per request, in order: whether serveStatic answered from memory. */
const fromMemory: boolean[] = [];

/** serveStatic with `recheckMs` under /short and the default under /default, noting where each answer came from. */
function recordingHandler(): Handler {
  const short = serveStatic(dir, { recheckMs: SHORT_RECHECK_MS, prefix: '/short' });
  const byDefault = serveStatic(dir, { prefix: '/default' });
  return async (req, body) => {
    const res = await (req.path.startsWith('/short/') ? short : byDefault)(req, body);
    fromMemory.push(res.body?.bytes !== undefined);
    return res;
  };
}

before(async () => {
  dir = makeTempDir('weft-freshness-');
  const names = [...CHANGES.flatMap((c) => CODINGS.map((coding) => fileName(c, coding))), 'default.txt'];
  for (const name of names) {
    writeFileSync(join(dir, name), version('old'));
    utimesSync(join(dir, name), PAST / 1000, PAST / 1000);
  }
  // Files changed within CACHE_SETTLE_MS are not cached: wait out the ctime the writes gave them.
  const settled = Math.max(...names.map((name) => statSync(join(dir, name)).ctimeMs)) + CACHE_SETTLE_MS + 5;
  if (settled > Date.now()) await delay(settled - Date.now());
  server = await createServer(recordingHandler(), { onError: () => {} }).listen({ port: 0, host: '127.0.0.1' });
  port = server.port;
});

after(async () => {
  agent.destroy();
  await server.close();
  removeTree(dir);
});

type Answer = { status: number; chunked: boolean; etag: string | undefined; length: number | undefined; body: Buffer; fromMemory: boolean };

function get(path: string, coding: Coding): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = coding === 'gzip' ? { 'Accept-Encoding': 'gzip' } : { 'Accept-Encoding': 'identity' };
    const req = request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('error', reject);
      res.on('end', () => {
        const length = res.headers['content-length'];
        resolve({
          status: res.statusCode ?? 0,
          chunked: res.headers['transfer-encoding'] === 'chunked',
          etag: res.headers.etag,
          length: length === undefined ? undefined : Number(length),
          body: Buffer.concat(parts),
          fromMemory: fromMemory.at(-1) ?? false,
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The bytes of a 200, checked against its own Content-Length (unless chunked) and decoded when it says gzip. */
function contentOf(a: Answer, coding: Coding): Buffer {
  assert.equal(a.status, 200);
  // Compressed on the fly (the new version is not cached yet), a body is chunked instead.
  if (a.length !== undefined || !a.chunked) assert.equal(a.length, a.body.length, 'Content-Length is the length of the body sent');
  assert.ok(a.etag, 'an ETag');
  return coding === 'gzip' ? gunzipSync(a.body) : a.body;
}

/**
 * Serves `name` from memory, applies `change`, then polls: each answer must
 * be the old version whole (with the old ETag) or the new state (the new
 * bytes with an ETag of their own, or a 404), the old one only to requests
 * sent within `recheckMs` of the change, and never again once the new one
 * has been seen.
 */
async function assertFresh(mount: string, name: string, change: Change, coding: Coding, recheckMs: number): Promise<void> {
  const path = join(dir, name);
  const url = `${mount}/${encodeURIComponent(name)}`;
  const old = version('old');
  await get(url, coding); // fills the cache (and, for gzip, its compressed form)
  const warm = await get(url, coding);
  assert.ok(contentOf(warm, coding).equals(old));
  assert.ok(warm.fromMemory, 'the old version is served from memory before the change');
  const oldEtag = warm.etag;

  const next = version('new');
  const changedAt = Date.now(); // before the change: the server's last check of the file is earlier still
  change.apply(path, next);
  const expected = change.gone ? null : readFileSync(path);

  const etagOfNew = new Set<string>();
  for (let seenNew = false; !seenNew; ) {
    const sentAt = Date.now();
    const a = await get(url, coding);
    if (a.status === 404) {
      assert.ok(change.gone, `a 404 for a file that is ${change.name}`);
      seenNew = true;
    } else {
      const bytes = contentOf(a, coding);
      if (bytes.equals(old)) {
        assert.equal(a.etag, oldEtag, 'the old bytes come with the old ETag');
        assert.ok(sentAt - changedAt < recheckMs, `served stale ${sentAt - changedAt} ms after the change (recheckMs ${recheckMs})`);
      } else {
        assert.ok(expected !== null && bytes.equals(expected), 'the new bytes, whole');
        assert.notEqual(a.etag, oldEtag, 'the new bytes with an ETag of their own');
        etagOfNew.add(a.etag!);
        seenNew = true;
      }
    }
    if (!seenNew) await delay(POLL_MS);
  }
  // Once seen, the new state stays.
  const again = await get(url, coding);
  if (change.gone) {
    assert.equal(again.status, 404);
  } else {
    assert.ok(contentOf(again, coding).equals(expected!));
    assert.notEqual(again.etag, oldEtag);
    if (coding === 'identity') etagOfNew.add(again.etag!);
    assert.equal(etagOfNew.size, 1, 'one ETag for the one new version');
  }
}

describe(`with recheckMs ${SHORT_RECHECK_MS}`, () => {
  for (const change of CHANGES) {
    for (const coding of CODINGS) {
      test(`a cached file ${change.name} (${coding}) is never stale past recheckMs, nor mismatched`, async () => {
        await assertFresh('/short', fileName(change, coding), change, coding, SHORT_RECHECK_MS);
      });
    }
  }
});

test(`with the default recheckMs (${DEFAULT_RECHECK_MS} ms), an edit shows within it`, async () => {
  await assertFresh('/default', 'default.txt', CHANGES[0]!, 'identity', DEFAULT_RECHECK_MS);
});
