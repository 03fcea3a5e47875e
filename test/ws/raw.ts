/**
 * A raw WebSocket client for tests: sends hand-built frames (including
 * invalid ones) over a plain `net` socket and parses what the server sends,
 * so that every framing rule can be checked byte by byte.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type * as net from 'node:net';
import { connect } from '../support.js';

export const GOOD_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
export const GOOD_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

export type FrameSpec = {
  opcode: number;
  payload?: Buffer | string;
  fin?: boolean;
  /** RSV bits as a 3-bit number (4 = RSV1). */
  rsv?: number;
  /** false: send unmasked (a violation for a client). */
  mask?: boolean;
  /** Force a length encoding: 16 or 64 bits even for short payloads (non-minimal). */
  lengthBits?: 7 | 16 | 64;
  /** Raw 64-bit length high word (to set the top bit); payload then omitted. */
  high?: number;
};

// Masking keys drawn 4 KiB at a time: one randomBytes call per frame is most of the cost of building 65,536 frames.
let keys = Buffer.alloc(0);
let keyAt = 0;
function maskKey(): Buffer {
  if (keyAt === keys.length) {
    keys = randomBytes(4096);
    keyAt = 0;
  }
  keyAt += 4;
  return keys.subarray(keyAt - 4, keyAt);
}

