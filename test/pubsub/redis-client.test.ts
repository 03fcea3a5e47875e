/** The RESP client against a real redis-server, and against fake servers that misbehave. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RedisConn } from '../../src/pubsub/redis/client.js';
import { RedisClientError, RedisError } from '../../src/pubsub/redis/errors.js';
import { parseRedisUrl } from '../../src/pubsub/redis/url.js';
import { assertWhole, snapshot } from '../leaks.js';
import { hasCommands, makeSelfSignedCert } from '../support.js';
import { hasRedis, startRedis, type RedisServer } from './redis-server.js';

const skip = !hasRedis && 'redis-server is not installed';
let redis: RedisServer;
before(async () => {
  if (!skip) redis = await startRedis();
});
after(() => redis?.stop());

const open = (options: Partial<Parameters<typeof RedisConn.connect>[0]> = {}): Promise<RedisConn> =>
  RedisConn.connect({ host: '127.0.0.1', port: redis.port, ...options });

/** Nothing of the client's is left: no socket, timer or descriptor. */
const clientGone = (before: ReturnType<typeof snapshot>): Promise<void> =>
  assertWhole({ connections: 0, drained: () => Promise.resolve() }, before);

/** A fake server that answers each connection with `answer`. */
async function fakeServer(answer: (socket: net.Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    answer(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

test('pipelining: a thousand commands sent in one tick, replies matched in order, an error reply rejects only its own command', { skip }, async () => {
  const before = snapshot();
  const c = await open();
  await c.command(['DEL', 'pipe:n', 'pipe:s']);
  await c.command(['SET', 'pipe:s', 'not a number']);
  const incrs = Array.from({ length: 1000 }, () => c.command(['INCR', 'pipe:n']));
  const bad = c.command(['INCR', 'pipe:s']); // an error in the middle of the pipeline
  const more = Array.from({ length: 10 }, () => c.command(['INCR', 'pipe:n']));
  assert.equal(c.pending, 1011, 'nothing waited for a reply before sending the next command');
  assert.deepEqual(await Promise.all(incrs), Array.from({ length: 1000 }, (_, i) => i + 1));
  await assert.rejects(bad, (err: RedisError) => err instanceof RedisError && err.code === 'ERR' && /not an integer/.test(err.message));
  assert.deepEqual(await Promise.all(more), Array.from({ length: 10 }, (_, i) => 1001 + i));
  c.close();
  await clientGone(before);
});

test('pipelining: commands issued together reach the server before any reply comes back', async () => {
  const N = 100;
  const expected = Array.from({ length: N }, (_, i) => `*2\r\n$4\r\nECHO\r\n$${String(i).length}\r\n${i}\r\n`).join('');
  let got = '';
  const fake = await fakeServer((s) => {
    s.on('data', (d) => {
      got += d.toString('latin1');
      // Answer only once every command is here: a client that waited for replies would hang.
      if (got.length === expected.length) s.write(Array.from({ length: N }, (_, i) => `$${String(i).length}\r\n${i}\r\n`).join(''));
    });
  });
  try {
    const c = await RedisConn.connect({ host: '127.0.0.1', port: fake.port });
    const replies = await Promise.all(Array.from({ length: N }, (_, i) => c.command(['ECHO', String(i)])));
    assert.equal(got, expected);
    assert.deepEqual(replies.map(String), Array.from({ length: N }, (_, i) => String(i)));
    c.close();
  } finally {
    await fake.close();
  }
});

test('large payloads: 1 MiB and 8 MiB values round-trip, whole and pipelined', { skip }, async () => {
  const c = await open();
  const mib = randomBytes(1024 * 1024);
  const big = randomBytes(8 * 1024 * 1024);
  const [set1, set8, got1, got8] = await Promise.all([
    c.command(['SET', 'big:1', mib]),
    c.command(['SET', 'big:8', big]),
    c.command(['GET', 'big:1']),
    c.command(['GET', 'big:8']),
  ]);
  assert.equal(set1, 'OK');
  assert.equal(set8, 'OK');
  assert.ok(mib.equals(got1 as Buffer));
  assert.ok(big.equals(got8 as Buffer));
  assert.equal(await c.command(['STRLEN', 'big:8']), big.length);
  c.close();
});

test('binary-safe: every byte value, CRLF inside values and keys, UTF-8 text, empty values', { skip }, async () => {
  const c = await open();
  const every = Buffer.from(Array.from({ length: 512 }, (_, i) => i & 0xff));
  const key = Buffer.from('key\r\n\0with\r\nCRLF');
  assert.equal(await c.command(['SET', key, every]), 'OK');
  assert.ok(every.equals((await c.command(['GET', key])) as Buffer));
  assert.equal(String(await c.command(['ECHO', 'ünïcødé ✓ 𝄞'])), 'ünïcødé ✓ 𝄞');
  assert.equal(await c.command(['SET', 'empty', '']), 'OK');
  assert.equal(((await c.command(['GET', 'empty'])) as Buffer).length, 0);
  assert.equal(await c.command(['GET', 'no such key']), null);
  // A bulk string given in parts is sent as one.
  assert.equal(await c.command(['SET', ['pa', 'rts'], ['he', Buffer.from('llo')]]), 'OK');
  assert.equal(String(await c.command(['GET', 'parts'])), 'hello');
  c.close();
});

test('AUTH with an ACL user: right password, wrong password, a command the user may not run', { skip }, async () => {
  const admin = await open();
  await admin.command(['ACL', 'SETUSER', 'alice', 'on', '>s3cret', '~*', '&*', '+@all']);
  await admin.command(['ACL', 'SETUSER', 'bob', 'on', '>pw', '~bob:*', '-@all', '+get', '+ping']);
  admin.close();

  const a = parseRedisUrl(`redis://alice:s3cret@127.0.0.1:${redis.port}/3`);
  const alice = await open({ ...a, tls: undefined });
  assert.equal(String(await alice.command(['ACL', 'WHOAMI'])), 'alice');
  assert.match(String(await alice.command(['CLIENT', 'INFO'])), / db=3 /, 'the database in the URL is selected');
  alice.close();

  const before = snapshot();
  await assert.rejects(open({ username: 'alice', password: 'wrong' }), (err: RedisError) => err instanceof RedisError && err.code === 'WRONGPASS');
  await clientGone(before); // a refused login leaves nothing open

  const bob = await open({ username: 'bob', password: 'pw' });
  await assert.rejects(bob.command(['SET', 'bob:x', '1']), (err: RedisError) => err.code === 'NOPERM');
  assert.equal(await bob.command(['GET', 'bob:x']), null, 'the connection goes on after an error reply');
  bob.close();
});

test('error replies are surfaced with their code and message; the connection stays usable', { skip }, async () => {
  const c = await open();
  await assert.rejects(c.command(['NOSUCHCOMMAND', 'x']), (err: RedisError) => {
    assert.ok(err instanceof RedisError);
    assert.equal(err.code, 'ERR');
    assert.match(err.message, /unknown command 'NOSUCHCOMMAND'/);
    return true;
  });
  await assert.rejects(c.command(['GET']), (err: RedisError) => err.code === 'ERR' && /wrong number of arguments/.test(err.message));
  assert.equal(await c.command(['PING']), 'PONG');
  c.close();
});

test('subscriber connection: confirmations answer SUBSCRIBE, messages go to onMessage, binary payloads intact', { skip }, async () => {
  const messages: [string, Buffer][] = [];
  let got!: () => void;
  const all = new Promise<void>((r) => (got = r));
  const sub = await open({
    onMessage: (channel, payload) => {
      messages.push([String(channel), Buffer.from(payload)]);
      if (messages.length === 3) got();
    },
  });
  const confirm = (await sub.command(['SUBSCRIBE', 'ch'])) as Buffer[];
  assert.deepEqual(confirm.map(String), ['subscribe', 'ch', '1']);
  const pub = await open();
  const binary = Buffer.from([0, 13, 10, 255, 36, 42]);
  const mib = randomBytes(1024 * 1024);
  assert.equal(await pub.command(['PUBLISH', 'ch', 'hello']), 1);
  await pub.command(['PUBLISH', 'ch', binary]);
  await pub.command(['PUBLISH', 'ch', mib]);
  await all;
  assert.deepEqual(messages.map(([ch]) => ch), ['ch', 'ch', 'ch']);
  assert.equal(String(messages[0]![1]), 'hello');
  assert.ok(messages[1]![1].equals(binary));
  assert.ok(messages[2]![1].equals(mib));
  const pong = (await sub.command(['PING'])) as Buffer[];
  assert.equal(String(pong[0]), 'pong', 'PING in subscriber mode answers its own command');
  sub.close();
  pub.close();
});

test('a server that closes in the middle of a reply: every pending command fails with WEFT_REDIS_CLOSED, onClose once', async () => {
  const fake = await fakeServer((s) => {
    s.once('data', () => {
      s.write('+OK\r\n$10\r\nhel'); // one whole reply, then half of the next
      s.destroy();
    });
  });
  try {
    const before = snapshot();
    const closes: RedisClientError[] = [];
    const c = await RedisConn.connect({ host: '127.0.0.1', port: fake.port, onClose: (err) => closes.push(err) });
    const first = c.command(['SET', 'a', 'b']);
    const second = c.command(['GET', 'a']);
    const third = c.command(['GET', 'a']);
    assert.equal(await first, 'OK');
    for (const p of [second, third]) {
      await assert.rejects(p, (err: RedisClientError) => {
        assert.equal(err.code, 'WEFT_REDIS_CLOSED');
        assert.match(err.message, /in the middle of a reply, 2 replies pending/);
        return true;
      });
    }
    assert.equal(closes.length, 1);
    assert.ok(c.closed);
    await assert.rejects(c.command(['PING']), (err: RedisClientError) => err.code === 'WEFT_REDIS_CLOSED');
    c.close();
    await clientGone(before);
  } finally {
    await fake.close();
  }
});

test('bytes that are not RESP, and replies nobody asked for, close the connection with WEFT_REDIS_PROTOCOL', async () => {
  for (const garbage of ['?what\r\n', '$abc\r\n', '$5\r\nhelloXX', ':1\r\n:2\r\n', `+${'x'.repeat(70_000)}`, '$99999999999\r\n', `${'*1\r\n'.repeat(20)}:1\r\n`]) {
    const fake = await fakeServer((s) => s.once('data', () => s.write(garbage)));
    try {
      const closes: RedisClientError[] = [];
      const c = await RedisConn.connect({ host: '127.0.0.1', port: fake.port, onClose: (err) => closes.push(err) });
      const reply = c.command(['PING']).then(
        () => 'answered',
        (err: RedisClientError) => err.code,
      );
      // ':1 :2' answers PING once, then the second reply has nobody to go to.
      assert.ok(['WEFT_REDIS_PROTOCOL', 'answered'].includes(await reply), JSON.stringify(garbage));
      assert.equal(closes[0]!.code, 'WEFT_REDIS_PROTOCOL', JSON.stringify(garbage));
    } finally {
      await fake.close();
    }
  }
});

test('connecting: a refused port rejects with ECONNREFUSED; a server that never answers AUTH, with WEFT_REDIS_TIMEOUT', async () => {
  const before = snapshot();
  const fake = await fakeServer(() => {}); // accepts, says nothing
  const port = fake.port;
  try {
    await assert.rejects(
      RedisConn.connect({ host: '127.0.0.1', port, password: 'x', connectTimeout: 200 }),
      (err: RedisClientError) => err.code === 'WEFT_REDIS_TIMEOUT',
    );
  } finally {
    await fake.close();
  }
  await assert.rejects(RedisConn.connect({ host: '127.0.0.1', port }), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
  await clientGone(before);
});

test('rediss://: TLS with the server\'s CA; an untrusted certificate is refused', { skip: skip || (!hasCommands('openssl') && 'openssl missing') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-redis-tls-'));
  const cert = makeSelfSignedCert(dir);
  const secure = await startRedis([], cert);
  try {
    const a = parseRedisUrl(secure.url);
    assert.equal(a.tls, true);
    const c = await RedisConn.connect({ ...a, tls: { ca: cert.cert } });
    assert.equal(await c.command(['PING']), 'PONG');
    c.close();
    await assert.rejects(RedisConn.connect({ ...a, tls: {} }), (err: NodeJS.ErrnoException) => err.code === 'DEPTH_ZERO_SELF_SIGNED_CERT');
  } finally {
    await secure.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('redis:// URLs: user, password, port, database, TLS; bad ones explained', () => {
  assert.deepEqual(parseRedisUrl('redis://localhost'), { host: 'localhost', port: 6379, tls: false, db: 0 });
  assert.deepEqual(parseRedisUrl('rediss://al%40ice:p%3Ass@10.0.0.5:7000/2'), {
    host: '10.0.0.5', port: 7000, tls: true, username: 'al@ice', password: 'p:ss', db: 2,
  });
  assert.deepEqual(parseRedisUrl('redis://:only-password@[::1]:6380'), { host: '::1', port: 6380, tls: false, password: 'only-password', db: 0 });
  assert.deepEqual(parseRedisUrl('redis://secret@h'), { host: 'h', port: 6379, tls: false, password: 'secret', db: 0 });
  for (const bad of ['http://h', 'redis://', 'redis://h/x', 'redis://h?db=1', 'not a url']) {
    assert.throws(() => parseRedisUrl(bad), (err: RedisClientError) => err.code === 'WEFT_REDIS_URL', bad);
  }
  assert.throws(() => parseRedisUrl('ftp://u:hunter2@h'), (err: Error) => !err.message.includes('hunter2'), 'no password in messages');
});
