/**
 * The read side of a WebSocket connection (book 13.5 step 6): one task reads
 * the socket, runs the frame parser and delivers messages to the application
 * in one of two modes, chosen by the application's first call:
 *
 * - message mode (`receive()`, `for await`): whole messages, text decoded,
 *   up to maxMessageSize, buffered up to receiveBufferSize bytes ahead of the
 *   application;
 * - stream mode (`recv()`): the book's WSMsg, whose payload the application
 *   reads piece by piece as it arrives, so a message of any size streams
 *   through in constant memory.
 *
 * Backpressure: when the application is behind (buffer full, or a streamed
 * piece not read yet) the task awaits it instead of reading the socket, and
 * Conn pauses the socket. Control frames are handed to the connection
 * (websocket.ts) as they come.
 *
 * The receiver also counts the messages it gave the application and the
 * times the application asked for one, so that the connection can tell when
 * the application is done with every message it was given (it asked for the
 * next): the close frame waits for that (websocket.ts).
 */
import type { Conn } from '../net/conn.js';
import { createQueue, type Queue } from '../sync/queue.js';
import { StreamedMessage, type WSMessage, type WSMsg } from './messages.js';
import { CLOSE_NO_STATUS, OP_CLOSE, OP_PING, OP_TEXT } from './constants.js';
import type { MessageInflater } from './deflate.js';
import { invalidUtf8, protocolError, tooBig, WSError } from './errors.js';
import { EV_CONTROL, EV_DATA, EV_NEED_MORE, FrameParser, payloadLimit } from './frame-parser.js';
import { isValidReceivedCloseCode } from './close.js';
import { UTF8_ACCEPT, UTF8_REJECT, validateUtf8 } from './utf8.js';

/** What the connection does with control frames. */
export type ControlHandler = {
  /** Answers a ping; a promise makes the reader wait (the socket is backed up: ping floods stall). */
  onPing(payload: Buffer): Promise<void> | undefined;
  onPong(payload: Buffer): void;
  /** A valid close frame: code (CLOSE_NO_STATUS when absent) and reason. */
  onClose(code: number, reason: string): void;
};

export type ReceiverOptions = {
  maxMessageSize: number;
  maxFramesPerMessage: number;
  receiveBufferSize: number;
  streamBufferSize: number;
};

/** How `run()` ended. */
export const END_CLOSE_FRAME = 0; // the peer's close frame arrived (and was handled)
export const END_FAILED = 1; //      a protocol violation: `error` has the close code
export const END_EOF = 2; //         TCP ended without a close frame
export const END_ABORTED = 3; //     the socket failed, or abort() was called

const MODE_UNSET = 0;
const MODE_MESSAGE = 1;
const MODE_STREAM = 2;

const EMPTY = Buffer.alloc(0);
const RESOLVED: Promise<void> = Promise.resolve();
const noop = (): void => {};
// A message costs its payload plus ~64 bytes of object: empty messages count too.
const weighMessage = (m: WSMessage): number => m.data.length + 64;

export class Receiver {
  private readonly conn: Conn;
  private readonly parser: FrameParser;
  private readonly control: ControlHandler;
  private readonly inflater: MessageInflater | null;
  private readonly options: ReceiverOptions;

  private mode = MODE_UNSET;
  private modeChosen: (() => void) | null = null;
  private messages: Queue<WSMessage> | null = null;
  private streams: Queue<WSMsg> | null = null;
  /** No more delivery: data is parsed and dropped (after close, or abort). */
  private discarding = false;
  private aborted = false;

  // The message being assembled (message mode).
  private dropMessage = false;
  private text = false;
  private utf8 = UTF8_ACCEPT;
  private first: Buffer | null = null;
  private parts: Buffer[] | null = null;
  private size = 0;

  // The message being streamed (stream mode), and the one the application
  // holds (the same, or an earlier one it has not finished reading).
  private current: StreamedMessage | null = null;
  private handedOut: StreamedMessage | null = null;

  // Messages handed to the application's queue, and its calls asking for one.
  private given = 0;
  private asks = 0;
  private appDoneWaiter: (() => void) | null = null;

  /** True while the task waits for the application (not for the socket). */
  waitingForApp = false;
  /** Set when run() ends with END_FAILED. */
  error: WSError | null = null;

