// Sends a file (or text) to /echo and checks that the same bytes come back.
const $ = (id) => document.getElementById(id);
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
const sha256 = async (buf) => hex(await crypto.subtle.digest('SHA-256', buf));

async function roundTrip(body, type) {
  const t0 = performance.now();
  const sent = await body.arrayBuffer();
  $('sent').textContent = `${sent.byteLength} bytes`;
  $('received').textContent = $('match').textContent = '…';
  const res = await fetch('/echo', { method: 'POST', body: sent, headers: { 'content-type': type || 'application/octet-stream' } });
  const got = await res.arrayBuffer();
  $('received').textContent = `${got.byteLength} bytes (HTTP ${res.status})`;
  const same = (await sha256(sent)) === (await sha256(got));
  $('match').textContent = same ? 'yes' : 'NO';
  $('match').className = same ? 'ok' : 'bad';
  $('time').textContent = `${(performance.now() - t0).toFixed(0)} ms`;
  return got;
}

$('file').onchange = () => ($('send').disabled = !$('file').files.length);
$('send').onclick = () => roundTrip($('file').files[0], $('file').files[0].type);
$('send-text').onclick = async () => {
  const got = await roundTrip(new Blob([$('text').value]), 'text/plain; charset=utf-8');
  $('reply').hidden = false;
  $('reply').textContent = new TextDecoder().decode(got);
};
