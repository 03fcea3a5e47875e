/**
 * Not a test: echo throughput of weft's WebSocket server against `ws`'s,
 * printed, not asserted. Each server runs in its own process; the load is
 * `ws` clients in another process, each connection keeping --inflight
 * messages in flight (sends a batch, waits for all echoes, repeats).
 *
 *   node --import tsx test/ws/bench-echo.ts [--size 32] [--inflight 64] [--connections 8] [--duration 5]
 *     [--client ws|raw] [--deflate]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import WebSocket, { WebSocketServer } from 'ws';

const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    server: { type: 'string', default: 'weft' },
    port: { type: 'string', default: '0' },
    size: { type: 'string', default: '32' },
    inflight: { type: 'string', default: '64' },
    connections: { type: 'string', default: '8' },
    duration: { type: 'string', default: '5' },
    deflate: { type: 'boolean', default: false },
    /** ws: the `ws` client; raw: pre-built frames over net, so the server is the bottleneck. */
    client: { type: 'string', default: 'ws' },
  },
});

async function runServer(): Promise<void> {
  if (values.server === 'ws') {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: values.deflate });
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    wss.on('listening', () => console.log(`listening on 127.0.0.1:${(wss.address() as { port: number }).port}`));
    return;
  }
  const { createServer } = await import('../../src/http/server.js');
  const { websocket } = await import('../../src/ws/index.js');
  const server = createServer(
    websocket(
      async (ws) => {
        for await (const msg of ws) await ws.send(msg.data);
      },
      { perMessageDeflate: values.deflate },
    ),
  );
  await server.listen({ port: 0, host: '127.0.0.1' });
  console.log(`listening on 127.0.0.1:${server.port}`);
}

/**
 * A cheap client: each connection writes `inflight` pre-masked frames in one
 * write and counts reply bytes (every reply has the same size), so almost
 * all CPU goes to the server under test.
 */
async function runRawClient(): Promise<void> {
  const { connect } = await import('node:net');
  const port = Number(values.port);
  const size = Number(values.size);
  const inflight = Number(values.inflight);
  const durationMs = Number(values.duration) * 1000;
  const mask = Buffer.from([1, 2, 3, 4]);
  const payload = Buffer.alloc(size, 0x61);
  const head =
    size < 126
      ? Buffer.from([0x82, 0x80 | size])
      : size < 65536
        ? Buffer.from([0x82, 0x80 | 126, size >> 8, size & 255])
        : Buffer.from([0x82, 0x80 | 127, 0, 0, 0, 0, size >>> 24, (size >> 16) & 255, (size >> 8) & 255, size & 255]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]!));
  const one = Buffer.concat([head, mask, masked]);
  const batch = Buffer.concat(Array.from({ length: inflight }, () => one));
  const replyBytes = (size < 126 ? 2 : size < 65536 ? 4 : 10) + size;
  let count = 0;
  let counting = false;
  let running = true;
  const sockets = await Promise.all(
    Array.from({ length: Number(values.connections) }, async () => {
      const s = connect({ port, host: '127.0.0.1', noDelay: true });
      await new Promise((r) => s.once('connect', r));
      s.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      await new Promise<void>((resolve) => {
        let head = '';
        const onData = (d: Buffer): void => {
          head += d.toString('latin1');
          if (head.includes('\r\n\r\n')) {
            s.off('data', onData);
            resolve();
          }
        };
        s.on('data', onData);
      });
      return s;
    }),
  );
  for (const s of sockets) {
    let awaited = 0;
    const send = (): void => {
      awaited = batch.length / one.length * replyBytes;
      s.write(batch);
    };
    s.on('data', (d: Buffer) => {
      awaited -= d.length;
      if (counting) count += d.length / replyBytes;
      if (awaited === 0 && running) send();
    });
    send();
  }
  setTimeout(() => {
    counting = true;
    console.log('COUNTING');
  }, 500);
  await new Promise((r) => setTimeout(r, 500 + durationMs));
  running = false;
  console.log(`RESULT ${Math.round(count / (durationMs / 1000))}`);
  for (const s of sockets) s.destroy();
}

async function runClient(): Promise<void> {
  const port = Number(values.port);
  const size = Number(values.size);
  const inflight = Number(values.inflight);
  const payload = Buffer.alloc(size, 0x61);
  const durationMs = Number(values.duration) * 1000;
  let count = 0;
  let running = true;
  const conns = await Promise.all(
    Array.from({ length: Number(values.connections) }, async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: values.deflate });
      await new Promise((r, j) => {
        ws.once('open', r);
        ws.once('error', j);
      });
      return ws;
    }),
  );
  const t0 = Date.now() + 500; // warm-up
  for (const ws of conns) {
    let pending = 0;
    const batch = (): void => {
      pending = inflight;
      for (let i = 0; i < inflight; i++) ws.send(payload, { binary: true });
    };
    ws.on('message', () => {
      if (Date.now() >= t0) count++;
      if (--pending === 0 && running) batch();
    });
    batch();
  }
  setTimeout(() => console.log('COUNTING'), 500);
  await new Promise((r) => setTimeout(r, 500 + durationMs));
  running = false;
  console.log(`RESULT ${Math.round(count / (durationMs / 1000))}`);
  for (const ws of conns) ws.terminate();
}

function startChild(args: string[]): { child: ChildProcess; line: Promise<string>; counting: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', process.argv[1]!, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const line = new Promise<string>((resolve) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(listening on \S+|RESULT \d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
  });
  const counting = new Promise<void>((resolve) => child.stdout!.on('data', () => out.includes('COUNTING') && resolve()));
  return { child, line, counting };
}

/** CPU time (user + system) a process has used, in ms (Linux /proc). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in 1/100 s ticks
}

async function main(): Promise<void> {
  for (const server of ['ws', 'weft']) {
    const s = startChild(['--role', 'server', '--server', server, ...(values.deflate ? ['--deflate'] : [])]);
    const port = /:(\d+)/.exec(await s.line)![1]!;

    const c = startChild([
      '--role', 'client', '--port', port,
      '--size', values.size!, '--inflight', values.inflight!,
      '--connections', values.connections!, '--duration', values.duration!, '--client', values.client!,
      ...(values.deflate ? ['--deflate'] : []),
    ]);
    await c.counting;
    const cpu0 = cpuMs(s.child.pid!);
    const result = await c.line;
    const rate = Number(result.split(' ')[1]);
    const cpu = cpuMs(s.child.pid!) - cpu0;
    const perMsg = (cpu * 1000) / (rate * Number(values.duration));
    console.log(
      `${server.padEnd(5)} ${values.client} client, size=${values.size} inflight=${values.inflight} conns=${values.connections}: ` +
        `${rate} msg/s, server CPU ${perMsg.toFixed(2)} µs/msg`,
    );
    s.child.kill();
  }
}

if (values.role === 'server') {
  process.on('SIGINT', () => process.exit(0)); // lets --cpu-prof write its profile
  await runServer();
}
else if (values.role === 'client') await (values.client === 'raw' ? runRawClient() : runClient());
else await main();
