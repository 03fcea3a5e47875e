/** Helpers for HTTP tests: an in-process server, raw exchanges, a response parser. */
import { once } from 'node:events';
import type * as net from 'node:net';
import { createServer, type Server, type ServerOptions } from '../../src/http/server.js';
import type { Handler } from '../../src/http/types.js';
import { connect, readToEnd } from '../support.js';

export { connect, readToEnd };

/** Starts a server on a free port; close it with `server.close()`. */
export async function startServer(handler: Handler, options: ServerOptions = {}): Promise<Server> {
  const server = createServer(handler, { onError: () => {}, ...options });
  await server.listen({ port: 0, host: '127.0.0.1' });
  return server;
}

/** Sends `request` (bytes or string) and collects everything until the server closes. */
export async function exchange(port: number, request: string | Buffer, endAfter = false): Promise<Buffer> {
  const s = await connect(port);
  const all = readToEnd(s);
  if (endAfter) s.end(request);
  else s.write(request);
  return all;
}

export type Resp = {
  status: number;
  reason: string;
  headers: Record<string, string>;
  /** Raw header lines in order. */
  lines: string[];
  body: Buffer;
  trailers?: Record<string, string>;
};

/**
 * Parses a byte stream of HTTP/1.1 responses. `methods` gives each request's
 * method so that responses to HEAD are known to have no body. Throws on
 * anything malformed: the test then fails.
 */
export function parseResponses(data: Buffer, methods: string[] = []): Resp[] {
  const out: Resp[] = [];
  let pos = 0;
  let i = 0;
  while (pos < data.length) {
    const end = data.indexOf('\r\n\r\n', pos);
    if (end < 0) throw new Error(`incomplete response head: ${JSON.stringify(data.subarray(pos).toString('latin1').slice(0, 200))}`);
    const headText = data.toString('latin1', pos, end);
    const [statusLine, ...lines] = headText.split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) (.*)$/.exec(statusLine!);
    if (!m) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const c = l.indexOf(':');
      if (c <= 0) throw new Error(`bad header line ${JSON.stringify(l)}`);
      const k = l.slice(0, c).toLowerCase();
      const v = l.slice(c + 1).trim();
      headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
    }
    pos = end + 4;
    const status = Number(m[1]);
    const method = methods[i] ?? 'GET';
    let body: Buffer = Buffer.alloc(0);
    let trailers: Record<string, string> | undefined;
    if (status >= 200 && status !== 204 && status !== 304 && method !== 'HEAD') {
      if (headers['transfer-encoding'] !== undefined) {
        if (headers['content-length'] !== undefined) throw new Error('both TE and CL in a response');
        const parts: Buffer[] = [];
        for (;;) {
          const le = data.indexOf('\r\n', pos);
          if (le < 0) throw new Error('incomplete chunk size');
          const size = parseInt(data.toString('latin1', pos, le), 16);
          pos = le + 2;
          if (size === 0) break;
          parts.push(data.subarray(pos, pos + size));
          pos += size;
          if (data.toString('latin1', pos, pos + 2) !== '\r\n') throw new Error('chunk not followed by CRLF');
          pos += 2;
        }
        trailers = {};
        for (;;) {
          const le = data.indexOf('\r\n', pos);
          if (le < 0) throw new Error('incomplete trailers');
          const line = data.toString('latin1', pos, le);
          pos = le + 2;
          if (line === '') break;
          const c = line.indexOf(':');
          trailers[line.slice(0, c).toLowerCase()] = line.slice(c + 1).trim();
        }
        body = Buffer.concat(parts);
      } else if (headers['content-length'] !== undefined) {
        const n = Number(headers['content-length']);
        if (pos + n > data.length) throw new Error(`body shorter than Content-Length ${n}`);
        body = data.subarray(pos, pos + n);
        pos += n;
      } else {
        body = data.subarray(pos); // close-delimited
        pos = data.length;
      }
    }
    out.push({ status, reason: m[2]!, headers, lines, body, trailers });
    i++;
  }
  return out;
}

/** Sends a raw request and parses the single response the server sends before closing. */
export async function rawStatus(port: number, request: string | Buffer): Promise<Resp[]> {
  return parseResponses(await exchange(port, request));
}

/** Resolves once the socket is closed by the server. */
export function closed(s: net.Socket): Promise<void> {
  return s.closed ? Promise.resolve() : once(s, 'close').then(() => {});
}
