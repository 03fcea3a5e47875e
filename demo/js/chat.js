// The chat room and the echo, over WebSocket.
const $ = (id) => document.getElementById(id);
const wsUrl = (path) => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;

function append(log, text, cls = '') {
  const line = document.createElement('div');
  line.textContent = text;
  if (cls) line.className = cls;
  log.append(line);
  log.scrollTop = log.scrollHeight;
}

function open(path, statusEl, onMessage) {
  const ws = new WebSocket(wsUrl(path));
  ws.onopen = () => { statusEl.textContent = 'connected'; statusEl.className = 'ok'; };
  ws.onclose = (e) => { statusEl.textContent = `closed (${e.code})`; statusEl.className = 'bad'; };
  ws.onmessage = (e) => onMessage(e.data);
  return ws;
}

$('name').value = `guest${Math.floor(Math.random() * 1000)}`;
// The room is a topic of the server's pub/sub hub: with --workers or
// --pubsub, members on other processes are in it too. Joins and leaves
// (`event`) carry the member's name.
const chat = open(`/ws/chat?name=${encodeURIComponent($('name').value)}`, $('chat-status'), (data) => {
  try {
    const m = JSON.parse(data);
    if (m.event) append($('chat-log'), m.text, 'muted');
    else append($('chat-log'), `${m.name}: ${m.text}`);
  } catch {
    append($('chat-log'), data);
  }
});
const say = () => {
  const text = $('message').value.trim();
  if (!text || chat.readyState !== WebSocket.OPEN) return;
  chat.send(JSON.stringify({ name: $('name').value || 'guest', text }));
  $('message').value = '';
};
$('say').onclick = say;
$('message').onkeydown = (e) => { if (e.key === 'Enter') say(); };

const echo = open('/ws/echo', $('echo-status'), (data) => append($('echo-log'), `← ${data}`));
$('echo-send').onclick = () => {
  if (echo.readyState !== WebSocket.OPEN) return;
  append($('echo-log'), `→ ${$('echo-input').value}`, 'muted');
  echo.send($('echo-input').value);
};
