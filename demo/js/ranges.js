// Sends range and conditional requests for /files/big.bin and shows the answers.
const result = document.getElementById('result');
const url = '/files/big.bin';

function show(res, bytes, note = '') {
  const heads = ['content-length', 'content-range', 'content-type', 'etag', 'last-modified', 'accept-ranges'];
  const lines = [`HTTP ${res.status} ${res.statusText}`];
  for (const h of heads) if (res.headers.get(h)) lines.push(`${h}: ${res.headers.get(h)}`);
  lines.push('', `body: ${bytes} bytes ${note}`);
  result.textContent = lines.join('\n');
  result.dataset.status = String(res.status);
}

for (const b of document.querySelectorAll('button[data-range]')) {
  b.onclick = async () => {
    const res = await fetch(url, { headers: { range: b.dataset.range } });
    const body = await res.arrayBuffer();
    show(res, body.byteLength);
  };
}

document.getElementById('conditional').onclick = async () => {
  const head = await fetch(url, { method: 'HEAD' });
  const etag = head.headers.get('etag');
  const res = await fetch(url, { headers: { 'if-none-match': etag }, cache: 'no-store' });
  show(res, (await res.arrayBuffer()).byteLength, `(sent If-None-Match: ${etag})`);
};
