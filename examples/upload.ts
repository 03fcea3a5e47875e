/**
 * File uploads: a form page that shows the upload's progress, and a
 * multipart/form-data handler that streams each file to disk as it arrives
 * (constant memory, whatever the size), under a safe name in one directory,
 * with limits (413 past them), and answers with what it saved as JSON.
 *
 *   node dist/examples/upload.js --port 3003 --dir /tmp/uploads
 *   open http://localhost:3003/   (or: curl -F note=hi -F file=@big.iso localhost:3003/upload)
 */
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { bodyFromBuffer, createServer, json, jsonErrors, readAll, readMultipart, router, saveFile, type SavedFile } from 'weft-server';

const PAGE = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Upload</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem; }
  progress { width: 100%; height: 1.2rem; }
  pre { background: #8881; padding: .5rem; overflow-x: auto; }
</style>
<h1>Upload files</h1>
<form id="form" method="post" action="/upload" enctype="multipart/form-data">
  <p><label>Note <input name="note" maxlength="200"></label></p>
  <p><input type="file" name="file" multiple required></p>
  <p><button>Upload</button></p>
</form>
<progress id="bar" max="1" value="0" hidden></progress>
<p id="status" aria-live="polite"></p>
<pre id="result" hidden></pre>
<script>
  const form = document.getElementById('form');
  const bar = document.getElementById('bar');
  const status = document.getElementById('status');
  const result = document.getElementById('result');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    // XMLHttpRequest, not fetch: only it reports upload progress.
    const xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      bar.hidden = false;
      bar.value = e.loaded / e.total;
      status.textContent = Math.round((100 * e.loaded) / e.total) + ' % of ' + (e.total / 1048576).toFixed(1) + ' MiB';
    };
    xhr.onload = () => {
      const answer = JSON.parse(xhr.responseText);
      status.textContent = xhr.status === 201 ? 'Saved.' : 'Refused: ' + answer.error.message + ' (' + xhr.status + ')';
      result.hidden = false;
      result.textContent = JSON.stringify(answer, null, 2);
    };
    xhr.onerror = () => (status.textContent = 'The upload failed (connection lost).');
    xhr.send(new FormData(form));
  });
</script>
</html>
`;

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '3003' },
    host: { type: 'string', default: '127.0.0.1' },
    dir: { type: 'string', default: 'uploads' },
    'max-file-mib': { type: 'string', default: '1024' },
  },
});
const dir = values.dir;
mkdirSync(dir, { recursive: true });
const limits = { maxParts: 20, maxFieldSize: 4096, maxFileSize: Number(values['max-file-mib']) * 1024 * 1024 };

const app = router({ formatError: jsonErrors })
  .get('/', () => ({ code: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: bodyFromBuffer(PAGE) }))
  .post('/upload', async (req, body) => {
    const fields: Record<string, string> = {};
    const files: (SavedFile & { field: string; sentAs: string; type: string })[] = [];
    try {
      for await (const part of readMultipart(req, body, limits)) {
        if (part.filename === null) {
          fields[part.name] = (await readAll(part.body, limits.maxFieldSize)).toString('utf8');
        } else if (part.filename !== '') {
          // The client's name is only a hint: saveFile makes it safe and never overwrites.
          const saved = await saveFile(part, dir);
          files.push({ ...saved, field: part.name, sentAs: part.filename, type: part.contentType });
        }
      }
    } catch (err) {
      // All or nothing: a request refused half-way (413, 400, the client gone) keeps no file.
      await Promise.all(files.map((f) => rm(f.path, { force: true })));
      throw err;
    }
    return json({ fields, files: files.map(({ name, size, field, sentAs, type }) => ({ field, name, sentAs, size, type })) }, 201);
  });

const server = await createServer(app, { formatError: jsonErrors }).listen({ port: Number(values.port), host: values.host });
console.log(`upload listening on http://${server.host}:${server.port}/ (saving to ${dir})`);
process.once('SIGINT', () => void server.close().then(() => process.exit(0)));
