/**
 * The bundled demo routes: `/echo` streams any request body back in constant
 * memory, `/sheep` counts 0..99, one line a second, as a chunked stream,
 * `/ws/echo` echoes WebSocket messages, `/ws/chat?name=ann` is a chat room
 * (a topic of the pub/sub hub) and `/status/pubsub` the hub's counters.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { bodyFromGenerator } from '../http/body.js';
import type { BodyReader, HTTPReq, HTTPRes } from '../http/types.js';
import { createHub, type Hub } from '../pubsub/hub.js';
import { pubsubStatus } from '../pubsub/status.js';
import { websocket } from '../ws/accept.js';
import type { WSConn } from '../ws/websocket.js';
import { createChatRoom } from './chat.js';
import type { Router } from './router.js';

/** Largest chat message (bytes): past it the connection closes with 1009, which the chat page explains. */
export const CHAT_MAX_MESSAGE = 64 * 1024;

/** Options of the demo routes. */
export type DemoOptions = {
  /** Pause between two /sheep lines (ms). Default 1000. */
  sheepInterval?: number;
  /** Called when a /sheep generator finishes, normally or not (tests watch it). */
  onSheepDone?: (counted: number) => void;
  /** The hub the chat room is a topic of (its bus reaches other processes). Default: one for this process. */
  hub?: Hub;
};

/** Streams the request body back as the response body. */
export function echo(req: HTTPReq, body: BodyReader): HTTPRes {
  const type = req.headers.get('content-type') ?? 'application/octet-stream';
  // The response body reads the request body as the response is written:
  // one chunk in memory at a time, whatever the size.
  return { code: 200, headers: { 'content-type': type }, body: { length: body.length, read: () => body.read() } };
}

async function* countSheep(interval: number, done: (n: number) => void): AsyncGenerator<string> {
  let i = 0;
  try {
    for (; i < 100; i++) {
      yield `${i}\n`;
      await sleep(interval);
    }
  } finally {
    done(i);
  }
}

/** Sends every message back as it came (text stays text, binary stays binary). */
async function echoMessages(ws: WSConn): Promise<void> {
  for await (const msg of ws) await ws.send(msg.data);
}

/** Adds the demo routes to `app`. */
export function addDemoRoutes(app: Router, options: DemoOptions = {}): Router {
  const interval = options.sheepInterval ?? 1000;
  const done = options.onSheepDone ?? (() => {});
  const hub = options.hub ?? createHub();
  const chat = createChatRoom({ hub });
  return app
    .post('/echo', echo)
    .put('/echo', echo)
    .get('/sheep', () => ({
      code: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
      body: bodyFromGenerator(countSheep(interval, done)),
    }))
    .get('/ws/echo', websocket(echoMessages, { perMessageDeflate: {} }))
    .get('/ws/chat', websocket((ws, req) => chat.join(ws, new URLSearchParams(req.query).get('name') ?? undefined), {
      perMessageDeflate: {},
      maxMessageSize: CHAT_MAX_MESSAGE,
    }))
    .get('/status/pubsub', pubsubStatus(hub));
}
