/** The site config file's rules as handler layers: redirects. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSiteConfig } from '../../src/app/site-config.js';
import { withRedirects } from '../../src/app/site-rules.js';
import { readAll } from '../../src/http/body.js';
import { serve } from '../kit/support.js';
import { makeReq } from '../static/helpers.js';

const notFound = () => ({ code: 404 });

test('a redirect destination written with characters a Location cannot carry is sent percent-encoded, never as a 500', async () => {
  const { redirects } = parseSiteConfig(
    JSON.stringify({
      redirects: [
        { source: '/menu/:dish', destination: '/carte/café/:dish', status: 308 },
        { source: '/jp/**', destination: 'https://例え.example/日本/*' },
      ],
    }),
    'weft.json',
  );
  const app = withRedirects(notFound, redirects!);
  const menu = await app(makeReq('GET', '/menu/cr%C3%AApe?x=1'), { length: 0, read: async () => Buffer.alloc(0) });
  assert.equal(menu.code, 308);
  assert.equal(menu.headers!['location'], '/carte/caf%C3%A9/cr%C3%AApe?x=1');

  const s = await serve(app);
  try {
    const jp = await fetch(`${s.base}/jp/a/b`, { redirect: 'manual' });
    assert.equal(jp.status, 301);
    assert.equal(jp.headers.get('location'), 'https://%E4%BE%8B%E3%81%88.example/%E6%97%A5%E6%9C%AC/a/b');
    await jp.arrayBuffer();
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
  const body = await readAll(menu.body!);
  assert.match(body.toString(), /\/carte\/caf%C3%A9\/cr%C3%AApe/);
});
