/**
 * The demo chat room, as a topic of a pub/sub hub: every member subscribes
 * to the room's topic and what a member says is published there. With a
 * hub on the IPC or Redis bus, members on any worker or machine talk to
 * each other. Joining and leaving are announced with the member's name.
 *
 * Slow members and fast talkers follow the hub's policy: a member too slow
 * to keep up is closed with 1013 rather than allowed to grow the server's
 * memory, and a member's own copy of what it says waits for room, so one
 * that talks faster than it listens is slowed down (backpressure) instead
 * of dropping everyone else.
 *
 * Messages are JSON text: `{ name, text, time }` for what a member said,
 * `{ event: 'join' | 'leave', name, text, time }` for arrivals and departures.
 */
import { createHub, type Hub } from '../pubsub/hub.js';
import type { WSConn } from '../ws/websocket.js';

/** Longest chat line accepted (characters). */
export const CHAT_MAX_TEXT = 1000;
/** Longest member name (characters). */
export const CHAT_MAX_NAME = 32;
/** The room's topic unless told otherwise. */
export const CHAT_TOPIC = 'chat';

/** A chat room made by createChatRoom(). */
export type ChatRoom = {
  /** Runs one member's session under `name` (default "guest"); resolves when it leaves. */
  join(ws: WSConn, name?: string): Promise<void>;
  /** Members connected to this process. */
  readonly size: number;
  readonly hub: Hub;
};

/** Options of createChatRoom(). */
export type ChatOptions = {
  /** The hub the room is a topic of. Default: a hub of its own, for this process. */
  hub?: Hub;
  /** The room's topic. Default "chat". */
  topic?: string;
};

const cleanName = (name: unknown): string | null => {
  if (typeof name !== 'string') return null;
  const n = name.trim().slice(0, CHAT_MAX_NAME);
  return n === '' ? null : n;
};

/**
 * A chat room over WebSocket, as a topic of `options.hub` (or of a hub of
 * its own): members on every process the hub's bus reaches talk together.
 *
 * @example
 * const room = createChatRoom({ hub: createHub({ bus: redisBus({ url: 'redis://10.0.0.5' }) }) });
 * app.get('/chat', websocket((ws, req) => room.join(ws, new URLSearchParams(req.query).get('name') ?? 'guest')));
 */
export function createChatRoom(options: ChatOptions = {}): ChatRoom {
  const hub = options.hub ?? createHub();
  const topic = options.topic ?? CHAT_TOPIC;
  let size = 0;

  const announce = (event: 'join' | 'leave', name: string): void => {
    const text = `${name} ${event === 'join' ? 'joined' : 'left'}`;
    hub.publish(topic, JSON.stringify({ event, name, text, time: Date.now() }));
  };

  return {
    hub,
    get size() {
      return size;
    },
    async join(ws, requested) {
      let name = cleanName(requested) ?? 'guest';
      size++;
      try {
        await hub.subscribe(ws, topic); // in effect across processes before anyone hears of it
        announce('join', name);
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
          const said = JSON.stringify({ name, text: parsed.text.slice(0, CHAT_MAX_TEXT), time: Date.now() });
          const room = hub.publish(topic, said, { from: ws });
          if (room !== undefined) await room;
        }
      } finally {
        size--;
        hub.unsubscribe(ws, topic);
        announce('leave', name);
      }
    },
  };
}
