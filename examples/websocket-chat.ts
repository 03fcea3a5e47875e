/**
 * A WebSocket chat: one page, one room. Every message a member sends reaches
 * every member; a member too slow to keep up is dropped (close 1013) instead
 * of growing the server's memory (see createChatRoom).
 *
 *   node dist/examples/websocket-chat.js --port 3003
 *   then open http://127.0.0.1:3003/ in two browser tabs
 */
import { parseArgs } from 'node:util';
import { bodyFromBuffer, createChatRoom, createServer, router, websocket } from 'weft-server';

const PAGE = `<!doctype html>
<meta charset="utf-8"><title>weft chat</title>
<style>body{font:16px system-ui;max-width:40rem;margin:2rem auto}#log{border:1px solid #ccc;height:18rem;overflow:auto;padding:.5rem}</style>
<div id="log"></div>
<form id="f"><input id="name" placeholder="name" size="8"> <input id="text" placeholder="message" size="30" autofocus> <button>Send</button></form>
<script>
const log = document.getElementById('log');
const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/chat');
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  log.append(Object.assign(document.createElement('div'), { textContent: m.name ? m.name + ': ' + m.text : m.text }));
  log.scrollTop = log.scrollHeight;
};
ws.onclose = (e) => log.append('closed (' + e.code + ')');
document.getElementById('f').onsubmit = (e) => {
  e.preventDefault();
  const text = document.getElementById('text');
  ws.send(JSON.stringify({ name: document.getElementById('name').value, text: text.value }));
  text.value = '';
};
</script>`;

const room = createChatRoom();
const app = router()
  .get('/', () => ({ code: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: bodyFromBuffer(PAGE) }))
  .get('/chat', websocket((ws) => room.join(ws), { perMessageDeflate: {}, maxMessageSize: 64 * 1024 }));

const { values } = parseArgs({ options: { port: { type: 'string', default: '3003' }, host: { type: 'string', default: '127.0.0.1' } } });
const server = await createServer(app).listen({ port: Number(values.port), host: values.host });
console.log(`websocket-chat listening on http://${server.host}:${server.port}/`);
// Shutdown closes every member's WebSocket with 1001 (Going Away).
process.once('SIGINT', () => void server.close().then(() => process.exit(0)));
