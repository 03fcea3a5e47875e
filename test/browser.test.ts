/**
 * End to end in a real browser: headless Chromium (Debian's package, driven
 * by playwright-core) against the built command: with --demo, the demo
 * index and each demo; on a directory of files, the listing and the error
 * page, at desktop and phone widths, light and dark, with screenshots
 * (written to $WEFT_SCREENSHOTS, default <tmpdir>/weft-screenshots).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startWeft, stopAll, type Weft } from './cli/support.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && `no Chromium at ${CHROMIUM}`;

const SHOTS = process.env.WEFT_SCREENSHOTS ?? join(tmpdir(), 'weft-screenshots');

let server: Weft;
let files: Weft;
let filesDir: string;
let browser: Browser;
let base: string;

/** A folder as people have them: nested folders, long and non-ASCII names, sizes from bytes to gigabytes (sparse). */
function makeFiles(): string {
  const d = mkdtempSync(join(tmpdir(), 'weft-listing-'));
  const at = (name: string, size: number, daysAgo: number) => {
    const path = join(d, name);
    writeFileSync(path, Buffer.alloc(Math.min(size, 4096), 120));
    truncateSync(path, size); // sparse: gigabytes cost nothing
    const t = new Date(Date.UTC(2026, 10, 20) - daysAgo * 86_400_000);
    utimesSync(path, t, t);
  };
  for (const sub of ['photos', 'docs', 'a folder with a rather long name for a phone screen']) mkdirSync(join(d, sub));
  at('README.md', 1234, 1);
  at('notes.txt', 12, 3);
  at('report-2026-final-final-v3 (copy).pdf', 2_400_000, 10);
  at('données été.csv', 98_765, 40);
  at('backup.tar.gz', 3_500_000_000, 400);
  at('photos/IMG_0001.jpg', 2_345_678, 2);
  at('photos/<b onclick=alert(1)>bold.png', 1, 2);
  return d;
}

before(async () => {
  if (skip) return;
  mkdirSync(SHOTS, { recursive: true });
  filesDir = makeFiles();
  [server, files] = await Promise.all([startWeft(['--demo', '--log', 'off']), startWeft([filesDir, '--log', 'off'])]);
  base = server.base;
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
  await stopAll();
  rmSync(filesDir, { recursive: true, force: true });
});

/** Waits until the text of element #id satisfies `test` (a JS expression over `t`, run in the page). */
async function waitText(p: Page, id: string, test: string): Promise<void> {
  await p.waitForFunction(`(() => { const t = document.getElementById(${JSON.stringify(id)}).textContent; return ${test}; })()`);
}

/** Responses of 400 and above a page got (a missing favicon shows up here). */
const failures = new WeakMap<Page, string[]>();

async function page(path: string, origin = base): Promise<Page> {
  const p = await browser.newPage();
  const failed: string[] = [];
  failures.set(p, failed);
  p.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  const res = await p.goto(origin + path);
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
  await p.waitForLoadState('load');
  assert.deepEqual(failures.get(p), [], 'no 404 (the favicon is there)');
  assert.equal(await p.getAttribute('link[rel=icon]', 'href'), '/favicon.svg');
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
  // An error answer is reported, not read as lines.
  await p.route('**/sheep', (route) => route.fulfill({ status: 503, contentType: 'text/plain', body: 'Service Unavailable\n' }));
  await p.click('#start');
  await waitText(p, 'status', "t === 'error: HTTP 503 Service Unavailable'");
  assert.equal(await p.textContent('#out'), '');
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
  assert.match(multi, /part 1: 10 bytes\n {2}Content-Type: application\/octet-stream\n {2}Content-Range: bytes 0-9\/16777216/);
  assert.match(multi, /part 2: 10 bytes\n {2}Content-Type: application\/octet-stream\n {2}Content-Range: bytes 20-29\/16777216/);
  await press('button[data-range="bytes=999999999-"]', '416');
  const cond = await press('#conditional', '304');
  assert.match(cond, /If-None-Match: "/);
  // Again: with the browser's cache out of the way, every answer is weft's own.
  const again = await press('button[data-range="bytes=0-99"]', '206');
  assert.equal(again, first);
  assert.deepEqual(failures.get(p), ['416 ' + base + '/files/big.bin']);
  await p.close();
});

test('WebSocket: the chat reaches another tab with names on join and leave, the echo answers', { skip }, async () => {
  const a = await page('/chat.html');
  await waitText(a, 'chat-status', "t === 'connected'");
  const b = await page('/chat.html');
  await waitText(b, 'chat-status', "t === 'connected'");
  const nameB = await b.inputValue('#name');
  await waitText(a, 'chat-log', `t.includes(${JSON.stringify(`${nameB} joined`)})`);
  await a.fill('#name', 'alice');
  await a.fill('#message', 'hello from a');
  await a.click('#say');
  await waitText(b, 'chat-log', "t.includes('alice: hello from a')");
  await waitText(a, 'chat-log', "t.includes('alice: hello from a')");
  await b.close();
  await waitText(a, 'chat-log', `t.includes(${JSON.stringify(`${nameB} left`)})`);

  await waitText(a, 'echo-status', "t === 'connected'");
  await a.fill('#echo-input', 'ping ✓');
  await a.click('#echo-send');
  await waitText(a, 'echo-log', "t.includes('← ping ✓')");
  await a.close();
});

