/**
 * The frame parser (RFC 6455 §5): an explicit, pull-driven state machine,
 * HEADER → DATA | CONTROL → HEADER, like `ws`'s receiver.js.
 *
 * The owner feeds one received chunk at a time and calls `next()`, which
 * reports one event: NEED_MORE (the chunk is used up), DATA (a piece of a
 * data frame's payload, unmasked in place, a view into the chunk: payload
 * bytes are never copied), CONTROL (a whole control frame) or ERROR (with the
 * close code the violation causes). Because the owner pulls, it can stop
 * between any two events for as long as it likes: that is the backpressure
 * from a slow application to the socket.
 *
 * Every framing rule is checked as soon as the bytes that break it are here
 * (the first two header bytes are validated before the rest arrives).
 */
import {
  FRAME_OVERHEAD,
  MAX_CONTROL_PAYLOAD,
  OP_BINARY,
  OP_CLOSE,
  OP_CONTINUATION,
  OP_PONG,
  OP_TEXT,
} from './constants.js';
import { protocolError, tooBig, type WSError } from './errors.js';
import { unmask } from './mask.js';

/** The chunk is used up: feed the next one. */
export const EV_NEED_MORE = 0;
/** `piece` holds the next payload bytes of a data frame (maybe none). */
export const EV_DATA = 1;
/** `controlOpcode` / `controlPayload` hold a whole control frame. */
export const EV_CONTROL = 2;
/** `error` says what was violated; the parser stays failed. */
export const EV_ERROR = 3;

const ST_HEADER = 0;
const ST_DATA = 1;
const ST_CONTROL = 2;
const ST_FAILED = 3;

/** Longest header: 2 + 8 (64-bit length) + 4 (masking key) bytes. */
const MAX_HEADER = 14;
/** 2^53 / 2^32: a length at or above this cannot be a JS integer. */
const MAX_LENGTH_HIGH = 0x200000;

const EMPTY = Buffer.alloc(0);

export type FrameParserOptions = {
  /** RSV1 may be set on a message's first frame (permessage-deflate in use). */
  allowRsv1: boolean;
  /** Hard cap on the frames of one message (→ 1009); Infinity for none. */
  maxFramesPerMessage: number;
  /**
   * Bytes one message may be charged (→ 1009): its payload (see payloadLimit
   * for compressed ones) plus FRAME_OVERHEAD per frame after the first;
   * Infinity for no limit.
   */
  maxMessageSize: number;
};

export class FrameParser {
  private readonly allowRsv1: boolean;
  private readonly maxFrames: number;
  /** May be changed between messages (the receive mode decides it). */
  maxMessageSize: number;

  private chunk: Buffer = EMPTY;
  private pos = 0;
  private state = ST_HEADER;

  // A header that straddles chunks is gathered here.
  private readonly hdr = Buffer.alloc(MAX_HEADER);
  private hdrLen = 0;
  private hdrChecked = false;

  // The frame being read.
  private readonly key = new Uint8Array(4);
  private fin = false;
  private remaining = 0;
  private phase = 0;

  // The message being read (data frames only).
  private inMessage = false;
  private frames = 0;
  /** Payload bytes of the message so far plus FRAME_OVERHEAD per continuation frame. */
  private charged = 0;
  private startPending = false;

  // A control payload that straddles chunks is gathered here.
  private readonly ctrl = Buffer.alloc(MAX_CONTROL_PAYLOAD);
  private ctrlLen = 0;

  // Event outputs: valid until the next call to next().
  /** EV_DATA: payload bytes, unmasked; a view into the fed chunk. */
  piece: Buffer = EMPTY;
  /** EV_DATA: this is the first piece of a new message. */
  messageStart = false;
  /** EV_DATA: this piece completes the message. */
  messageEnd = false;
  /** OP_TEXT or OP_BINARY: the current message's type. */
  messageOpcode = 0;
  /** The current message has RSV1 set (compressed). */
  compressed = false;
  /** Payload length of the current data frame (bytes). */
  frameLength = 0;
  /** The current data frame is its message's last. */
  frameFin = false;
  /** EV_CONTROL: OP_CLOSE, OP_PING or OP_PONG. */
  controlOpcode = 0;
  /** EV_CONTROL: the unmasked payload (at most 125 bytes); reused afterwards. */
  controlPayload: Buffer = EMPTY;
  /** EV_ERROR: the violation and its close code. */
  error: WSError | null = null;