  constructor(conn: Conn, control: ControlHandler, inflater: MessageInflater | null, options: ReceiverOptions) {
    this.conn = conn;
    this.control = control;
    this.inflater = inflater;
    this.options = options;
    this.parser = new FrameParser({
      allowRsv1: inflater !== null,
      maxFramesPerMessage: options.maxFramesPerMessage,
      // Set when the application picks message mode: until then a message
      // might be streamed, which has no size limit.
      maxMessageSize: Infinity,
    });
  }

  // ---- application side ----

  /** A whole message if one is buffered now, else undefined. */
  tryReceive(): WSMessage | undefined {
    if (this.mode !== MODE_MESSAGE) this.choose(MODE_MESSAGE);
    const q = this.messages!;
    const m = q.tryPop();
    // Finding the end counts as asking: for await then calls receive(), which counts again, harmlessly.
    if (m !== undefined || q.closed) this.asked();
    return m;
  }

  /** The next whole message, or null once the connection is closing. */
  receive(): Promise<WSMessage | null> {
    if (this.mode !== MODE_MESSAGE) this.choose(MODE_MESSAGE);
    this.asked();
    const q = this.messages!;
    const m = q.tryPop();
    return m !== undefined ? Promise.resolve(m) : q.pop();
  }

  /** The next streamed message, or null once the connection is closing. */
  recv(): Promise<WSMsg | null> {
    if (this.mode !== MODE_STREAM) this.choose(MODE_STREAM);
    this.asked();
    // Asking for the next message abandons the rest of the previous one.
    this.handedOut?.end(null);
    this.handedOut = null;
    return this.streams!.pop().then(this.keepHandedOut);
  }

  private keepHandedOut = (m: WSMsg | null): WSMsg | null => {
    this.handedOut = m as StreamedMessage | null;
    return m;
  };

  private choose(mode: number): void {
    if (this.mode !== MODE_UNSET) {
      throw new WSError('WEFT_WS_MODE', 'recv() (streamed messages) and receive()/for await (whole messages) cannot be mixed');
    }
    this.mode = mode;
    if (mode === MODE_MESSAGE) {
      this.messages = createQueue<WSMessage>(this.options.receiveBufferSize, { weigh: weighMessage });
      this.parser.maxMessageSize = this.options.maxMessageSize;
    } else {
      // Streamed messages are handed over one at a time; the payload is buffered.
      this.streams = createQueue<WSMsg>(0);
    }
    if (this.discarding) this.closeQueues(null);
    const wake = this.modeChosen;
    this.modeChosen = null;
    wake?.();
  }

  /**
   * Stops delivering: the application sees the end of the messages (after
   * those already buffered) and later data is dropped. `err` is given to a
   * message being streamed, if any.
   */
  stopDelivering(err: Error | null): void {
    if (this.discarding) return;
    this.discarding = true;
    this.closeQueues(err);
    const wake = this.modeChosen;
    this.modeChosen = null;
    wake?.();
  }

  private closeQueues(err: Error | null): void {
    this.messages?.close();
    this.streams?.close();
    // A message still being streamed did not end: its reader must not see an end as if it were whole.
    if (this.current !== null) this.current.end(err ?? new WSError('WEFT_WS_ABORTED', 'connection closed in the middle of a message'));
    this.current = null;
  }

  /** Unblocks the task wherever it waits; run() then ends with END_ABORTED. */
  abort(): void {
    this.aborted = true;
    this.stopDelivering(new WSError('WEFT_WS_ABORTED', 'connection ended in the middle of a message'));
    this.appDone();
  }

  /**
   * Resolves once the application is done with every message it was given:
   * it asked for another since the last (or was given none), or appDone()
   * or abort() was called.
   */
  whenAppDone(): Promise<void> {
    if (this.given === 0 || this.asks > this.given) return RESOLVED;
    return new Promise<void>((resolve) => (this.appDoneWaiter = resolve));
  }

  /** The application will not ask for more (it closed or returned): whenAppDone() resolves. */
  appDone(): void {
    const wake = this.appDoneWaiter;
    this.appDoneWaiter = null;
    wake?.();
  }

  private asked(): void {
    if (++this.asks > this.given && this.appDoneWaiter !== null) this.appDone();
  }

