/**
 * The client side of the connection layer: `dial()` opens a TCP (or TLS)
 * connection and hands it over as a Conn, the same promise-based connection
 * the listener accepts, so that a client protocol (the Redis client in
 * src/pubsub) reads and writes exactly as the server does.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Conn, type ConnOptions } from './conn.js';
import { NetError } from './errors.js';

/** Time allowed to connect (and finish the TLS handshake), in milliseconds. */
export const DEFAULT_DIAL_TIMEOUT = 5_000;

export type DialOptions = ConnOptions & {
  host: string;
  port: number;
  /** Speak TLS with these options (`servername` defaults to the host name). */
  tls?: tls.ConnectionOptions;
  /** Milliseconds allowed to connect and finish the TLS handshake. Default 5000. */
  timeout?: number;
  /** TCP keep-alive probes after this many idle milliseconds; 0 disables them. Default 0. */
  keepAlive?: number;
  /** Aborting gives up the attempt: the socket is destroyed, the promise rejects with WEFT_DIAL_ABORTED. */
  signal?: AbortSignal;
};

/**
 * Connects; resolves with the Conn once the connection (and TLS handshake)
 * is up; rejects with the socket's error (ECONNREFUSED, a certificate
 * error), WEFT_DIAL_TIMEOUT or WEFT_DIAL_ABORTED. The caller owns the Conn
 * and closes it.
 */
export function dial(options: DialOptions): Promise<Conn> {
  const { host, port, signal } = options;
  if (signal?.aborted) return Promise.reject(dialAborted(host, port));
  const socket = options.tls
    ? tls.connect({ servername: net.isIP(host) === 0 ? host : undefined, ...options.tls, host, port })
    : net.connect({ host, port });
  const ready = options.tls ? 'secureConnect' : 'connect';
  return new Promise<Conn>((resolve, reject) => {
    const settle = (err: Error | null): void => {
      clearTimeout(timer);
      socket.off(ready, onReady);
      socket.off('error', settle);
      signal?.removeEventListener('abort', onAbort);
      if (err !== null) {
        socket.destroy();
        reject(err);
        return;
      }
      socket.setNoDelay(true);
      if ((options.keepAlive ?? 0) > 0) socket.setKeepAlive(true, options.keepAlive);
      resolve(new Conn(socket, { readHighWaterMark: options.readHighWaterMark }));
    };
    const onReady = (): void => settle(null);
    const onAbort = (): void => settle(dialAborted(host, port));
    const timer = setTimeout(
      () => settle(new NetError('WEFT_DIAL_TIMEOUT', `no connection to ${host}:${port} within ${options.timeout ?? DEFAULT_DIAL_TIMEOUT} ms`)),
      options.timeout ?? DEFAULT_DIAL_TIMEOUT,
    );
    socket.once(ready, onReady);
    socket.once('error', settle);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const dialAborted = (host: string, port: number): NetError =>
  new NetError('WEFT_DIAL_ABORTED', `connecting to ${host}:${port} was abandoned`);
