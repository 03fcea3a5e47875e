// The chat room and the echo, over WebSocket. Both reconnect after a lost
// connection (waiting longer each time, up to 10 s); the chat says who
// joins and leaves, and why a connection closed (1009: a message over the
// server's limit).
const $ = (id) => document.getElementById(id);
const wsUrl = (path) => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
/** The server's limit on one message (demo.ts CHAT_MAX_MESSAGE); longer ones close the connection with 1009. */
const MAX_MESSAGE_BYTES = 64 * 1024;
const MAX_RETRY_MS = 10_000;

const CLOSE_REASONS = {
  1000: 'closed',
  1001: 'the server is going away (restart or shutdown)',
  1006: 'the connection was lost',
  1009: `a message was over the server's limit of ${MAX_MESSAGE_BYTES / 1024} KiB (1009)`,
  1011: 'the server had an error',
  1013: 'too slow to keep up: the server dropped this tab',
};

function append(log, text, cls = '') {
  const line = document.createElement('div');
  line.textContent = text;
  if (cls) line.className = cls;
  log.append(line);
  log.scrollTop = log.scrollHeight;
}

function setStatus(el, text, cls) {
  el.textContent = text;
  el.className = cls;
}

/**
 * A WebSocket that comes back: `path()` gives the URL path each time (the
 * chat's carries the current name). Returns { send, socket }.
 */
function connect(path, statusEl, log, onMessage, onClose = () => {}) {
  let ws = null;
  let retry = 500;
  const open = () => {
    ws = new WebSocket(wsUrl(path()));
    ws.onopen = () => {
      retry = 500;
      setStatus(statusEl, 'connected', 'ok');
    };
    ws.onmessage = (e) => onMessage(e.data);
    ws.onclose = (e) => {
      const why = CLOSE_REASONS[e.code] ?? `closed (${e.code}${e.reason ? `: ${e.reason}` : ''})`;
      append(log, `— ${why}; reconnecting in ${(retry / 1000).toFixed(1)} s`, 'bad');
      setStatus(statusEl, `reconnecting… (${e.code})`, 'bad');
      onClose(e.code);
      setTimeout(open, retry);
      retry = Math.min(MAX_RETRY_MS, retry * 2);
    };
  };
  open();
  return {
    get open() {
      return ws.readyState === WebSocket.OPEN;
    },
    send: (data) => ws.send(data),
  };
}

$('name').value = `guest${Math.floor(Math.random() * 1000)}`;
// The room is a topic of the server's pub/sub hub: with --workers or
// --pubsub, members on other processes are in it too. Joins and leaves
// (`event`) carry the member's name.
const name = () => $('name').value.trim() || 'guest';
let unconfirmed = null; // the last message sent, until the room echoes it back
const chat = connect(() => `/ws/chat?name=${encodeURIComponent(name())}`, $('chat-status'), $('chat-log'), (data) => {
  try {
    const m = JSON.parse(data);
    if (m.event) append($('chat-log'), m.text, 'muted');
    else append($('chat-log'), `${m.name}: ${m.text}`);
    if (!m.event && unconfirmed?.startsWith(m.text)) unconfirmed = null;
  } catch {
    append($('chat-log'), data);
  }
}, (code) => {
  if (code === 1009 && unconfirmed !== null && $('message').value === '') $('message').value = unconfirmed;
  unconfirmed = null;
});

const say = () => {
  const text = $('message').value.trim();
  if (!text || !chat.open) return;
  // Over the server's limit, the server closes the connection with 1009: the
  // log says so, the text comes back to the input, and the page reconnects.
  unconfirmed = text;
  chat.send(JSON.stringify({ name: name(), text }));
  $('message').value = '';
};
$('say').onclick = say;
$('message').onkeydown = (e) => {
  if (e.key === 'Enter') say();
};

const echo = connect(() => '/ws/echo', $('echo-status'), $('echo-log'), (data) => append($('echo-log'), `← ${data}`));
$('echo-send').onclick = () => {
  if (!echo.open) return;
  append($('echo-log'), `→ ${$('echo-input').value}`, 'muted');
  echo.send($('echo-input').value);
};
