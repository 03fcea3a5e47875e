/**
 * The built `weft --demo` command in several processes, its chat room
 * shared through the buses: two processes on one Redis plus a
 * `--workers 2` process on the same Redis, and a `--workers 2` process on
 * the IPC bus alone. WebSocket members on every process (and every worker)
 * talk; every member hears every other in order (one process has its
 * Redis URL from a site config file, not the flag). Redis is killed and
 * restarted under two processes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openClient, type Client } from '../ws/client.js';
import { spawnGuarded, type Guarded } from './guarded.js';
import { hasRedis, startRedis, type RedisServer } from './redis-server.js';

const skip = !hasRedis && 'redis-server is not installed';
const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)\//;

let redis: RedisServer;
let demoFiles: string;
const running = new Set<Guarded>();
before(async () => {
  // A single weft process makes its demo files unless given a directory: an empty one will do here.
  demoFiles = mkdtempSync(join(tmpdir(), 'weft-pubsub-demo-'));
  process.env.WEFT_DEMO_FILES = demoFiles;
  if (!skip) redis = await startRedis();
});
// Also after a test that failed or timed out: no process outlives the file.
after(async () => {
  for (const p of running) await p.stop();
  await redis?.stop();
  rmSync(demoFiles, { recursive: true, force: true });
});

type Weft = { port: number; process: Guarded };

async function startWeft(args: string[]): Promise<Weft> {
  const p = await spawnGuarded(process.execPath, ['dist/cli.js', '--demo', '--port', '0', '--log', 'off', ...args], LISTENING);
  running.add(p);
  return { port: Number(LISTENING.exec(p.output)![1]), process: p };
}

async function stopWeft(w: Weft): Promise<void> {
  await w.process.stop();
  running.delete(w.process);
}

type ChatMessage = { event?: string; name: string; text: string };
type Member = { name: string; client: Client; pid: string };

const said = async (c: Client): Promise<ChatMessage> => {
  for (;;) {
    const m = JSON.parse(String((await c.next()).data)) as ChatMessage;
    if (m.event === undefined) return m;
  }
};

/** Joins the room; resolves once the member has heard its own join (its process is subscribed, across the bus too). */
async function member(port: number, name: string): Promise<Member> {
  const client = await openClient(port, { path: `/ws/chat?name=${name}` });
  for (;;) {
    const m = JSON.parse(String((await client.next()).data)) as ChatMessage;
    if (m.event === 'join' && m.name === name) break;
  }
  return { name, client, pid: String(client.headers['x-weft-pid'] ?? '') };
}

/** Members on both workers of a `--workers 2 --expose-pid` process. */
async function onBothWorkers(port: number, prefix: string): Promise<Member[]> {
  const byPid = new Map<string, Member>();
  for (let i = 0; byPid.size < 2; i++) {
    assert.ok(i < 40, 'every connection went to the same worker');
    const m = await member(port, `${prefix}${i}`);
    if (byPid.has(m.pid)) await m.client.close();
    else byPid.set(m.pid, m);
  }
  return [...byPid.values()];
}

/** Every member says `count` things; every member must hear all of them, each speaker's in order. */
async function everyoneHearsEveryone(members: Member[], count: number): Promise<void> {
  for (const m of members) for (let i = 0; i < count; i++) m.client.ws.send(JSON.stringify({ text: `${m.name}:${i}` }));
  for (const listener of members) {
    const next = new Map(members.map((m) => [m.name, 0]));
    for (let k = 0; k < members.length * count; k++) {
      const msg = await said(listener.client);
      const [who, i] = msg.text.split(':');
      assert.equal(msg.name, who);
      assert.equal(Number(i), next.get(who!), `${listener.name} heard ${who} out of order`);
      next.set(who!, next.get(who!)! + 1);
    }
  }
}

test('two processes and a --workers 2 process on one Redis: every member hears every other, in order', { skip, timeout: 60_000 }, async () => {
  const config = join(demoFiles, 'pubsub.json');
  writeFileSync(config, JSON.stringify({ pubsub: redis.url }));
  const a = await startWeft(['--pubsub', redis.url]);
  const b = await startWeft(['--config', config]);
  const c = await startWeft(['--pubsub', redis.url, '--workers', '2', '--expose-pid']);
  try {
    const members = [await member(a.port, 'a'), await member(b.port, 'b'), ...(await onBothWorkers(c.port, 'c'))];
    await everyoneHearsEveryone(members, 40);
    for (const m of members) await m.client.close();
  } finally {
    await Promise.all([a, b, c].map(stopWeft));
  }
});

test('--workers 2 without --pubsub: the workers share the room over IPC through the primary', { timeout: 60_000 }, async () => {
  const c = await startWeft(['--workers', '2', '--expose-pid']);
  try {
    const members = await onBothWorkers(c.port, 'w');
    await everyoneHearsEveryone(members, 100);
    // Binary is not the chat's business, but the status says which bus carried it all.
    const status = (await (await fetch(`http://127.0.0.1:${c.port}/status/pubsub`)).json()) as { bus: { kind: string; received: number } };
    assert.equal(status.bus.kind, 'ipc');
    assert.ok(status.bus.received >= 100, `a worker received ${status.bus.received} messages from the other`);
    for (const m of members) await m.client.close();
  } finally {
    await stopWeft(c);
  }
});

test('Redis killed under two processes: each goes on locally and keeps serving, then they talk again once Redis is back', { skip, timeout: 60_000 }, async () => {
  const a = await startWeft(['--pubsub', redis.url]);
  const b = await startWeft(['--pubsub', redis.url]);
  try {
    const a1 = await member(a.port, 'a1');
    const a2 = await member(a.port, 'a2');
    const b1 = await member(b.port, 'b1');
    a1.client.ws.send(JSON.stringify({ text: 'one' }));
    for (const m of [a1, a2, b1]) assert.equal((await said(m.client)).text, 'one');

    const lost = [a, b].map((w) => w.process.line(/pubsub redis:\/\/.*: lost the connection/));
    await redis.kill();
    await Promise.all(lost);

    a1.client.ws.send(JSON.stringify({ text: 'local' }));
    for (const m of [a1, a2]) assert.equal((await said(m.client)).text, 'local');
    const status = await fetch(`http://127.0.0.1:${a.port}/status/pubsub`);
    assert.equal(status.status, 200);
    assert.equal(((await status.json()) as { bus: { connected: boolean } }).bus.connected, false);

    const back = [a, b].map((w) => w.process.line(/pubsub redis:\/\/.*: reconnected after/));
    await redis.restart();
    await Promise.all(back);

    b1.client.ws.send(JSON.stringify({ text: 'back' }));
    for (const m of [a1, a2]) assert.equal((await said(m.client)).text, 'back');
    a1.client.ws.send(JSON.stringify({ text: 'again' }));
    for (const m of [a1, a2]) assert.equal((await said(m.client)).text, 'again');
    // b1 hears its own 'back', maybe 'local' (a held it while Redis was down
    // and sent it on return, perhaps before b had subscribed again), then 'again'.
    const heard = [(await said(b1.client)).text];
    while (heard.at(-1) !== 'again') heard.push((await said(b1.client)).text);
    assert.ok(['back,again', 'back,local,again', 'local,back,again'].includes(heard.join()), heard.join());
    for (const m of [a1, a2, b1]) await m.client.close();
    assert.ok(!a.process.output.includes('    at '), 'no stack trace in the log');
  } finally {
    await Promise.all([a, b].map(stopWeft));
  }
});
