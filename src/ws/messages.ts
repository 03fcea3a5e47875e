/**
 * The messages the application receives: whole (`WSMessage`, for
 * `receive()` and `for await`) or streamed (`WSMsg`, the book's shape, for
 * `recv()`), and the streamed message's implementation, whose payload flows
 * from the reader task to the application through a bounded queue.
 */
import { createQueue, type Queue } from '../sync/queue.js';

const EMPTY = Buffer.alloc(0);
const weighPiece = (b: Buffer): number => b.length;

/** A whole message (message mode). */
export type WSMessage = { type: 'text'; data: string } | { type: 'binary'; data: Buffer };

/**
 * A message whose payload is read as it arrives (stream mode, the book's
 * WSMsg). `read()` resolves with the next bytes, empty at the end of the
 * message, and rejects if the connection fails first.
 */
export type WSMsg = {
  readonly type: 'text' | 'binary';
  /** Payload length in bytes when known in advance (one uncompressed frame), else -1. */
  readonly length: number;
  read(): Promise<Buffer>;
};

/** A streamed message: its payload flows through a bounded queue. */
export class StreamedMessage implements WSMsg {
  readonly type: 'text' | 'binary';
  readonly length: number;
  readonly queue: Queue<Buffer>;
  /** Set before the queue is closed when the message did not end properly. */
  error: Error | null = null;

  /** `bufferSize`: payload bytes buffered ahead of read(). */
  constructor(type: 'text' | 'binary', length: number, bufferSize: number) {
    this.type = type;
    this.length = length;
    this.queue = createQueue<Buffer>(bufferSize, { weigh: weighPiece });
  }

  read(): Promise<Buffer> {
    const b = this.queue.tryPop();
    if (b !== undefined) return Promise.resolve(b);
    return this.queue.pop().then(this.orEnd);
  }

  private orEnd = (b: Buffer | null): Buffer => {
    if (b !== null) return b;
    if (this.error !== null) throw this.error;
    return EMPTY;
  };

  /** Ends the message; `err` makes the reader's last read reject. */
  end(err: Error | null): void {
    if (err !== null && this.error === null && !this.queue.closed) this.error = err;
    this.queue.close();
  }
}