/** Builds one client frame. */
export function frame(spec: FrameSpec): Buffer {
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0));
  const fin = spec.fin ?? true;
  const mask = spec.mask ?? true;
  const n = payload.length;
  const bits = spec.lengthBits ?? (spec.high !== undefined ? 64 : n < 126 ? 7 : n < 65536 ? 16 : 64);
  const head: number[] = [(fin ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | spec.opcode];
  const m = mask ? 0x80 : 0;
  if (bits === 7) head.push(m | n);
  else if (bits === 16) head.push(m | 126, n >>> 8, n & 0xff);
  else {
    const hi = spec.high ?? Math.floor(n / 2 ** 32);
    const lo = n >>> 0;
    head.push(m | 127, (hi >>> 24) & 0xff, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff);
    head.push((lo >>> 24) & 0xff, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = maskKey();
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!;
  return Buffer.concat([Buffer.from(head), key, body]);
}

export type ServerFrame = { fin: boolean; rsv: number; opcode: number; masked: boolean; payload: Buffer };

export type RawClient = {
  socket: net.Socket;
  status: number;
  headers: Record<string, string>;
  /** Sends bytes as they are. */
  write(data: Buffer | Buffer[]): void;
  /** The next frame from the server, or null once the server has ended TCP. */
  readFrame(): Promise<ServerFrame | null>;
  /** Resolves when the socket is fully closed. */
  closed: Promise<void>;
  /** True once the server sent FIN (end of its side). */
  ended(): boolean;
};

/**
 * Opens a TCP connection and performs the handshake by hand (extra headers
 * override or add to the standard ones; a null value removes a header).
 */
export async function rawConnect(
  port: number,
  extra: Record<string, string | null> = {},
  options: { path?: string; version?: string; method?: string } = {},
): Promise<RawClient> {
  const socket = await connect(port);
  const headers: Record<string, string | null> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': GOOD_KEY,
    'Sec-WebSocket-Version': '13',
    ...extra,
  };
  let req = `${options.method ?? 'GET'} ${options.path ?? '/'} HTTP/${options.version ?? '1.1'}\r\n`;
  for (const [k, v] of Object.entries(headers)) if (v !== null) req += `${k}: ${v}\r\n`;
  socket.write(req + '\r\n');

  let buf = Buffer.alloc(0);
  // Received and not yet appended to buf: a large frame is joined once, not once per chunk.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const absorb = (): void => {
    if (pending.length === 0) return;
    buf = Buffer.concat([buf, ...pending]);
    pending = [];
    pendingBytes = 0;
  };
  let ended = false;
  let waiter: (() => void) | null = null;
  const wake = (): void => {
    const w = waiter;
    waiter = null;
    w?.();
  };
  socket.on('data', (d: Buffer) => {
    pending.push(d);
    pendingBytes += d.length;
    wake();
  });
  socket.on('end', () => {
    ended = true;
    wake();
  });
  socket.on('error', () => {
    ended = true;
    wake();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  closed.then(() => {
    ended = true;
    wake();
  });
  const more = (): Promise<void> => new Promise((r) => (waiter = r));

  // Response head.
  let end: number;
  while ((absorb(), (end = buf.indexOf('\r\n\r\n'))) < 0) {
    if (ended) throw new Error(`connection ended before the response head: ${buf.toString('latin1')}`);
    await more();
  }
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  buf = buf.subarray(end + 4);
  const status = Number(lines[0]!.split(' ')[1]);
  const resHeaders: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    resHeaders[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }

  const readFrame = async (): Promise<ServerFrame | null> => {
    for (;;) {
      const need = frameSize(buf);
      if (need === 0 || buf.length + pendingBytes >= need) absorb();
      const f = parseServerFrame(buf);
      if (f !== null) {
        buf = buf.subarray(f.size);
        return f.frame;
      }
      if (ended) return null;
      await more();
    }
  };

  return {
    socket,
    status,
    headers: resHeaders,
    write: (data) => {
      for (const d of Array.isArray(data) ? data : [data]) socket.write(d);
    },
    readFrame,
    closed,
    ended: () => ended,
  };
}

/** Where the next frame's header ends and its length; null while the header is incomplete. */
function frameHeader(buf: Buffer): { off: number; len: number } | null {
  if (buf.length < 2) return null;
  let len = buf[1]! & 0x7f;
  let off = 2;
  if (len === 126) {
    if (buf.length < 4) return null;
    len = buf.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    if (buf.length < 10) return null;
    len = Number(buf.readBigUInt64BE(2));
    off = 10;
  }
  return { off: (buf[1]! & 0x80) !== 0 ? off + 4 : off, len };
}

/** Bytes of the next frame, header included; 0 while its header is incomplete. */
function frameSize(buf: Buffer): number {
  const h = frameHeader(buf);
  return h === null ? 0 : h.off + h.len;
}

function parseServerFrame(buf: Buffer): { frame: ServerFrame; size: number } | null {
  const h = frameHeader(buf);
  if (h === null) return null;
  const { off, len } = h;
  const b0 = buf[0]!;
  const masked = (buf[1]! & 0x80) !== 0;
  if (buf.length < off + len) return null;
  return {
    frame: { fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, payload: Buffer.from(buf.subarray(off, off + len)) },
    size: off + len,
  };
}

/** Reads frames until the server's close frame; returns its code (0 if it had none). */
export async function readClose(c: RawClient): Promise<{ code: number; reason: string; before: ServerFrame[] }> {
  const before: ServerFrame[] = [];
  for (;;) {
    const f = await c.readFrame();
    assert.ok(f !== null, 'server ended TCP without a close frame');
    if (f.opcode === 0x8) {
      assert.equal(f.masked, false, 'server frames must not be masked');
      return {
        code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 0,
        reason: f.payload.subarray(2).toString(),
        before,
      };
    }
    before.push(f);
  }
}

/**
 * Asserts that the server fails the connection with `code`: a close frame
 * carrying it, then the TCP connection closed by the server without us
 * closing our side first.
 */
export async function expectFail(c: RawClient, code: number): Promise<void> {
  const got = await readClose(c);
  assert.equal(got.code, code, `expected close ${code}, got ${got.code} (${got.reason})`);
  // The server ends TCP after its close frame: we see EOF without answering.
  assert.equal(await c.readFrame(), null);
  c.socket.end();
  await c.closed;
}

/** Completes a clean close from the client side: answers the server's close frame and ends. */
export async function answerClose(c: RawClient, code: number): Promise<void> {
  c.write(frame({ opcode: 0x8, payload: closeBody(code) }));
  c.socket.end();
  await c.closed;
}

export function closeBody(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code, 0);
  b.write(reason, 2);
  return b;
}
