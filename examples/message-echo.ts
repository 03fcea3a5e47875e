/**
 * The message echo server of book chapter 5. Messages end with "\n"; "quit"
 * gets "Bye." and the connection closes; anything else gets "Echo: <msg>".
 * A message longer than --max-message bytes closes the connection with
 * "Error: message too long". Replies to pipelined messages are batched into
 * one write, flushed before the server waits for more input.
 *
 *   node dist/examples/message-echo.js --port 1234 [--host 127.0.0.1] [--max-message 65536]
 */
import { parseArgs } from 'node:util';
import { BufWriter, DynBuf, MessageTooLongError, listen, type Conn } from 'weft-server';

const NEWLINE = Buffer.from('\n');
const QUIT = Buffer.from('quit');
const ECHO = Buffer.from('Echo: ');

async function serveClient(conn: Conn, maxMessage: number): Promise<void> {
  const input = new DynBuf();
  const out = new BufWriter(conn);
  try {
    for (;;) {
      let msg: Buffer | null;
      try {
        msg = input.cut(NEWLINE, maxMessage);
      } catch (err) {
        if (!(err instanceof MessageTooLongError)) throw err;
        out.pushLatin1('Error: message too long\n');
        break;
      }
      if (msg === null) {
        await out.flush();
        const data = await conn.read();
        if (data.length === 0) break; // EOF; an unfinished message is dropped
        input.append(data);
        continue;
      }
      if (msg.length === 4 && msg.equals(QUIT)) {
        out.pushLatin1('Bye.\n');
        break;
      }
      out.push(ECHO);
      out.push(msg);
      out.push(NEWLINE);
      if (out.buffered >= out.limit) await out.flush();
    }
    await out.flush();
    await conn.end();
  } catch {
    // A reset or failed write ends this connection only.
  } finally {
    conn.close();
  }
}

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'max-message': { type: 'string', default: String(64 * 1024) },
  },
});
const maxMessage = Number(values['max-message']);
const listener = await listen({ port: Number(values.port), host: values.host });
console.log(`message-echo listening on ${listener.host}:${listener.port}`);
for (;;) {
  const conn = await listener.accept();
  void serveClient(conn, maxMessage);
}