  constructor(options: FrameParserOptions) {
    this.allowRsv1 = options.allowRsv1;
    this.maxFrames = options.maxFramesPerMessage;
    this.maxMessageSize = options.maxMessageSize;
  }

  /** Bytes of the fed chunk not parsed yet. */
  get buffered(): number {
    return this.chunk.length - this.pos;
  }

  /** True between a message's first frame and its last. */
  get midMessage(): boolean {
    return this.inMessage;
  }

  /** Sets the next chunk to parse; only after NEED_MORE. */
  feed(chunk: Buffer): void {
    this.chunk = chunk;
    this.pos = 0;
  }

  next(): number {
    for (;;) {
      switch (this.state) {
        case ST_HEADER:
          if (!this.readHeader()) return this.error !== null ? EV_ERROR : EV_NEED_MORE;
          break;
        case ST_DATA:
          return this.readData();
        case ST_CONTROL:
          if (this.readControl()) return EV_CONTROL;
          return EV_NEED_MORE;
        default:
          return EV_ERROR;
      }
    }
  }

  private fail(err: WSError): false {
    this.error = err;
    this.state = ST_FAILED;
    this.chunk = EMPTY;
    this.pos = 0;
    return false;
  }

  /** Parses a header if it is all here (gathering it across chunks); false otherwise. */
  private readHeader(): boolean {
    const chunk = this.chunk;
    const pos = this.pos;
    const avail = chunk.length - pos;
    if (this.hdrLen === 0 && avail >= 2) {
      // Fast path: the header lies within the chunk.
      const b1 = chunk[pos + 1]!;
      const size = headerSize(b1);
      if (!this.checkStart(chunk[pos]!, b1)) return false;
      if (avail >= size) {
        this.pos = pos + size;
        return this.parseHeader(chunk, pos);
      }
      this.hdrChecked = true;
    }
    // Slow path: gather the header bytes in `hdr`.
    const hdr = this.hdr;
    let i = pos;
    while (i < chunk.length) {
      hdr[this.hdrLen++] = chunk[i++]!;
      if (this.hdrLen >= 2) {
        if (!this.hdrChecked) {
          if (!this.checkStart(hdr[0]!, hdr[1]!)) return false;
          this.hdrChecked = true;
        }
        if (this.hdrLen === headerSize(hdr[1]!)) break;
      }
    }
    this.pos = i;
    if (this.hdrLen < 2 || this.hdrLen < headerSize(hdr[1]!)) return false;
    this.hdrLen = 0;
    this.hdrChecked = false;
    return this.parseHeader(hdr, 0);
  }

  /** The rules the first two bytes alone can break (RFC 6455 §5.2, §5.4, §5.5). */
  private checkStart(b0: number, b1: number): boolean {
    if ((b0 & 0x30) !== 0) return this.fail(protocolError('RSV2 or RSV3 set without a negotiated extension'));
    const rsv1 = (b0 & 0x40) !== 0;
    const op = b0 & 0x0f;
    if ((b1 & 0x80) === 0) return this.fail(protocolError('client frame not masked'));
    if (op >= OP_CLOSE) {
      if (op > OP_PONG) return this.fail(protocolError(`unknown opcode ${op}`));
      if ((b0 & 0x80) === 0) return this.fail(protocolError('fragmented control frame'));
      if (rsv1) return this.fail(protocolError('RSV1 set on a control frame'));
      if ((b1 & 0x7f) > MAX_CONTROL_PAYLOAD) return this.fail(protocolError('control frame longer than 125 bytes'));
    } else if (op === OP_CONTINUATION) {
      if (!this.inMessage) return this.fail(protocolError('continuation frame without a message to continue'));
      if (rsv1) return this.fail(protocolError('RSV1 set on a continuation frame'));
    } else if (op === OP_TEXT || op === OP_BINARY) {
      if (this.inMessage) return this.fail(protocolError('new data frame inside a fragmented message'));
      if (rsv1 && !this.allowRsv1) return this.fail(protocolError('RSV1 set without a negotiated extension'));
    } else {
      return this.fail(protocolError(`unknown opcode ${op}`));
    }
    return true;
  }

