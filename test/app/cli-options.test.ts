/** The command line, parsed: flags into settings, merged over a config file's. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError, HELP, parseCli } from '../../src/app/cli-options.js';
import { cacheControlOf, mergeSettings } from '../../src/app/settings.js';
import { parseSiteConfig } from '../../src/app/site-config.js';

const serve = (argv: string[], env = {}) => {
  const c = parseCli(argv, env);
  assert.equal(c.kind, 'serve');
  return c as Extract<typeof c, { kind: 'serve' }>;
};

test('flags set only what they are given', () => {
  assert.deepEqual(serve([]).flags, {});
  const c = serve(['site', '-p', '0', '--host', '::', '--no-listing', '--no-clean-urls', '--spa', '--cors', '--open', '--immutable', '--cache-max-age', '60', '-w', '3', '--log', 'json', '--shutdown-timeout', '2']);
  assert.equal(c.dir, 'site');
  assert.deepEqual(c.flags, {
    port: 0, host: '::', listing: false, cleanUrls: false, spa: true, cors: true, open: true,
    cache: { immutable: true, maxAge: 60 }, workers: 3, log: 'json', shutdownTimeout: 2000,
  });
  assert.equal(serve([], { PORT: '9000' }).flags.port, 9000);
  assert.equal(serve(['-p', '1'], { PORT: '9000' }).flags.port, 1);
});

test('--auth: passwords and hashes, several users, never echoed in errors', () => {
  const hash = '$scrypt$ln=14,r=8,p=5$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g';
  const c = serve(['--auth', 'ann:pa:ss', '--auth', `bob:${hash}`]);
  assert.deepEqual(c.flags.auth, { realm: 'weft', users: { ann: { password: 'pa:ss' }, bob: { hash } } });
  assert.throws(() => parseCli(['--auth', 'secretonly']), (e: unknown) => e instanceof CliError && !e.message.includes('secretonly'));
});

test('--pubsub: a Redis URL, with --demo', () => {
  assert.equal(serve(['--demo', '--pubsub', 'redis://10.0.0.5:6379']).flags.pubsub, 'redis://10.0.0.5:6379');
  assert.throws(() => parseCli(['--pubsub', 'redis://h']), (e: unknown) => e instanceof CliError && /use it with --demo/.test(e.message));
  assert.throws(
    () => parseCli(['--demo', '--pubsub', 'redis://u:hunter2@h/x']),
    (e: unknown) => e instanceof CliError && /^--pubsub: the path must be a database number/.test(e.message) && !e.message.includes('hunter2'),
  );
});

test('mistakes: one message each', () => {
  for (const [argv, message] of [
    [['--tls-cert', 'x'], /go together/],
    [['--cache-control', 'no-store', '--immutable'], /whole header/],
    [['--config', 'a.json', '--no-config'], /contradict/],
    [['a', 'b'], /one directory at most/],
    [['--workers', '0'], /--workers must be/],
    [['--log', 'xml'], /--log must be/],
    [['--host', ''], /--host must be/],
    [['hash-password', 'x'], /no arguments/],
  ] as const) {
    assert.throws(() => parseCli([...argv]), (e: unknown) => e instanceof CliError && message.test(e.message), argv.join(' '));
  }
});

test('subcommands, help and version', () => {
  assert.deepEqual(parseCli(['hash-password']), { kind: 'hash-password' });
  assert.deepEqual(parseCli(['hash-password', '--help']), { kind: 'help', topic: 'hash-password' });
  assert.deepEqual(parseCli(['-h']), { kind: 'help', topic: 'serve' });
  assert.deepEqual(parseCli(['--version']), { kind: 'version' });
  for (const line of HELP.split('\n').filter((l) => /^\s+(-\w, )?--/.test(l))) assert.ok(line.length <= 100, line);
});

test('flags override the config file; the cache policy is one setting', () => {
  const file = { port: 3000, listing: false, cache: { cacheControl: 'no-store' } };
  const s = mergeSettings('/srv', file, { port: 4000, cache: { maxAge: 5 } });
  assert.equal(s.port, 4000);
  assert.equal(s.listing, false);
  assert.equal(cacheControlOf(s.cache), 'public, max-age=5');
  assert.equal(cacheControlOf(mergeSettings('/srv', file, {}).cache), 'no-store');
  assert.equal(cacheControlOf({}), 'no-cache');
  assert.equal(cacheControlOf({ immutable: true }), 'public, max-age=31536000, immutable');
  assert.equal(mergeSettings('/srv', {}, { quiet: true }).log, 'off');
});

test('a user named __proto__ is refused, on the command line and in a config file (it vanished, and nobody could log in)', () => {
  assert.throws(() => parseCli(['--auth', '__proto__:pw']), (e: unknown) => e instanceof CliError && /__proto__/.test(e.message));
  const hash = '$scrypt$ln=14,r=8,p=5$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g';
  assert.throws(() => parseSiteConfig(`{ "auth": { "users": { "__proto__": "${hash}" } } }`, 'weft.json'), /weft\.json:1:24: user name "__proto__"/);
});
