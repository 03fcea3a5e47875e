/**
 * A pre-flight check for HTTP benchmarks: before a server is measured, send
 * it a few pipelined GETs on one connection and insist on as many 200
 * responses with the expected body, in order. A server that fails this would
 * otherwise produce a meaningless requests-per-second figure (wrk counts
 * error responses too, and stalls on a server that can't pipeline).
 */
import { connect } from 'node:net';

/** How long the check may take, in milliseconds. */
export const HTTP_CHECK_TIMEOUT_MS = 5_000;

/**
 * Resolves when `count` pipelined `GET path` requests (with the extra
 * `headers` lines, "Accept-Encoding: br" say) all get status 200 and exactly
 * `body` once `decode` is applied to what came; rejects with what went wrong
 * otherwise. Understands Content-Length and chunked responses, which is all
 * a benchmark server sends.
 */
export function checkPipelinedGets(port, { path = '/', count = 3, body, headers = [], decode = (b) => b }) {
  const expected = Buffer.from(body);
  const extra = headers.map((line) => `${line}\r\n`).join('');
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let input = Buffer.alloc(0);
    let seen = 0;
    const finish = (error) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(new Error(`HTTP check: ${error}`));
      else resolve();
    };
    const timer = setTimeout(() => finish(`only ${seen} of ${count} responses within ${HTTP_CHECK_TIMEOUT_MS} ms`), HTTP_CHECK_TIMEOUT_MS);
    socket.on('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}\r\n`.repeat(count));
    });
    socket.on('data', (chunk) => {
      input = Buffer.concat([input, chunk]);
      for (;;) {
        let response;
        try {
          response = takeResponse(input);
        } catch (error) {
          finish(error.message);
          return;
        }
        if (response === null) return;
        input = input.subarray(response.length);
        if (response.status !== 200) return finish(`response ${seen + 1} has status ${response.status}`);
        let got;
        try {
          got = decode(response.body);
        } catch (error) {
          return finish(`response ${seen + 1} does not decode: ${error.message}`);
        }
        if (!got.equals(expected)) {
          return finish(`response ${seen + 1} has body ${JSON.stringify(response.body.toString().slice(0, 100))}`);
        }
        if (++seen === count) return finish(null);
      }
    });
    socket.on('error', (error) => finish(error.message));
    socket.on('close', () => finish(`connection closed after ${seen} of ${count} responses`));
  });
}

/** The first complete response in `buf` as `{ status, body, length }`, or null if incomplete. */
function takeResponse(buf) {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd === -1) return null;
  const head = buf.subarray(0, headEnd).toString('latin1');
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  if (statusLine === null) throw new Error(`bad status line ${JSON.stringify(head.split('\r\n')[0])}`);
  const status = Number(statusLine[1]);
  const start = headEnd + 4;
  const contentLength = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (contentLength !== null) {
    const end = start + Number(contentLength[1]);
    return end > buf.length ? null : { status, body: buf.subarray(start, end), length: end };
  }
  if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) {
    const parts = [];
    let pos = start;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', pos);
      if (lineEnd === -1) return null;
      const size = parseInt(buf.subarray(pos, lineEnd).toString('latin1'), 16);
      if (Number.isNaN(size)) throw new Error('bad chunk size');
      if (size === 0) {
        // "0\r\n", optional trailer fields, "\r\n": the first empty line from here ends it.
        const end = buf.indexOf('\r\n\r\n', lineEnd);
        return end === -1 ? null : { status, body: Buffer.concat(parts), length: end + 4 };
      }
      if (lineEnd + 2 + size + 2 > buf.length) return null;
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      pos = lineEnd + 2 + size + 2;
    }
  }
  throw new Error('response has neither Content-Length nor chunked encoding');
}
