/** Helpers for the kit's tests: a server for a handler, and requests with fetch. */
import { startServer } from '../http/support.js';
import type { Server, ServerOptions } from '../../src/http/server.js';
import type { Handler, HTTPReq } from '../../src/http/types.js';

export { startServer, rawStatus, exchange, parseResponses, connect, readToEnd } from '../http/support.js';

/** A running server and its base URL; `close()` closes it. */
export type Running = { server: Server; base: string; errors: unknown[]; close(): Promise<void> };

/** Starts `handler`; errors reported to onError are collected in `errors`. */
export async function serve(handler: Handler, options: ServerOptions = {}): Promise<Running> {
  const errors: unknown[] = [];
  const server = await startServer(handler, { onError: (err: unknown, _req: HTTPReq | null) => errors.push(err), ...options });
  return { server, base: `http://127.0.0.1:${server.port}`, errors, close: () => server.close() };
}

/** fetch, with the body read as text. */
export async function get(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}
