/** The site config file: JSON with positions, path patterns, validation with line-precise errors. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JsonSyntaxError, parseJsonWithPositions } from '../../src/app/json-source.js';
import { parseSiteConfig, SiteConfigError } from '../../src/app/site-config.js';
import { checkDestination, compilePattern, fillDestination, PatternError } from '../../src/app/url-pattern.js';

const errorsOf = (text: string): string[] => {
  try {
    parseSiteConfig(text, 'weft.json');
  } catch (err) {
    assert.ok(err instanceof SiteConfigError);
    return err.message.split('\n');
  }
  assert.fail('no error');
};

describe('JSON with positions', () => {
  test('values and keys have their line and column', () => {
    const p = parseJsonWithPositions('{\n  "a": [1, {"b": true}],\n  "c": "x"\n}');
    assert.deepEqual(JSON.parse(JSON.stringify(p.value)), { a: [1, { b: true }], c: 'x' });
    assert.deepEqual(p.positionOf(['a', 1, 'b']), { line: 2, column: 18 });
    assert.deepEqual(p.positionOf(['c']), { line: 3, column: 8 });
    assert.deepEqual(p.positionOf(['c'], true), { line: 3, column: 3 });
    assert.deepEqual(p.positionOf(['a', 7]), { line: 2, column: 8 }, 'a missing value: its parent');
  });

  test('what JSON.parse accepts, it accepts the same way', () => {
    for (const text of ['0', '-1.5e3', '"\\u00e9\\n\\"\\/"', '[]', '{}', '[null,false,true]', '\ufeff{"a":1}', ' {"a" : [ "x" ] } ']) {
      assert.deepEqual(JSON.parse(JSON.stringify(parseJsonWithPositions(text).value)), JSON.parse(text.replace(/^\ufeff/, '')), text);
    }
  });

  test('syntax errors at their position; duplicate keys and trailing commas refused', () => {
    const cases: [string, number, number, RegExp][] = [
      ['{\n  "a": 1,\n}', 2, 9, /trailing comma/],
      ['{"a": 1, "a": 2}', 1, 10, /duplicate key "a"/],
      ['{\n "a" 1}', 2, 6, /expected ":"/],
      ['[1 2]', 1, 4, /expected "," or "\]"/],
      ['{"a": "x\ny"}', 1, 9, /control character/],
      ['{"a": tru}', 1, 7, /expected a value/],
      ['{"a": 1} x', 1, 10, /after the end/],
      ['"abc', 1, 1, /unterminated string/],
      ['', 1, 1, /the end of the file/],
      ['['.repeat(100), 1, 66, /nested deeper/],
    ];
    for (const [text, line, column, message] of cases) {
      assert.throws(
        () => parseJsonWithPositions(text),
        (err: unknown) => err instanceof JsonSyntaxError && err.position.line === line && err.position.column === column && message.test(err.message),
        JSON.stringify(text),
      );
    }
  });
});

describe('path patterns', () => {
  const segs = (p: string) => p.split('/').filter(Boolean);

  test('literal, :param, * within a segment, {a,b}, **', () => {
    const cases: [string, string, Record<string, string> | null][] = [
      ['/about', '/about', {}],
      ['/about', '/About', null],
      ['/blog/:slug', '/blog/hello', { slug: 'hello' }],
      ['/blog/:slug', '/blog', null],
      ['/blog/:slug', '/blog/a/b', null],
      ['/assets/*.js', '/assets/app.js', { '*': 'app' }],
      ['/assets/*.js', '/assets/sub/app.js', null],
      ['/**/*.{css,js}', '/a/b/c.css', { '*': 'a/b' }],
      ['/**/*.{css,js}', '/c.js', { '*': '' }],
      ['/**/*.{css,js}', '/c.jsx', null],
      ['/docs/**', '/docs', { '*': '' }],
      ['/docs/**', '/docs/a/b', { '*': 'a/b' }],
      ['/docs/**', '/documents/a', null],
      ['/:lang/docs/**', '/fr/docs/x', { lang: 'fr', '*': 'x' }],
      ['/**', '/', { '*': '' }],
      ['/x/', '/x', {}],
      ['/a.b', '/aXb', null],
    ];
    for (const [pattern, path, expected] of cases) {
      assert.deepEqual(compilePattern(pattern).match(segs(path)), expected, `${pattern} ~ ${path}`);
    }
  });

  test('several "**" against a long hostile path: answered, not backtracked through (a power of its length)', () => {
    // 4,000 segments fit in the default 8 KiB request line. Backtracking
    // tried every split of them between the four "**": about 10^13 steps.
    const path = Array<string>(4000).fill('a');
    assert.equal(compilePattern('/**/a/**/a/**/a/**/b').match([...path, 'x']), null);
    assert.deepEqual(compilePattern('/**/a/**/a/**/a/**/b').match([...path, 'b']), { '*': '' });
    assert.deepEqual(compilePattern('/**/a/**/b/:last').match([...path, 'b', 'z']), { '*': '', last: 'z' });
  });

  test('several "*" in a segment against a long hostile segment: answered in one pass', { timeout: 60_000 }, () => {
    // A RegExp of three `*`s tried every split of the 8,000 dashes: minutes for one request.
    const dashes = '-'.repeat(8000);
    const p = compilePattern('/assets/*-*-*.js');
    assert.equal(p.match(['assets', dashes]), null);
    assert.deepEqual(p.match(['assets', `${dashes}.js`]), { '*': '-'.repeat(7998) }, 'the first * takes all it can');
    assert.deepEqual(compilePattern('/*.{b.a,a}').match(['x.b.a']), { '*': 'x.b' });
    assert.deepEqual(compilePattern('/{a,ab}*').match(['abc']), { '*': 'bc' }, 'the first alternative that matches');
    assert.throws(() => compilePattern(`/${'{a,b}'.repeat(9)}`), /combinations/);
  });

  test('malformed patterns are refused with a reason', () => {
    for (const [p, why] of [
      ['about', /starts with/],
      ['/a//b', /empty segment/],
      ['/a/../b', /"\." or "\.\."/],
      ['/a**', /whole segment/],
      ['/:1x', /not a parameter name/],
      ['/:a/:a', /twice/],
      ['/{a,b', /without its/],
      ['/a?b', /no spaces/],
      ['/{a,}', /alternatives/],
    ] as const) {
      assert.throws(() => compilePattern(p), (e: unknown) => e instanceof PatternError && why.test(e.message), p);
    }
  });

  test('a parameter named __proto__ is refused: a capture could not hold it, and its redirect went to /[object Object]', () => {
    assert.throws(() => compilePattern('/a/:__proto__'), (e: unknown) => e instanceof PatternError && /not a parameter name/.test(e.message));
    assert.throws(() => parseSiteConfig(JSON.stringify({ redirects: [{ source: '/a/:__proto__', destination: '/b/:__proto__' }] }), 'weft.json'), /not a parameter name/);
  });

  test('destinations: params checked, filled and encoded, query kept unless replaced', () => {
    const p = compilePattern('/blog/:year/:slug');
    assert.throws(() => checkDestination('/posts/:id', p, true), /":id" is not a parameter/);
    assert.throws(() => checkDestination('/posts/*', p, true), /needs a "\*"/);
    assert.throws(() => checkDestination('https://x.example/', p, false), /not to a URL/);
    assert.throws(() => checkDestination('//evil.example/', p, true), /path/);
    assert.throws(() => checkDestination('posts', p, true), /path/);
    checkDestination('https://x.example:8443/:slug', p, true);
    const params = p.match(['blog', '2024', 'a b/c?'])!;
    assert.equal(fillDestination('/posts/:slug', params, 'x=1'), '/posts/a%20b%2Fc%3F?x=1');
    assert.equal(fillDestination('/posts/:slug?from=blog', params, 'x=1'), '/posts/a%20b%2Fc%3F?from=blog');
    // A decoded segment may hold anything: it goes back encoded, never as a header break or a new path.
    assert.equal(fillDestination('/posts/:slug', { slug: '\r\nSet-Cookie: x' }, ''), '/posts/%0D%0ASet-Cookie%3A%20x');
    assert.equal(fillDestination('/x/:slug', { slug: '..' }, ''), '/x/..', 'never a dot segment from the path (they are resolved first)');
    const star = compilePattern('/docs/**');
    assert.equal(fillDestination('https://docs.example/*', star.match(['docs', 'a', 'é'])!, ''), 'https://docs.example/a/%C3%A9');
  });
});

