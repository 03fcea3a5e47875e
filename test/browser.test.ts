/**
 * End to end in a real browser: headless Chromium (Debian's package, driven
 * by playwright-core) against the built command with --demo. Opens the demo
 * index, follows each demo, and checks what the page shows.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startProgram, type Program } from './support.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && `no Chromium at ${CHROMIUM}`;

let server: Program;
let browser: Browser;
let base: string;

before(async () => {
  if (skip) return;
  server = await startProgram('dist/cli.js', ['--demo', '--log', 'off']);
  base = `http://127.0.0.1:${server.port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
after(async () => {
  if (skip) return;
  await browser.close();
  await server.stop();
});

/** Waits until the text of element #id satisfies `test` (a JS expression over `t`, run in the page). */
async function waitText(p: Page, id: string, test: string): Promise<void> {
  await p.waitForFunction(`(() => { const t = document.getElementById(${JSON.stringify(id)}).textContent; return ${test}; })()`);
}

async function page(path: string): Promise<Page> {
  const p = await browser.newPage();
  const res = await p.goto(base + path);
  assert.equal(res?.status(), 200);
  return p;
}

test('the index links every demo', { skip }, async () => {
  const p = await page('/');
  assert.equal(await p.title(), 'weft demo');
  const links = await p.$$eval('#demos a', (as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(links, ['/sheep.html', '/echo.html', '/ranges.html', '/chat.html']);
  await p.click('#link-sheep');
  await p.waitForURL('**/sheep.html');
  assert.equal(await p.textContent('h1'), 'Streaming');
  await p.close();
});

test('streaming: lines appear one by one, and stopping works', { skip }, async () => {
  const p = await page('/sheep.html');
  await p.click('#start');
  await waitText(p, 'out', "t.includes('1\\n')");
  const shown = await p.textContent('#out');
  assert.ok(shown!.startsWith('0\n1\n'));
  assert.match((await p.textContent('#status'))!, /line\(s\)/);
  await p.click('#stop');
  await waitText(p, 'status', "t.startsWith('stopped')");
  await p.close();
});

test('upload echo: a file and a text come back identical', { skip }, async () => {
  const p = await page('/echo.html');
  await p.setInputFiles('#file', { name: 'data.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(3 * 1024 * 1024, 42) });
  await p.click('#send');
  await waitText(p, 'match', "t === 'yes'");
  assert.equal(await p.textContent('#received'), `${3 * 1024 * 1024} bytes (HTTP 200)`);
  await p.fill('#text', 'héllo wéft');
  await p.click('#send-text');
  await waitText(p, 'reply', "t === 'héllo wéft'");
  assert.equal(await p.textContent('#match'), 'yes');
  await p.close();
});

test('ranges: 206 for one and several ranges, 416 out of range, 304 for a matching ETag', { skip }, async () => {
  const p = await page('/ranges.html');
  const press = async (selector: string, status: string): Promise<string> => {
    await p.click(selector);
    await p.waitForFunction(`document.getElementById('result').dataset.status === ${JSON.stringify(status)}`);
    const text = (await p.textContent('#result'))!;
    await p.evaluate(`delete document.getElementById('result').dataset.status`);
    return text;
  };
  const first = await press('button[data-range="bytes=0-99"]', '206');
  assert.match(first, /content-range: bytes 0-99\/16777216/);
  assert.match(first, /body: 100 bytes/);
  const last = await press('button[data-range="bytes=-100"]', '206');
  assert.match(last, /content-range: bytes 16777116-16777215\/16777216/);
  const multi = await press('button[data-range="bytes=0-9,20-29"]', '206');
  assert.match(multi, /content-type: multipart\/byteranges; boundary=/);
  await press('button[data-range="bytes=999999999-"]', '416');
  const cond = await press('#conditional', '304');
  assert.match(cond, /If-None-Match: "/);
  await p.close();
});

test('WebSocket: the chat reaches another tab, the echo answers', { skip }, async () => {
  const a = await page('/chat.html');
  const b = await page('/chat.html');
  for (const p of [a, b]) await waitText(p, 'chat-status', "t === 'connected'");
  await a.fill('#name', 'alice');
  await a.fill('#message', 'hello from a');
  await a.click('#say');
  await waitText(b, 'chat-log', "t.includes('alice: hello from a')");
  await waitText(a, 'chat-log', "t.includes('alice: hello from a')");

  await waitText(a, 'echo-status', "t === 'connected'");
  await a.fill('#echo-input', 'ping ✓');
  await a.click('#echo-send');
  await waitText(a, 'echo-log', "t.includes('← ping ✓')");
  await a.close();
  await b.close();
});
