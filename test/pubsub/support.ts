/** Helpers for pub/sub tests: a server with a hub and a small command protocol, and client helpers. */
import assert from 'node:assert/strict';
import type * as net from 'node:net';
import { router } from '../../src/app/router.js';
import { readAll } from '../../src/http/body.js';
import { createHub, type HubOptions } from '../../src/pubsub/hub.js';
import { pubsubStatus } from '../../src/pubsub/status.js';
import { websocket } from '../../src/ws/accept.js';
import type { WSConn } from '../../src/ws/websocket.js';
import { startServer } from '../http/support.js';
import { openClient, type Client } from '../ws/client.js';

/** One turn of the event loop (lets I/O happen); not a timer. */
export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * A server with a hub: `/ws?topic=a&topic=b` subscribes to the topics and
 * says "ready"; then each text message is a command: `pub <topic> <text>`
 * (the connection as `from`), `pubx <topic> <text>` (as `except`),
 * `sub <topic>` (answers "refused: ..." if the hub refuses), `unsub <topic>`.
 * Binary messages are published to the first topic.
 * POST /publish/:topic publishes the body (text for text/plain).
 */
export async function hubServer(options: HubOptions = {}) {
  const hub = createHub(options);
  const sockets: WSConn[] = [];
  const app = router()
    .get('/ws', websocket(async (ws, req) => {
      sockets.push(ws);
      const topics = new URLSearchParams(req.query).getAll('topic');
      for (const t of topics) await ws.subscribe(t);
      await ws.send('ready');
      for await (const m of ws) {
        if (m.type === 'binary') {
          await hub.publish(topics[0]!, m.data, { from: ws });
          continue;
        }
        const [verb, topic, ...rest] = m.data.split(' ');
        const text = rest.join(' ');
        if (verb === 'pub') await hub.publish(topic!, text, { from: ws });
        else if (verb === 'pubx') await hub.publish(topic!, text, { except: ws });
        else if (verb === 'unsub') ws.unsubscribe(topic!);
        else if (verb === 'sub') await ws.subscribe(topic!).catch((err: Error) => ws.send(`refused: ${err.message}`));
      }
    }, { topics: hub }))
    .post('/publish/:topic', async (req, body, params) => {
      const data = await readAll(body);
      await hub.publish(params.topic!, req.headers.get('content-type') === 'text/plain' ? data.toString() : data);
      return { code: 204 };
    })
    .get('/status', pubsubStatus(hub));
  const server = await startServer(app);
  const join = async (...topics: string[]): Promise<Client> => {
    const c = await openClient(server.port, { path: `/ws?${topics.map((t) => `topic=${t}`).join('&')}` });
    assert.equal(String((await c.next()).data), 'ready');
    return c;
  };
  return { hub, server, sockets, join };
}

export const text = async (c: Client): Promise<string> => {
  const m = await c.next();
  assert.equal(m.binary, false, `expected text, got binary ${m.data.toString('hex')}`);
  return String(m.data);
};

/** The `ws` client's socket, to stop reading from it. */
export const socketOf = (c: Client): net.Socket => (c.ws as unknown as { _socket: net.Socket })._socket;


/** Lines a bus logs, and a way to wait for one. */
export function logLines(): { log: (line: string) => void; lines: string[]; next: (re: RegExp) => Promise<string> } {
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  return {
    lines,
    log: (line) => {
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.re.test(line)) w.resolve(line);
        else waiters.push(w);
      }
    },
    /** The next line logged from now on that matches `re`. */
    next: (re) => new Promise((resolve) => waiters.push({ re, resolve })),
  };
}
