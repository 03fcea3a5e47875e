/**
 * A promise-based listener (the book's soListen/soAccept exercise): `accept()`
 * resolves with the next connection. Plain TCP or TLS (a TLS socket is a byte
 * stream too), IPv4 or IPv6, and under `node:cluster` the listening socket is
 * shared between workers as usual.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Conn, type ConnOptions } from './conn.js';
import { NetError } from './errors.js';

/** Accepted connections kept while nobody calls accept(); more are dropped. */
export const DEFAULT_MAX_PENDING_ACCEPTS = 1024;

export type ListenOptions = ConnOptions & {
  port?: number;
  host?: string;
  /** Kernel accept backlog. */
  backlog?: number;
  /** When set, speak TLS with these options (cert, key, ALPNProtocols, ...). */
  tls?: tls.TlsOptions;
  /** Accepted connections queued while nobody accepts. Default 1024. */
  maxPendingAccepts?: number;
  /** TLS only: a handshake not complete within this many ms is dropped. Default 10 s. */
  handshakeTimeout?: number;
};

/** TLS handshakes not complete within this long are dropped (ms). */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

type Waiter = { resolve: (c: Conn) => void; reject: (e: Error) => void };
/** A socket accepted while nobody was accepting, and when (ms since epoch). */
type Queued = { socket: net.Socket; since: number; onClose: () => void };

export class Listener {
  readonly server: net.Server;
  private readonly connOptions: ConnOptions;
  private readonly maxPending: number;
  private pending: Queued[] = [];
  private waiters: Waiter[] = [];
  private closed = false;
  private bound: net.AddressInfo | null = null;

  private constructor(server: net.Server, options: ListenOptions) {
    this.server = server;
    this.connOptions = { readHighWaterMark: options.readHighWaterMark };
    this.maxPending = options.maxPendingAccepts ?? DEFAULT_MAX_PENDING_ACCEPTS;
    server.on(options.tls ? 'secureConnection' : 'connection', this.onSocket);
    if (options.tls) {
      // A failed handshake is the client's problem, never the process's.
      server.on('tlsClientError', (_err: Error, socket: tls.TLSSocket) => socket.destroy());
    }
  }

  /** Connections accepted and waiting for accept(). */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Starts listening; resolves once the port is bound. */
  static listen(options: ListenOptions = {}): Promise<Listener> {
    const serverOptions = { allowHalfOpen: true, noDelay: true };
    const server = options.tls
      ? tls.createServer({
          ...serverOptions,
          // A client that opens TCP and never completes the handshake holds a
          // descriptor: bound it (Node's default is 120 s).
          handshakeTimeout: options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
          ...options.tls,
        })
      : net.createServer(serverOptions);
    const listener = new Listener(server, options);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(
        { port: options.port ?? 0, host: options.host ?? '127.0.0.1', backlog: options.backlog },
        () => {
          server.off('error', reject);
          listener.bound = server.address() as net.AddressInfo;
          // Later server errors (EMFILE on accept, ...) must not kill the process.
          server.on('error', () => {});
          resolve(listener);
        },
      );
    });
  }

  private onSocket = (socket: net.Socket): void => {
    socket.setNoDelay(true);
    const w = this.waiters.shift();
    if (w !== undefined) {
      w.resolve(new Conn(socket, this.connOptions));
    } else if (this.pending.length < this.maxPending) {
      // Keep errors on a queued socket from becoming uncaught exceptions, and
      // forget it if it ends while it waits: its slot is nobody's.
      const onClose = (): void => this.forget(socket);
      socket.on('error', noop);
      socket.once('close', onClose);
      this.pending.push({ socket, since: Date.now(), onClose });
    } else {
      socket.destroy();
    }
  };

  private forget(socket: net.Socket): void {
    const i = this.pending.findIndex((q) => q.socket === socket);
    if (i >= 0) this.pending.splice(i, 1);
  }

  /** Resolves with the next connection; rejects once the listener is closed. */
  accept(): Promise<Conn> {
    if (this.closed) return Promise.reject(listenerClosed());
    const q = this.pending.shift();
    if (q !== undefined) {
      q.socket.off('error', noop);
      q.socket.off('close', q.onClose);
      return Promise.resolve(new Conn(q.socket, this.connOptions));
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Closes queued connections that have waited since before `since` (ms since
   * epoch): a server over its connection limit must not hold them for ever.
   * Returns how many were closed.
   */
  dropPendingSince(since: number): number {
    let n = 0;
    // Oldest first: stop at the first that is young enough.
    while (this.pending.length > 0 && this.pending[0]!.since < since) {
      this.pending.shift()!.socket.destroy();
      n++;
    }
    return n;
  }

  /** The bound port (still known after close). */
  get port(): number {
    return this.bound?.port ?? 0;
  }

  get host(): string {
    return this.bound?.address ?? '';
  }

  /**
   * Stops accepting. Pending accepts reject, queued connections are closed.
   * Connections already accepted are the caller's and stay open.
   */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      const err = listenerClosed();
      for (const w of this.waiters.splice(0)) w.reject(err);
      for (const q of this.pending.splice(0)) q.socket.destroy();
    }
    // server.close() stops listening at once; its callback would also wait
    // for every accepted connection, which are not the listener's to wait on.
    if (this.server.listening) this.server.close();
    return Promise.resolve();
  }
}

const noop = (): void => {};
const listenerClosed = (): NetError => new NetError('WEFT_LISTENER_CLOSED', 'listener closed');

/** Binds a listener. `listen({ port: 0 })` picks a free port. */
export const listen = (options?: ListenOptions): Promise<Listener> => Listener.listen(options);
