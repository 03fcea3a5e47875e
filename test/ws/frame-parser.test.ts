/**
 * The frame parser as a pure state machine: the same events however the
 * bytes are split into chunks, and no exception (only EV_ERROR) on random
 * input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { EV_CONTROL, EV_DATA, EV_ERROR, EV_NEED_MORE, FrameParser } from '../../src/ws/frame-parser.js';
import { frame } from './raw.js';

/** node:test timeout, only to stop a hung test from blocking the run (ms). */
const HANG_GUARD = { timeout: 60_000 };

type Msg = { opcode: number; fragments: Buffer[]; pings: Buffer[] };

const message = fc.record({
  opcode: fc.constantFrom(1, 2),
  fragments: fc.array(
    fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ minLength: 120, maxLength: 300 }), fc.constant(new Uint8Array(70_000))).map((a) => Buffer.from(a)),
    { minLength: 1, maxLength: 4 },
  ),
  pings: fc.array(fc.uint8Array({ maxLength: 125 }).map((a) => Buffer.from(a)), { maxLength: 2 }),
});

function encode(msgs: Msg[]): Buffer {
  const out: Buffer[] = [];
  for (const m of msgs) {
    m.fragments.forEach((payload, i) => {
      out.push(frame({ opcode: i === 0 ? m.opcode : 0, payload, fin: i === m.fragments.length - 1 }));
      // Control frames between fragments.
      if (i === 0) for (const p of m.pings) out.push(frame({ opcode: 9, payload: p }));
    });
  }
  return Buffer.concat(out);
}

/** Runs the parser over `chunks`; returns a log of what it reported. */
function parse(chunks: Buffer[]): string[] {
  const p = new FrameParser({ allowRsv1: false, maxFramesPerMessage: 100, maxMessageSize: Infinity });
  const log: string[] = [];
  let current: Buffer[] = [];
  let i = 0;
  for (;;) {
    const ev = p.next();
    if (ev === EV_NEED_MORE) {
      if (i === chunks.length) break;
      p.feed(Buffer.from(chunks[i++]!)); // a copy: unmasking happens in place
    } else if (ev === EV_DATA) {
      if (p.messageStart) current = [];
      current.push(Buffer.from(p.piece));
      if (p.messageEnd) log.push(`msg ${p.messageOpcode} ${digest(Buffer.concat(current))}`);
    } else if (ev === EV_CONTROL) {
      log.push(`ctl ${p.controlOpcode} ${p.controlPayload.toString('hex')}`);
    } else {
      log.push(`err ${p.error!.closeCode}`);
      break;
    }
  }
  return log;
}

const digest = (b: Buffer): string => `${b.length}:${createHash('sha1').update(b).digest('hex')}`;

function expected(msgs: Msg[]): string[] {
  const log: string[] = [];
  for (const m of msgs) {
    // The pings follow the first frame: inside the message, or after it if it has one frame.
    const pings = m.pings.map((p) => `ctl 9 ${p.toString('hex')}`);
    const msg = `msg ${m.opcode} ${digest(Buffer.concat(m.fragments))}`;
    if (m.fragments.length > 1) log.push(...pings, msg);
    else log.push(msg, ...pings);
  }
  return log;
}

function split(b: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(b.subarray(prev, p));
    prev = p;
  }
  out.push(b.subarray(prev));
  return out.filter((c) => c.length > 0);
}

test('same events however the stream is cut into chunks', HANG_GUARD, () => {
  fc.assert(
    fc.property(fc.array(message, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 12 }), (msgs, cuts) => {
      const bytes = encode(msgs);
      assert.deepEqual(parse([bytes]), expected(msgs));
      assert.deepEqual(parse(split(bytes, cuts)), expected(msgs));
    }),
    { numRuns: 300 },
  );
});

test('one byte at a time', HANG_GUARD, () => {
  const msgs: Msg[] = [
    { opcode: 1, fragments: [Buffer.from('héllo'), Buffer.alloc(200, 0x41)], pings: [Buffer.from('p')] },
    { opcode: 2, fragments: [Buffer.alloc(66_000, 7)], pings: [] },
  ];
  const bytes = encode(msgs);
  const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
  assert.deepEqual(parse(chunks), expected(msgs));
});

test('random bytes never throw: events, need-more, or a close code', HANG_GUARD, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(), { maxLength: 5 }), (bytes, cuts) => {
      const log = parse(split(Buffer.from(bytes), cuts));
      const last = log.at(-1);
      if (last?.startsWith('err')) assert.ok(['err 1002', 'err 1009'].includes(last), last);
    }),
    { numRuns: 2000 },
  );
});

test('after an error the parser stays failed', HANG_GUARD, () => {
  const p = new FrameParser({ allowRsv1: false, maxFramesPerMessage: 10, maxMessageSize: 100 });
  p.feed(frame({ opcode: 3 }));
  assert.equal(p.next(), EV_ERROR);
  assert.equal(p.error!.closeCode, 1002);
  p.feed(frame({ opcode: 1, payload: 'ok' }));
  assert.equal(p.next(), EV_ERROR);
});
