// Reads /sheep with a streaming fetch and shows each line as it arrives.
const out = document.getElementById('out');
const status = document.getElementById('status');
const start = document.getElementById('start');
const stop = document.getElementById('stop');
let controller = null;

start.onclick = async () => {
  controller = new AbortController();
  start.disabled = true;
  stop.disabled = false;
  out.textContent = '';
  status.textContent = 'streaming…';
  const t0 = performance.now();
  try {
    const res = await fetch('/sheep', { signal: controller.signal, cache: 'no-store' });
    if (!res.ok) {
      // An error page is not a stream of lines.
      status.textContent = `error: HTTP ${res.status} ${res.statusText}`;
      await res.body?.cancel();
      return;
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out.textContent += value;
      const lines = out.textContent.trim().split('\n');
      status.textContent = `${lines.length} line(s), last after ${((performance.now() - t0) / 1000).toFixed(1)} s`;
    }
    status.textContent += ' — done';
  } catch (err) {
    status.textContent = err.name === 'AbortError' ? 'stopped (the server ran the generator’s finally)' : `error: ${err.message}`;
  } finally {
    start.disabled = false;
    stop.disabled = true;
  }
};
stop.onclick = () => controller?.abort();