test('chat: a message over the limit is explained (1009), kept in the input, and the page reconnects', { skip }, async () => {
  const p = await page('/chat.html');
  await waitText(p, 'chat-status', "t === 'connected'");
  const long = 'x'.repeat(70 * 1024);
  await p.fill('#message', long);
  await p.click('#say');
  await waitText(p, 'chat-log', `t.includes("a message was over the server's limit of 64 KiB (1009); reconnecting")`);
  assert.equal((await p.inputValue('#message')).length, long.length, 'the text is back in the input');
  await waitText(p, 'chat-status', "t === 'connected'");
  await p.fill('#message', 'short enough');
  await p.click('#say');
  await waitText(p, 'chat-log', "t.includes(': short enough')");
  await p.close();
});

/** Saves a screenshot; returns its path. */
async function shoot(p: Page, name: string): Promise<string> {
  const path = join(SHOTS, `${name}.png`);
  await p.screenshot({ path, fullPage: true });
  return path;
}

const WIDTHS = { desktop: { width: 1280, height: 800 }, phone: { width: 380, height: 740 } } as const;

test('the listing: no sideways scroll at 380 px, sortable without script, light and dark; screenshots', { skip }, async (t) => {
  for (const [device, viewport] of Object.entries(WIDTHS)) {
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ viewport, colorScheme, javaScriptEnabled: false });
      const p = await context.newPage();
      const failed: string[] = [];
      p.on('response', (r) => void (r.status() >= 400 && failed.push(r.url())));
      p.on('request', (r) => void (!r.url().startsWith(files.base) && !r.url().startsWith('data:') && failed.push(`external: ${r.url()}`)));
      assert.equal((await p.goto(`${files.base}/`))?.status(), 200);
      const width = await p.evaluate('document.documentElement.scrollWidth');
      assert.ok((width as number) <= viewport.width, `${device}: ${width} px wide in a ${viewport.width} px window`);
      const names = () => p.$$eval('tbody td.name a', (as) => as.map((a) => a.textContent));
      assert.deepEqual((await names()).slice(0, 3), ['a folder with a rather long name for a phone screen/', 'docs/', 'photos/']);
      if (device === 'desktop' && colorScheme === 'light') {
        await p.click('th.size a'); // a link: no script needed
        await p.waitForURL('**/?sort=size&order=desc');
        assert.deepEqual((await names()).slice(3, 5), ['backup.tar.gz', 'report-2026-final-final-v3 (copy).pdf']);
        assert.equal(await p.getAttribute('tr:has(a[href="backup.tar.gz"]) td.size', 'title'), '3,500,000,000 bytes');
        assert.equal(await p.textContent('tr:has(a[href="backup.tar.gz"]) td.size'), '3.3 GiB');
        await p.goto(`${files.base}/`);
      }
      const bg = await p.evaluate('getComputedStyle(document.body).backgroundColor');
      assert.equal(bg, colorScheme === 'dark' ? 'rgb(21, 22, 23)' : 'rgb(250, 250, 247)');
      t.diagnostic(await shoot(p, `listing-${device}-${colorScheme}`));
      if (colorScheme === 'light') {
        await p.click('a[href="photos/"]');
        await p.waitForURL('**/photos/');
        assert.equal(await p.textContent('h1'), 'Index of /photos/');
        assert.ok(await p.isVisible('text=<b onclick=alert(1)>bold.png'), 'names are text, not markup');
        t.diagnostic(await shoot(p, `listing-nested-${device}`));
        await p.click('h1 a'); // the breadcrumb back to the root
        await p.waitForURL(`${files.base}/`);
      }
      assert.deepEqual(failed, []);
      await context.close();
    }
  }
});

test("the 404 page and the demo in the listing's style, at both widths; screenshots", { skip }, async (t) => {
  for (const [device, viewport] of Object.entries(WIDTHS)) {
    const context = await browser.newContext({ viewport });
    const p = await context.newPage();
    const missing = await p.goto(`${files.base}/no/such/page`);
    assert.equal(missing?.status(), 404);
    assert.equal(await p.textContent('h1'), '404 Not Found');
    assert.ok(((await p.evaluate('document.documentElement.scrollWidth')) as number) <= viewport.width);
    t.diagnostic(await shoot(p, `404-${device}`));
    await p.goto(`${base}/`);
    assert.equal(await p.evaluate('getComputedStyle(document.body).backgroundColor'), 'rgb(250, 250, 247)', 'the same palette');
    t.diagnostic(await shoot(p, `demo-${device}`));
    await p.goto(`${base}/chat.html`);
    await p.waitForFunction(`document.getElementById('chat-status').textContent === 'connected'`);
    assert.ok(((await p.evaluate('document.documentElement.scrollWidth')) as number) <= viewport.width, 'the chat fits');
    t.diagnostic(await shoot(p, `chat-${device}`));
    await context.close();
  }
});
