/**
 * Sec-WebSocket-Extensions parsing and permessage-deflate negotiation
 * (RFC 7692 §7.1), as pure functions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatExtension, parseExtensions } from '../../src/ws/extensions.js';
import { negotiateDeflate, validateDeflateOptions, type DeflateOptions } from '../../src/ws/permessage-deflate.js';

/** node:test timeout, only to stop a hung test from blocking the run (ms). */
const HANG_GUARD = { timeout: 60_000 };

test('parses offers, parameters and quoted values', HANG_GUARD, () => {
  assert.deepEqual(parseExtensions(['permessage-deflate; client_max_window_bits, Permessage-Deflate ; server_max_window_bits="10"', 'foo']), [
    { name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
    { name: 'permessage-deflate', params: [['server_max_window_bits', '10']] },
    { name: 'foo', params: [] },
  ]);
});

test('rejects malformed syntax', HANG_GUARD, () => {
  for (const v of ['a;', '; a', 'a; b=', 'a; b="c d"', 'a b', 'a; =1', 'a; b=c d', '"a"']) {
    assert.equal(parseExtensions([v]), null, v);
  }
});

function negotiate(header: string, options: DeflateOptions = {}): string | null {
  const offers = parseExtensions([header]);
  assert.ok(offers !== null, header);
  const a = negotiateDeflate(offers, options);
  return a === null ? null : formatExtension(a.response);
}

test('accepts a plain offer with defaults', HANG_GUARD, () => {
  const a = negotiateDeflate(parseExtensions(['permessage-deflate'])!, {})!;
  assert.equal(formatExtension(a.response), 'permessage-deflate');
  assert.deepEqual(a.params, { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 });
});

test('honours each parameter the client offers', HANG_GUARD, () => {
  assert.equal(negotiate('permessage-deflate; client_max_window_bits'), 'permessage-deflate');
  assert.equal(negotiate('permessage-deflate; client_max_window_bits=10'), 'permessage-deflate; client_max_window_bits=10');
  assert.equal(negotiate('permessage-deflate; server_max_window_bits=10'), 'permessage-deflate; server_max_window_bits=10');
  assert.equal(negotiate('permessage-deflate; server_max_window_bits=8'), 'permessage-deflate; server_max_window_bits=8');
  assert.equal(negotiate('permessage-deflate; server_no_context_takeover'), 'permessage-deflate; server_no_context_takeover');
  assert.equal(negotiate('permessage-deflate; client_no_context_takeover'), 'permessage-deflate; client_no_context_takeover');
  const a = negotiateDeflate(
    parseExtensions(['permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=11'])!,
    {},
  )!;
  assert.deepEqual(a.params, { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 11 });
});

test('declines offers with unknown, duplicated or invalid parameters, and takes the next', HANG_GUARD, () => {
  for (const bad of [
    'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
    'permessage-deflate; client_max_window_bits; client_max_window_bits=10',
    'permessage-deflate; server_max_window_bits',
    'permessage-deflate; server_max_window_bits=7',
    'permessage-deflate; server_max_window_bits=16',
    'permessage-deflate; server_max_window_bits=010',
    'permessage-deflate; client_max_window_bits=abc',
    'permessage-deflate; server_no_context_takeover=1',
    'permessage-deflate; client_no_context_takeover="x"',
    'permessage-deflate; mystery',
  ]) {
    assert.equal(negotiate(bad), null, bad);
    assert.equal(negotiate(`${bad}, permessage-deflate; client_max_window_bits=12`), 'permessage-deflate; client_max_window_bits=12', bad);
  }
  assert.equal(negotiate('x-webkit-deflate-frame, permessage-deflate'), 'permessage-deflate');
  assert.equal(negotiate('x-webkit-deflate-frame'), null);
});

test('server configuration', HANG_GUARD, () => {
  assert.equal(negotiate('permessage-deflate', { serverNoContextTakeover: true }), 'permessage-deflate; server_no_context_takeover');
  assert.equal(negotiate('permessage-deflate', { clientNoContextTakeover: true }), 'permessage-deflate; client_no_context_takeover');
  assert.equal(negotiate('permessage-deflate', { serverMaxWindowBits: 10 }), 'permessage-deflate; server_max_window_bits=10');
  // The smaller of the offered and configured windows.
  assert.equal(negotiate('permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 10 }), 'permessage-deflate; server_max_window_bits=10');
  assert.equal(negotiate('permessage-deflate; server_max_window_bits=9', { serverMaxWindowBits: 10 }), 'permessage-deflate; server_max_window_bits=9');
  // Limiting the client window needs the client to have offered the parameter (§7.1.2.2).
  assert.equal(negotiate('permessage-deflate', { clientMaxWindowBits: 10 }), null);
  assert.equal(negotiate('permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 10 }), 'permessage-deflate; client_max_window_bits=10');
  assert.equal(negotiate('permessage-deflate; client_max_window_bits=9', { clientMaxWindowBits: 10 }), 'permessage-deflate; client_max_window_bits=9');
  assert.equal(negotiate('permessage-deflate, permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 10 }), 'permessage-deflate; client_max_window_bits=10');
});

test('rejects invalid configuration up front', HANG_GUARD, () => {
  assert.throws(() => validateDeflateOptions({ serverMaxWindowBits: 7 }), RangeError);
  assert.throws(() => validateDeflateOptions({ clientMaxWindowBits: 16 }), RangeError);
  assert.throws(() => validateDeflateOptions({ threshold: -1 }), RangeError);
  validateDeflateOptions({ serverMaxWindowBits: 8, clientMaxWindowBits: 15, threshold: 0 });
});