  /** A message given to the application was dropped instead (closed before it took it). */
  private ungive = (): void => {
    this.given--;
    if (this.asks > this.given && this.appDoneWaiter !== null) this.appDone();
  };

  // ---- the task ----

  /** Reads and dispatches until the close frame, a failure or EOF. */
  async run(initial: Buffer): Promise<number> {
    const p = this.parser;
    const conn = this.conn;
    if (initial.length > 0) p.feed(initial);
    try {
      for (;;) {
        const ev = p.next();
        if (ev === EV_DATA) {
          const wait = this.onData();
          if (wait !== undefined) {
            this.waitingForApp = true;
            await wait;
            this.waitingForApp = false;
          }
        } else if (ev === EV_NEED_MORE) {
          if (this.aborted) return END_ABORTED;
          let chunk = conn.tryRead();
          if (chunk === null) chunk = await conn.read();
          if (chunk.length === 0) return END_EOF;
          p.feed(chunk);
        } else if (ev === EV_CONTROL) {
          if (p.controlOpcode === OP_PING) {
            const wait = this.control.onPing(p.controlPayload);
            if (wait !== undefined) await wait;
          } else if (this.onClosePong(p.controlOpcode, p.controlPayload)) {
            return END_CLOSE_FRAME;
          }
        } else {
          this.error = p.error;
          return END_FAILED;
        }
        if (this.aborted) return END_ABORTED;
      }
    } catch (err) {
      this.waitingForApp = false;
      if (err instanceof WSError && err.closeCode !== 0 && !this.aborted) {
        this.error = err;
        return END_FAILED;
      }
      return END_ABORTED;
    }
  }

  /** Handles a pong or a close frame; true for a close frame. Throws on a bad one. */
  private onClosePong(op: number, payload: Buffer): boolean {
    if (op !== OP_CLOSE) {
      this.control.onPong(payload);
      return false;
    }
    // RFC 6455 §5.5.1, §7.4.
    if (payload.length === 0) {
      this.control.onClose(CLOSE_NO_STATUS, '');
      return true;
    }
    if (payload.length === 1) throw protocolError('close frame with a 1-byte payload');
    const code = payload.readUInt16BE(0);
    if (!isValidReceivedCloseCode(code)) throw protocolError(`invalid close code ${code}`);
    const reason = payload.subarray(2);
    if (validateUtf8(UTF8_ACCEPT, reason) !== UTF8_ACCEPT) throw invalidUtf8('close reason is not valid UTF-8');
    this.control.onClose(code, reason.toString('utf8'));
    return true;
  }

  /** Dispatches a data piece; a promise means: wait for it before parsing on. */
  private onData(): Promise<void> | undefined {
    const p = this.parser;
    if (p.messageStart) {
      if (this.mode === MODE_UNSET && !this.discarding) return this.waitForMode();
      if (this.discarding) this.dropMessage = true;
      else if (this.mode === MODE_MESSAGE) this.startMessage();
      else return this.startStream();
    }
    if (this.dropMessage) {
      if (p.messageEnd) this.dropMessage = false;
      return undefined;
    }
    return this.mode === MODE_MESSAGE ? this.messagePiece() : this.streamPiece();
  }

