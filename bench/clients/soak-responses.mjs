/**
 * The response side of bench/soak.mjs's clients: an incremental HTTP/1.1
 * response parser fed the bytes of one connection as they arrive. Bodies are
 * counted, never kept (Content-Length or chunked framing), so a client can
 * read a 1 GiB echo in constant memory; every complete response is handed to
 * `onResponse({ status, close, bodyBytes })`, `close` being true when it said
 * `Connection: close`. Malformed framing throws.
 */

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
/** A response head or chunk-size line longer than this is malformed (bytes). */
const MAX_LINE = 64 * 1024;

export function responseParser(onResponse) {
  let pending = Buffer.alloc(0);
  let response = null; // the response whose body is being read
  let left = 0; // Content-Length bytes still to come, or of the current chunk
  let state = 'head'; // head | length | chunk-size | chunk-data | chunk-crlf | trailer

  const finish = () => {
    onResponse(response);
    response = null;
    state = 'head';
  };

  /** Takes up to `left` body bytes of what is pending; true once `left` is 0. */
  function countBody() {
    const n = Math.min(left, pending.length);
    response.bodyBytes += n;
    left -= n;
    pending = pending.subarray(n);
    return left === 0;
  }

  function step() {
    switch (state) {
      case 'head': {
        const end = pending.indexOf(HEAD_END);
        if (end < 0) return tooLong();
        const head = pending.subarray(0, end).toString('latin1');
        pending = pending.subarray(end + 4);
        const status = Number(head.slice(9, 12));
        if (!head.startsWith('HTTP/1.') || !(status >= 100)) throw new Error(`not an HTTP response: ${JSON.stringify(head.slice(0, 40))}`);
        if (status < 200) return true; // 100 Continue: the real one follows
        const field = (name) => new RegExp(`\\r\\n${name}:[ \\t]*([^\\r]*)`, 'i').exec(head)?.[1]?.trim();
        response = { status, close: /(^|,)\s*close\s*(,|$)/i.test(field('connection') ?? ''), bodyBytes: 0 };
        if (/chunked/i.test(field('transfer-encoding') ?? '')) state = 'chunk-size';
        else {
          left = Number(field('content-length') ?? 0);
          state = 'length';
        }
        return true;
      }
      case 'length':
        if (!countBody()) return false;
        finish();
        return true;
      case 'chunk-size': {
        const end = pending.indexOf(CRLF);
        if (end < 0) return tooLong();
        left = parseInt(pending.subarray(0, end).toString('latin1'), 16);
        if (!(left >= 0)) throw new Error('bad chunk size');
        pending = pending.subarray(end + 2);
        state = left === 0 ? 'trailer' : 'chunk-data';
        return true;
      }
      case 'chunk-data':
        if (!countBody()) return false;
        state = 'chunk-crlf';
        return true;
      case 'chunk-crlf': {
        if (pending.length < 2) return false;
        pending = pending.subarray(2);
        state = 'chunk-size';
        return true;
      }
      case 'trailer': {
        const end = pending.indexOf(CRLF);
        if (end < 0) return tooLong();
        pending = pending.subarray(end + 2);
        if (end === 0) finish(); // the empty line after the (usually absent) trailer fields
        return true;
      }
    }
    return false;
  }

  function tooLong() {
    if (pending.length > MAX_LINE) throw new Error(`response ${state} longer than ${MAX_LINE} bytes`);
    return false;
  }

  return {
    /** Feeds the next bytes of the connection. */
    feed(chunk) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length > 0 && step());
      // A body ending exactly at the chunk's end still has to be finished.
      if (state === 'length' && left === 0 && response !== null) finish();
    },
    /** True while a response has begun and not ended. */
    get midResponse() {
      return response !== null || pending.length > 0;
    },
  };
}
