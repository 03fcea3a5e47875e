/**
 * The send side of a connection (book 13.5 step 5): messages, fragmented
 * streams, control frames, and the close frame, in a safe order.
 *
 * Concurrent producers are ordered by a FIFO lock (book 13.3, a one-permit
 * semaphore). A whole message that needs no compression and finds the lock
 * free is framed synchronously: the fast path, no await. A compressed or
 * streamed message holds the lock until it is written, so nothing overtakes
 * it. Control frames never wait for the lock: frames are written whole, and
 * RFC 6455 §5.4 lets control frames go between a message's fragments. Once
 * the close frame is out, no data frame follows it (§5.5.1).
 */
import { createSemaphore } from '../sync/semaphore.js';
import { closePayload } from './close.js';
import { OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_TEXT } from './constants.js';
import type { MessageDeflater } from './deflate.js';
import { wsClosed } from './errors.js';
import type { FrameWriter } from './frame-writer.js';

/** Something to send as one fragmented message, read to its end (a BodyReader or a WSMsg fits). */
export type WSSource = {
  readonly type: 'text' | 'binary';
  read(): Promise<Buffer>;
  close?(): unknown;
};

const noop = (): void => {};

export class Sender {
  private readonly writer: FrameWriter;
  private readonly lock = createSemaphore(1);
  private readonly deflater: MessageDeflater | null;
  /** Messages smaller than this many bytes are not compressed. */
  private readonly threshold: number;
  /** Called once, when the close frame has been queued. */
  private readonly onCloseSent: () => void;
  /** The close frame has been queued: no more data frames. */
  closeSent = false;
  /** The code of the close frame sent (0: none, or sent without a code). */
  sentCode = 0;
  /** The source being streamed (holding the lock): closed by finish() if the connection ends first. */
  private source: WSSource | null = null;
  private closedByFinish: WSSource | null = null;

  constructor(writer: FrameWriter, deflater: MessageDeflater | null, threshold: number, onCloseSent: () => void) {
    this.writer = writer;
    this.deflater = deflater;
    this.threshold = threshold;
    this.onCloseSent = onCloseSent;
  }

  /** Sends a whole message: a string as text, bytes as binary. */
  message(data: string | Uint8Array): Promise<void> {
    if (this.closeSent) return Promise.reject(wsClosed());
    const d = this.deflater;
    if (typeof data === 'string') {
      // No compression possible below the threshold: ≤ 3 bytes per UTF-16 unit.
      if (this.lock.active === 0 && (d === null || data.length * 3 < this.threshold)) return this.writer.text(data);
      return this.locked(OP_TEXT, data);
    }
    if (this.lock.active === 0 && (d === null || data.length < this.threshold)) return this.writer.frame(OP_BINARY, data);
    return this.locked(OP_BINARY, data);
  }

  private async acquire(): Promise<void> {
    if (this.lock.tryAcquire()) return;
    try {
      await this.lock.acquire();
    } catch {
      throw wsClosed(); // the lock closes when the connection finishes
    }
  }

  private async locked(op: number, data: string | Uint8Array): Promise<void> {
    await this.acquire();
    try {
      if (this.closeSent) throw wsClosed();
      let payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let rsv1 = false;
      if (this.deflater !== null && payload.length >= this.threshold) {
        payload = await this.deflater.compress(payload);
        rsv1 = true; // RFC 7692 §6: RSV1 on the first (here only) frame
        if (this.closeSent) throw wsClosed();
      }
      await this.writer.frame(op, payload, true, rsv1);
    } finally {
      this.lock.release();
    }
  }

  /**
   * Sends `src` as one fragmented message, a frame per piece read, ending
   * with an empty final frame. Each piece is written before the next is
   * read, so a source may reuse its buffer. Streamed messages are not
   * compressed. A source that fails after the first fragment leaves no way
   * to finish the message: the connection is closed with 1011.
   */
  async stream(src: WSSource): Promise<void> {
    let started = false;
    let sourceFailed = false;
    try {
      await this.acquire();
      this.source = src;
      try {
        let op = src.type === 'text' ? OP_TEXT : OP_BINARY;
        for (;;) {
          let piece: Buffer;
          try {
            piece = await src.read();
          } catch (err) {
            sourceFailed = true;
            throw err;
          }
          if (this.closeSent) throw wsClosed();
          const fin = piece.length === 0;
          started = true;
          await this.writer.frame(op, piece, fin);
          if (fin) return;
          op = OP_CONTINUATION;
        }
      } finally {
        this.source = null;
        this.lock.release();
      }
    } catch (err) {
      // A write that failed means the connection is gone: nothing to tell the peer.
      if (started && sourceFailed) this.close(1011, 'message source failed');
      throw err;
    } finally {
      // The source is ours once handed to send().
      if (this.closedByFinish !== src) await src.close?.();
    }
  }

  /** Writes a ping or pong at once (not ordered behind messages). */
  control(op: number, payload: Uint8Array): Promise<void> {
    return this.writer.frame(op, payload);
  }

  /** Queues the close frame now (code 0: without a code); later data frames are refused. */
  close(code: number, reason: Buffer | string): void {
    if (this.closeSent) return;
    this.closeSent = true;
    this.sentCode = code;
    this.writer.frame(OP_CLOSE, closePayload(code, reason)).then(undefined, noop);
    this.onCloseSent();
  }

  /** Queues the close frame after the messages already waiting for the lock. */
  async closeAfterPending(code: number, reason: Buffer | string): Promise<void> {
    try {
      await this.acquire();
    } catch {
      return; // finishing already
    }
    try {
      this.close(code, reason);
    } finally {
      this.lock.release();
    }
  }

  /** Rejects senders still waiting for the lock; called when the connection finishes. */
  finish(): void {
    this.closeSent = true;
    // A source waiting for data would hold its send (and itself) open past the connection.
    const src = this.source;
    if (src !== null) {
      this.source = null;
      this.closedByFinish = src;
      (async () => src.close?.())().then(undefined, noop);
    }
    this.lock.close();
    this.writer.close();
    this.deflater?.close();
  }
}