  /** The first message arrived before the application said how it reads. */
  private waitForMode(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.modeChosen = resolve;
    }).then(() => this.onData());
  }

  // ---- message mode ----

  private startMessage(): void {
    const p = this.parser;
    // The parser checks sizes once message mode is on; this frame's header
    // may have been parsed before the application chose the mode.
    if (p.frameLength > payloadLimit(this.options.maxMessageSize, p.compressed)) throw tooBig('message larger than the size limit');
    this.text = p.messageOpcode === OP_TEXT;
    this.utf8 = UTF8_ACCEPT;
    this.first = null;
    this.parts = null;
    this.size = 0;
  }

  private messagePiece(): Promise<void> | undefined {
    const p = this.parser;
    if (p.compressed) return this.inflater!.inflate(p.piece, p.messageEnd, this.collect).then(this.afterInflate);
    const piece = p.piece;
    if (piece.length > 0) {
      if (this.text && (this.utf8 = validateUtf8(this.utf8, piece)) === UTF8_REJECT) {
        throw invalidUtf8('text message is not valid UTF-8');
      }
      this.add(piece);
    }
    return p.messageEnd ? this.finishMessage() : undefined;
  }

  private add(piece: Buffer): void {
    if (this.first === null) this.first = piece;
    else (this.parts ??= [this.first]).push(piece);
    this.size += piece.length;
  }

  /** Sink for inflated bytes: enforces the size limit as they come (zip bombs). */
  private collect = (chunk: Buffer): void => {
    if (this.size + chunk.length > this.options.maxMessageSize) throw tooBig('message larger than the size limit');
    if (this.text && (this.utf8 = validateUtf8(this.utf8, chunk)) === UTF8_REJECT) {
      throw invalidUtf8('text message is not valid UTF-8');
    }
    this.add(chunk);
  };

  private afterInflate = (): Promise<void> | undefined => {
    return this.parser.messageEnd ? this.finishMessage() : undefined;
  };

  private finishMessage(): Promise<void> | undefined {
    if (this.text && this.utf8 !== UTF8_ACCEPT) throw invalidUtf8('text message ends inside a UTF-8 sequence');
    const data =
      this.parts !== null ? Buffer.concat(this.parts, this.size) : this.first !== null ? this.first : EMPTY;
    this.first = null;
    this.parts = null;
    const msg: WSMessage = this.text ? { type: 'text', data: data.toString('utf8') } : { type: 'binary', data };
    const q = this.messages!;
    if (q.closed) return undefined;
    this.given++;
    if (q.tryPush(msg)) return undefined;
    // Full: wait for the application. A close meanwhile drops the message.
    return q.push(msg).then(undefined, this.ungive);
  }

  // ---- stream mode ----

  private startStream(): Promise<void> | undefined {
    const p = this.parser;
    this.text = p.messageOpcode === OP_TEXT;
    this.utf8 = UTF8_ACCEPT;
    const length = p.frameFin && !p.compressed ? p.frameLength : -1;
    const msg = new StreamedMessage(this.text ? 'text' : 'binary', length, this.options.streamBufferSize);
    this.current = msg;
    const q = this.streams!;
    this.given++;
    if (q.tryPush(msg)) return this.streamPiece();
    return q.push(msg).then(
      () => this.streamPiece(),
      () => {
        // Closed before the application took it: drop the message.
        this.ungive();
        this.current = null;
        this.dropMessage = !this.parser.messageEnd;
      },
    );
  }

  private streamPiece(): Promise<void> | undefined {
    const p = this.parser;
    const msg = this.current;
    if (msg === null) {
      // Abandoned by the application (or closed): drop the rest.
      this.dropMessage = !p.messageEnd;
      return undefined;
    }
    if (p.compressed) {
      return this.inflater!.inflate(p.piece, p.messageEnd, this.forward).then(this.afterStreamPiece);
    }
    const piece = p.piece;
    if (piece.length > 0) {
      this.checkStreamText(piece);
      if (!msg.queue.tryPush(piece) && !msg.queue.closed) {
        return msg.queue.push(piece).then(this.afterStreamPiece, this.afterStreamPiece);
      }
    }
    return this.afterStreamPiece();
  }

  private checkStreamText(chunk: Buffer): void {
    if (this.text && (this.utf8 = validateUtf8(this.utf8, chunk)) === UTF8_REJECT) {
      const err = invalidUtf8('text message is not valid UTF-8');
      this.current?.end(err);
      throw err;
    }
  }

  /** Sink for inflated bytes of a streamed message; waits while the reader is behind. */
  private forward = (chunk: Buffer): Promise<void> | undefined => {
    const msg = this.current;
    if (msg === null || msg.queue.closed) return undefined; // abandoned: inflate on, drop
    this.checkStreamText(chunk);
    if (msg.queue.tryPush(chunk)) return undefined;
    return msg.queue.push(chunk).then(undefined, noop);
  };

  private afterStreamPiece = (): undefined => {
    const p = this.parser;
    if (!p.messageEnd) return undefined;
    const msg = this.current;
    this.current = null;
    if (msg !== null) {
      if (this.text && this.utf8 !== UTF8_ACCEPT) {
        const err = invalidUtf8('text message ends inside a UTF-8 sequence');
        msg.end(err);
        throw err;
      }
      msg.end(null);
    }
    return undefined;
  };
}
