/**
 * Test-only HTTP front for WebSocket tests: accepts connections from
 * listen(), reads one request head, builds an HTTPReq, calls the handler,
 * writes the response head and, for a 101, hands the connection over with
 * `upgrade(conn, rest, shutdown)`. Just enough HTTP to test src/ws without
 * depending on the real server (which has its own integration test).
 */
import { emptyBody } from '../../src/http/body.js';
import { HTTPError, STATUS_TEXT } from '../../src/http/errors.js';
import { FieldList } from '../../src/http/fields.js';
import type { Handler, HTTPReq, HTTPVersion, ResponseHeaders } from '../../src/http/types.js';
import type { Conn } from '../../src/net/conn.js';
import { DynBuf } from '../../src/net/dynbuf.js';
import { listen, type Listener } from '../../src/net/listener.js';

const CRLFCRLF = Buffer.from('\r\n\r\n');

export type Harness = {
  port: number;
  /** Resolves when every upgraded connection has finished (each upgrade promise). */
  idle(): Promise<void>;
  /** Stops accepting, signals shutdown (WebSockets close with 1001) and waits for every connection. */
  close(): Promise<void>;
  /** Requests that reached the handler. */
  requests: HTTPReq[];
  /** Connections handed to an upgrade handler, in order (for memory counters). */
  upgraded: Conn[];
  /** Anything that went wrong serving a connection (a test may assert it stays empty). */
  errors: unknown[];
};

export async function serve(handler: Handler): Promise<Harness> {
  const listener: Listener = await listen({ port: 0 });
  const shutdown = new AbortController();
  const running = new Set<Promise<void>>();
  const requests: HTTPReq[] = [];
  const upgraded: Conn[] = [];
  const errors: unknown[] = [];
  let stopped = false;

  const acceptLoop = async (): Promise<void> => {
    for (;;) {
      let conn: Conn;
      try {
        conn = await listener.accept();
      } catch {
        return; // listener closed
      }
      const p = serveOne(conn).catch((err: unknown) => {
        errors.push(err);
        conn.close();
      });
      running.add(p);
      void p.finally(() => running.delete(p));
    }
  };

  const serveOne = async (conn: Conn): Promise<void> => {
    const buf = new DynBuf();
    let head: Buffer | null = null;
    while ((head = buf.cut(CRLFCRLF, 64 * 1024)) === null) {
      const chunk = await conn.read();
      if (chunk.length === 0) {
        conn.close();
        return;
      }
      buf.append(chunk);
    }
    const req = parseHead(head.toString('latin1'), conn);
    requests.push(req);
    let res;
    try {
      res = await handler(req, emptyBody());
    } catch (err) {
      const status = err instanceof HTTPError ? err.status : 500;
      const headers = err instanceof HTTPError ? err.headers : undefined;
      await conn.write(Buffer.from(formatHead(status, headers) + 'Content-Length: 0\r\nConnection: close\r\n\r\n', 'latin1'));
      await conn.end();
      conn.close();
      return;
    }
    if (res.code === 101 && res.upgrade !== undefined) {
      await conn.write(Buffer.from(formatHead(101, res.headers) + '\r\n', 'latin1'));
      upgraded.push(conn);
      await res.upgrade(conn, buf, shutdown.signal);
      return;
    }
    await conn.write(Buffer.from(formatHead(res.code, res.headers) + 'Content-Length: 0\r\nConnection: close\r\n\r\n', 'latin1'));
    await conn.end();
    conn.close();
  };

  void acceptLoop();

  const idle = async (): Promise<void> => {
    while (running.size > 0) await Promise.all([...running]);
  };

  return {
    port: listener.port,
    requests,
    upgraded,
    errors,
    idle,
    close: async () => {
      if (!stopped) {
        stopped = true;
        await listener.close();
        shutdown.abort();
      }
      await idle();
    },
  };
}

function parseHead(text: string, conn: Conn): HTTPReq {
  const lines = text.split('\r\n');
  const [method, target, proto] = lines[0]!.split(' ');
  const headers = new FieldList();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    headers.add(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const q = target!.indexOf('?');
  return {
    method: method!,
    target: target!,
    path: q < 0 ? target! : target!.slice(0, q),
    query: q < 0 ? '' : target!.slice(q + 1),
    version: (proto === 'HTTP/1.0' ? '1.0' : '1.1') as HTTPVersion,
    headers,
    authority: headers.get('host') ?? '',
    remoteAddress: conn.remoteAddress,
    secure: false,
  };
}

function formatHead(status: number, headers: ResponseHeaders | undefined): string {
  let s = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Status'}\r\n`;
  for (const [name, v] of Object.entries(headers ?? {})) {
    for (const item of Array.isArray(v) ? v : [v]) s += `${name}: ${item}\r\n`;
  }
  return s;
}