describe('validation', () => {
  test('a complete config is read into settings', () => {
    const s = parseSiteConfig(
      JSON.stringify({
        $schema: 'ignored',
        root: 'public',
        port: 3000,
        cleanUrls: 'redirect',
        cacheControl: 'no-store',
        errorPages: { '404': '/missing.html', '5xx': '/oops.html' },
        headers: [{ source: '/**', headers: { 'X-Frame-Options': 'DENY' } }],
        cache: [{ source: '/assets/**', cacheControl: 'public, max-age=31536000, immutable' }],
        redirects: [{ source: '/old', destination: '/new' }],
        rewrites: [{ source: '/app/**', destination: '/app/index.html' }],
        tls: { cert: 'c.pem', key: 'k.pem' },
        workers: 2,
        log: 'json',
        pubsub: 'rediss://app:secret@redis.internal:6380/1',
      }),
      '/srv/site/weft.json',
    );
    assert.equal(s.root, '/srv/site/public');
    assert.deepEqual(s.tls, { cert: '/srv/site/c.pem', key: '/srv/site/k.pem' });
    assert.equal(s.port, 3000);
    assert.equal(s.cleanUrls, 'redirect');
    assert.deepEqual(s.cache, { cacheControl: 'no-store' });
    assert.equal(s.redirects![0]!.status, 301);
    assert.equal(s.headers![0]!.headers['X-Frame-Options'], 'DENY');
    assert.equal(s.workers, 2);
    assert.equal(s.pubsub, 'rediss://app:secret@redis.internal:6380/1');
  });

  test('every mistake, each at its line and column', () => {
    const text = `{
  "port": 99999,
  "redirect": [],
  "listing": "yes",
  "redirects": [
    { "source": "/a/:id", "destination": "/b/:nope", "status": 303 },
    { "source": "/c" }
  ],
  "headers": [{ "source": "/**", "headers": { "Content-Length": "3", "X Y": "z", "X-Ok": "a\\nb" } }],
  "errorPages": { "200": "/x.html", "404": "x.html" },
  "auth": { "users": { "ann": "hunter2" } }
}`;
    assert.deepEqual(errorsOf(text), [
      'weft.json:2:11: port must be a whole number from 0 to 65535, not 99999',
      'weft.json:3:3: unknown key "redirect" (did you mean "redirects"?)',
      'weft.json:4:14: listing must be true or false, not "yes"',
      'weft.json:6:42: redirects[0].destination: ":nope" is not a parameter of the source',
      'weft.json:6:64: status must be 301, 302, 307 or 308, not 303',
      'weft.json:7:5: redirects[1] needs "destination"',
      'weft.json:9:47: "Content-Length" is set by the server, not by a rule',
      'weft.json:9:70: "X Y" is not a header name',
      'weft.json:9:90: headers[0].headers.X-Ok has a control character (no CR, LF or NUL in a header)',
      'weft.json:10:19: "200" is not an error status ("404") or class ("5xx")',
      'weft.json:10:44: errorPages.404 must be a path starting with "/"',
      'weft.json:11:31: the password of "ann" must be a hash from `weft hash-password`, not a password',
    ]);
  });

  test('past 20 mistakes, the rest are counted, not positioned', () => {
    // Positioning is a scan of the text: for each of 30,000 mistakes in a
    // 1 MiB file it took 150 s (a SIGHUP reload blocked the server); 1.5 s now.
    const rules = Array<string>(1000).fill('{"source":"x","cacheControl":"a"}').join(',\n');
    const errors = errorsOf(`{"cache": [${rules}]}`);
    assert.equal(errors.length, 21);
    assert.equal(errors[0], 'weft.json:1:22: cache[0].source: a path pattern starts with "/"');
    assert.equal(errors[19], 'weft.json:20:11: cache[19].source: a path pattern starts with "/"');
    assert.equal(errors[20], '... and 980 more');
  });

  test('pubsub: a redis:// or rediss:// URL, its password never in the message', () => {
    assert.deepEqual(errorsOf('{\n  "pubsub": 6379\n}'), ['weft.json:2:13: pubsub must be a redis:// or rediss:// URL, not 6379']);
    const [http] = errorsOf('{ "pubsub": "http://u:hunter2@h/x" }');
    assert.match(http!, /^weft\.json:1:13: pubsub: the scheme must be redis: or rediss:, not http:/);
    assert.doesNotMatch(http!, /hunter2/);
    assert.match(errorsOf('{ "pubsub": "redis://h/db" }')[0]!, /^weft\.json:1:13: pubsub: the path must be a database number/);
  });

  test('the wrong shape at the top, a syntax error', () => {
    assert.deepEqual(errorsOf('[1]'), ['weft.json:1:1: a site config is an object ({ ... }), not a list']);
    assert.deepEqual(errorsOf('{\n  "port": 80,\n}'), ['weft.json:2:13: trailing comma before "}"']);
  });
});
