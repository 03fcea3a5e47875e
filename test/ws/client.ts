/** Helpers around the `ws` package, used as an independent WebSocket client. */
import WebSocket, { type ClientOptions } from 'ws';

export { WebSocket };

export type Received = { data: Buffer; binary: boolean };

export type Client = {
  ws: WebSocket;
  /** Header fields of the 101 response, names lower-cased. */
  headers: Record<string, string | string[] | undefined>;
  /** The next message received (in order). Listening starts before the handshake completes. */
  next(): Promise<Received>;
  /** Messages received so far. */
  count(): number;
  /** Close code and reason the client saw, once closed. */
  closed: Promise<{ code: number; reason: string }>;
  /** Closes from the client and waits for the close to complete. */
  close(code?: number, reason?: string): Promise<{ code: number; reason: string }>;
};

/** Opens a `ws` client; resolves once the handshake completed. */
export async function openClient(port: number, options: ClientOptions & { path?: string; protocols?: string[] } = {}): Promise<Client> {
  const { path = '/', protocols, ...rest } = options;
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols, rest);
  // Listen before 'open': frames that came with the 101 are emitted right after it.
  const queue: Received[] = [];
  const waiters: ((m: Received) => void)[] = [];
  let total = 0;
  ws.on('message', (data: Buffer, binary: boolean) => {
    total++;
    const m = { data, binary };
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  let headers: Record<string, string | string[] | undefined> = {};
  ws.once('upgrade', (res) => (headers = res.headers));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    headers,
    next: () => {
      const m = queue.shift();
      return m ? Promise.resolve(m) : new Promise((r) => waiters.push(r));
    },
    count: () => total,
    closed,
    close: (code = 1000, reason = '') => {
      ws.close(code, reason);
      return closed;
    },
  };
}
