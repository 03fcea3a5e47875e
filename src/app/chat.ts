/**
 * The demo chat room: every message a member sends is broadcast to every
 * member. Each member has a small bounded outbox drained by its own sender;
 * a member too slow to keep up (a full outbox) is disconnected with 1013
 * rather than allowed to grow the server's memory. The author of a message
 * is the exception: its own copy waits for room in its outbox, so the room
 * stops reading a member that talks faster than it listens (backpressure),
 * instead of dropping everyone else.
 *
 * Messages are JSON text: `{ name, text, time }` for what a member said,
 * `{ event: 'join' | 'leave', name, text, time }` for arrivals and departures.
 *
 * Within one process only: with --workers N, a room is per worker (see the
 * README on scaling out).
 */
import { createQueue, type Queue } from '../sync/queue.js';
import type { WSConn } from '../ws/websocket.js';

/** Messages waiting for one member before it is dropped as too slow. */
export const CHAT_OUTBOX = 64;
/** Longest chat line accepted (characters). */
export const CHAT_MAX_TEXT = 1000;
/** Longest member name (characters). */
export const CHAT_MAX_NAME = 32;

type Member = { ws: WSConn; outbox: Queue<string> };

/** A chat room made by createChatRoom(). */
export type ChatRoom = {
  /** Runs one member's session under `name` (default "guest"); resolves when it leaves. */
  join(ws: WSConn, name?: string): Promise<void>;
  /** Members in the room now. */
  readonly size: number;
};

/** Options of createChatRoom(). */
export type ChatOptions = {
  /** Messages waiting for one member before it is dropped as too slow. Default 64. */
  outbox?: number;
  /** Called when a member is dropped for being too slow. */
  onDropped?: (ws: WSConn) => void;
};

const cleanName = (name: unknown): string | null => {
  if (typeof name !== 'string') return null;
  const n = name.trim().slice(0, CHAT_MAX_NAME);
  return n === '' ? null : n;
};

/**
 * A chat room over WebSocket: every message a member sends goes to every
 * member, through a bounded outbox each; a member whose outbox overflows is
 * dropped (close 1013) rather than slowing the others.
 *
 * @example
 * const room = createChatRoom();
 * app.get('/chat', websocket((ws) => room.join(ws)));
 */
export function createChatRoom(options: ChatOptions = {}): ChatRoom {
  const members = new Set<Member>();
  const outboxSize = options.outbox ?? CHAT_OUTBOX;

  const broadcast = (payload: object, from?: Member): Promise<void> | undefined => {
    const text = JSON.stringify(payload);
    let own: Promise<void> | undefined;
    for (const m of members) {
      if (m === from) {
        if (!m.outbox.tryPush(text)) own = m.outbox.push(text);
      } else if (!m.outbox.tryPush(text)) {
        members.delete(m);
        m.outbox.close();
        void m.ws.close(1013, 'too slow to keep up').catch(() => {});
        options.onDropped?.(m.ws);
      }
    }
    return own;
  };

  const deliver = async (m: Member): Promise<void> => {
    for (let text = await m.outbox.pop(); text !== null; text = await m.outbox.pop()) {
      await m.ws.send(text);
    }
  };

  return {
    get size() {
      return members.size;
    },
    async join(ws, requested) {
      let name = cleanName(requested) ?? 'guest';
      const member: Member = { ws, outbox: createQueue<string>(outboxSize) };
      members.add(member);
      const sender = deliver(member).catch(() => {});
      broadcast({ event: 'join', name, text: `${name} joined (${members.size} here)`, time: Date.now() });
      try {
        for await (const msg of ws) {
          if (msg.type !== 'text') continue;
          let parsed: { name?: unknown; text?: unknown };
          try {
            parsed = JSON.parse(msg.data);
          } catch {
            continue;
          }
          if (typeof parsed.text !== 'string' || parsed.text.length === 0) continue;
          name = cleanName(parsed.name) ?? name; // a member may change its name as it goes
          const own = broadcast({ name, text: parsed.text.slice(0, CHAT_MAX_TEXT), time: Date.now() }, member);
          if (own === undefined) continue;
          try {
            await own;
          } catch {
            break; // dropped while waiting: its outbox was closed
          }
        }
      } finally {
        if (members.delete(member)) {
          member.outbox.close();
          broadcast({ event: 'leave', name, text: `${name} left (${members.size} here)`, time: Date.now() });
        }
        await sender;
      }
    },
  };
}
