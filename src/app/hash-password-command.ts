/**
 * `weft hash-password`: reads a password and prints its scrypt hash (the
 * kit's hashPassword), for `--auth user:<hash>` or a config file's users.
 * On a terminal the password is typed twice without echo; otherwise it is
 * the first line of standard input (`echo "$PW" | weft hash-password`).
 * It is never taken from the command line, where `ps` and shell history
 * would keep it.
 */
import { hashPassword } from '../kit/basic-auth.js';

/** Longest password read (bytes): scrypt takes any length, a pasted file is a mistake. */
const MAX_PASSWORD_BYTES = 4096;

/** Reads one line from a terminal without echoing it. Rejects on Ctrl-C / Ctrl-D. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (err: Error | null): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003' || ch === '\u0004') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The first line of a non-terminal standard input. */
async function readFirstLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    const nl = text.indexOf('\n');
    if (nl >= 0) return text.slice(0, nl).replace(/\r$/, '');
    if (text.length > MAX_PASSWORD_BYTES) break;
  }
  return text.replace(/\r$/, '');
}

/** Runs the subcommand; resolves with the exit code. */
export async function hashPasswordCommand(): Promise<number> {
  let password: string;
  try {
    if (process.stdin.isTTY) {
      password = await readHidden('Password: ');
      if ((await readHidden('Again: ')) !== password) {
        console.error('weft: the two passwords differ');
        return 1;
      }
    } else {
      password = await readFirstLine();
    }
  } catch {
    return 130;
  }
  if (password === '') {
    console.error('weft: an empty password protects nothing');
    return 1;
  }
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    console.error(`weft: a password longer than ${MAX_PASSWORD_BYTES} bytes is probably not one`);
    return 1;
  }
  console.log(await hashPassword(password));
  return 0;
}