  /** Parses a complete header at src[at]; checkStart() has passed. */
  private parseHeader(src: Buffer, at: number): boolean {
    const b0 = src[at]!;
    const len7 = src[at + 1]! & 0x7f;
    let off = at + 2;
    let length: number;
    if (len7 === 126) {
      length = (src[off]! << 8) | src[off + 1]!;
      off += 2;
      if (length < 126) return this.fail(protocolError('length not minimally encoded'));
    } else if (len7 === 127) {
      const high = src.readUInt32BE(off);
      const low = src.readUInt32BE(off + 4);
      off += 8;
      if (high >= 0x80000000) return this.fail(protocolError('64-bit length with its top bit set'));
      if (high === 0 && low < 65536) return this.fail(protocolError('length not minimally encoded'));
      if (high >= MAX_LENGTH_HIGH) return this.fail(tooBig('frame longer than 2^53 bytes'));
      length = high * 0x100000000 + low;
    } else {
      length = len7;
    }
    const key = this.key;
    key[0] = src[off]!;
    key[1] = src[off + 1]!;
    key[2] = src[off + 2]!;
    key[3] = src[off + 3]!;
    this.remaining = length;
    const op = b0 & 0x0f;
    if (op >= OP_CLOSE) {
      this.controlOpcode = op;
      this.ctrlLen = 0;
      this.state = ST_CONTROL;
      return true;
    }
    if (op !== OP_CONTINUATION) {
      this.inMessage = true;
      this.messageOpcode = op;
      this.compressed = (b0 & 0x40) !== 0;
      this.frames = 0;
      this.charged = 0;
      this.startPending = true;
    } else {
      this.charged += FRAME_OVERHEAD;
    }
    if (++this.frames > this.maxFrames) return this.fail(tooBig('too many frames in one message'));
    this.charged += length;
    if (this.charged > payloadLimit(this.maxMessageSize, this.compressed)) {
      return this.fail(tooBig('message larger than the size limit'));
    }
    this.fin = (b0 & 0x80) !== 0;
    this.frameFin = this.fin;
    this.frameLength = length;
    this.phase = 0;
    this.state = ST_DATA;
    return true;
  }

  private readData(): number {
    const chunk = this.chunk;
    const pos = this.pos;
    const avail = chunk.length - pos;
    if (avail === 0 && this.remaining > 0) return EV_NEED_MORE;
    const n = avail < this.remaining ? avail : this.remaining;
    if (n === 0) {
      this.piece = EMPTY;
    } else {
      const piece = chunk.subarray(pos, pos + n);
      unmask(piece, this.key, this.phase);
      this.piece = piece;
      this.pos = pos + n;
      this.phase = (this.phase + n) & 3;
      this.remaining -= n;
    }
    this.messageStart = this.startPending;
    this.startPending = false;
    if (this.remaining === 0) {
      this.state = ST_HEADER;
      this.messageEnd = this.fin;
      if (this.fin) this.inMessage = false;
    } else {
      this.messageEnd = false;
    }
    return EV_DATA;
  }

  /** Gathers a control payload; true once it is complete. */
  private readControl(): boolean {
    const chunk = this.chunk;
    const pos = this.pos;
    const need = this.remaining;
    const avail = chunk.length - pos;
    if (this.ctrlLen === 0 && avail >= need) {
      // All here: unmask in place, no copy.
      const payload = chunk.subarray(pos, pos + need);
      unmask(payload, this.key, 0);
      this.pos = pos + need;
      this.controlPayload = payload;
      this.state = ST_HEADER;
      return true;
    }
    const n = Math.min(avail, need - this.ctrlLen);
    chunk.copy(this.ctrl, this.ctrlLen, pos, pos + n);
    this.ctrlLen += n;
    this.pos = pos + n;
    if (this.ctrlLen < need) return false;
    const payload = this.ctrl.subarray(0, need);
    unmask(payload, this.key, 0);
    this.controlPayload = payload;
    this.ctrlLen = 0;
    this.state = ST_HEADER;
    return true;
  }
}

/**
 * Payload bytes a message may carry on the wire. A compressed message is
 * limited by its inflated size (checked while inflating), but deflate
 * expands data by 5 bytes per stored block of up to 64 KiB at most: more
 * compressed bytes than this slack allows can only be padding (empty
 * blocks), CPU spent for nothing.
 */
export function payloadLimit(maxMessageSize: number, compressed: boolean): number {
  return compressed ? maxMessageSize + Math.ceil(maxMessageSize / 1024) + 1024 : maxMessageSize;
}

/** Header size implied by the second byte: length field and masking key. */
function headerSize(b1: number): number {
  const len7 = b1 & 0x7f;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + ((b1 & 0x80) !== 0 ? 4 : 0);
}
