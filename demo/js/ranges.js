// Sends range and conditional requests for /files/big.bin and shows the answers.
// Every request is `cache: 'no-store'`: the browser's cache would otherwise
// answer some of them itself and show header fields weft never sent.
const result = document.getElementById('result');
const url = '/files/big.bin';
const HEADS = ['content-length', 'content-range', 'content-type', 'etag', 'last-modified', 'accept-ranges', 'cache-control'];

/** The parts of a multipart/byteranges body: each one's header fields and its size. */
function byteranges(bytes, boundary) {
  const text = new TextDecoder('latin1').decode(bytes); // one char per byte: offsets are byte offsets
  const delimiter = `--${boundary}`;
  const parts = [];
  let at = text.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (text.startsWith('--', start)) break; // the closing delimiter
    const next = text.indexOf(`\r\n${delimiter}`, start);
    if (next < 0) break;
    const part = text.slice(start + 2, next); // after the CRLF that ends the delimiter line
    const blank = part.indexOf('\r\n\r\n');
    const fields = blank < 0 ? [] : part.slice(0, blank).split('\r\n');
    parts.push({ fields, size: blank < 0 ? 0 : part.length - blank - 4 });
    at = next + 2;
  }
  return parts;
}

function show(res, bytes, note = '') {
  const lines = [`HTTP ${res.status} ${res.statusText}`];
  for (const h of HEADS) if (res.headers.get(h)) lines.push(`${h}: ${res.headers.get(h)}`);
  lines.push('', `body: ${bytes.byteLength} bytes ${note}`);
  const boundary = /^multipart\/byteranges;\s*boundary=("?)([^";]+)\1/i.exec(res.headers.get('content-type') ?? '');
  if (boundary) {
    byteranges(new Uint8Array(bytes), boundary[2]).forEach((p, i) => {
      lines.push('', `part ${i + 1}: ${p.size} bytes`, ...p.fields.map((f) => `  ${f}`));
    });
  }
  result.textContent = lines.join('\n');
  result.dataset.status = String(res.status);
}

async function send(init, note) {
  try {
    const res = await fetch(url, { cache: 'no-store', ...init });
    show(res, await res.arrayBuffer(), note);
  } catch (err) {
    result.textContent = `request failed: ${err.message}`;
    result.dataset.status = 'error';
  }
}

for (const b of document.querySelectorAll('button[data-range]')) {
  b.onclick = () => send({ headers: { range: b.dataset.range } });
}

document.getElementById('conditional').onclick = async () => {
  const head = await fetch(url, { method: 'HEAD', cache: 'no-store' });
  const etag = head.headers.get('etag');
  await send({ headers: { 'if-none-match': etag } }, `(sent If-None-Match: ${etag})`);
};
