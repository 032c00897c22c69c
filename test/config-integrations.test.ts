/** Settings for the provider's other systems (SPEC §14): events out, accounts from billing. */
import { expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../src/config.js';

const load = (env: Record<string, string>) => loadConfig(env, { dotenv: false, cwd: '/tmp' });
const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

function problemsOf(env: Record<string, string>): string {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.join('\n');
  }
  throw new Error('the configuration was accepted');
}

it('writes no events and reads no accounts source when nothing is set', () => {
  const c = load({});
  expect(c.webhooks).toBeUndefined();
  expect(c.accountsSource).toBeUndefined();
});

it('takes one or several webhook endpoints, comma-separated, with their secret', () => {
  expect(load({ WEBHOOK_URL: 'https://crm.example.test/hook', WEBHOOK_SECRET: SECRET }).webhooks).toEqual({ urls: ['https://crm.example.test/hook'], secret: SECRET });
  expect(load({ WEBHOOK_URL: ' https://a.example.test/h , http://127.0.0.1:9000/in?x=1 ', WEBHOOK_SECRET: SECRET }).webhooks?.urls).toEqual([
    'https://a.example.test/h',
    'http://127.0.0.1:9000/in?x=1',
  ]);
});

it('refuses events without a secret, a secret not in whsec_ form, an address that is not http(s), and the same address twice', () => {
  expect(problemsOf({ WEBHOOK_URL: 'https://a.example.test/h' })).toMatch(/WEBHOOK_SECRET: required when WEBHOOK_URL is set/);
  expect(problemsOf({ WEBHOOK_URL: 'https://a.example.test/h', WEBHOOK_SECRET: 'hunter2' })).toMatch(/WEBHOOK_SECRET: must be whsec_/);
  expect(problemsOf({ WEBHOOK_URL: 'ftp://a.example.test/h', WEBHOOK_SECRET: SECRET })).toMatch(/WEBHOOK_URL: must be http\(s\) addresses/);
  expect(problemsOf({ WEBHOOK_URL: 'https://a.example.test/h,https://a.example.test/h', WEBHOOK_SECRET: SECRET })).toMatch(/WEBHOOK_URL: names the same address twice/);
  // Deliveries are kept under the address without its password and query: these two would be one.
  expect(problemsOf({ WEBHOOK_URL: 'https://u:one@a.example.test/h,https://u:two@a.example.test/h', WEBHOOK_SECRET: SECRET })).toMatch(/same address twice/);
  expect(problemsOf({ WEBHOOK_URL: 'https://a.example.test/h?k=1,https://a.example.test/h?k=2', WEBHOOK_SECRET: SECRET })).toMatch(/same address twice/);
});

it('reads accounts from https, from this machine over http, or from a file, every ACCOUNTS_SYNC (5m by default)', () => {
  expect(load({ ACCOUNTS_URL: 'https://billing.example.test/export.json', ACCOUNTS_TOKEN: 't0ken' }).accountsSource).toEqual({
    location: 'https://billing.example.test/export.json',
    token: 't0ken',
    every: { amount: 5, unit: 'm' },
  });
  expect(load({ ACCOUNTS_URL: 'http://127.0.0.1:8080/x.csv', ACCOUNTS_SYNC: '30s' }).accountsSource?.every).toEqual({ amount: 30, unit: 's' });
  expect(load({ ACCOUNTS_URL: '/srv/billing/accounts.csv' }).accountsSource?.location).toBe('/srv/billing/accounts.csv');
});

it('refuses plain http to another host (the accounts say where verifications go) and a token without a source', () => {
  expect(problemsOf({ ACCOUNTS_URL: 'http://billing.example.test/export.json' })).toMatch(/ACCOUNTS_URL: plain http:\/\/ to another host/);
  for (const lookalike of [
    'http://localhost.example.test/x',
    'http://127.evil.example.test/x',
    'http://127.0.0.1@billing.example.test/x',
    'http://localhost:8080@billing.example.test/x',
    'http://[::1]@billing.example.test/x',
  ]) {
    expect(problemsOf({ ACCOUNTS_URL: lookalike })).toMatch(/ACCOUNTS_URL: plain http/);
  }
  expect(load({ ACCOUNTS_URL: 'http://[::1]:8080/x.json' }).accountsSource?.location).toBe('http://[::1]:8080/x.json');
  expect(load({ ACCOUNTS_URL: 'http://localhost/x.json' }).accountsSource?.location).toBe('http://localhost/x.json');
  expect(problemsOf({ ACCOUNTS_TOKEN: 't' })).toMatch(/ACCOUNTS_TOKEN: set without ACCOUNTS_URL/);
});

it('masks the secret, the token and what a URL carries in its password or query when the configuration is shown', () => {
  const shown = JSON.stringify(
    describeConfig(
      load({
        WEBHOOK_URL: 'https://user:pw1@a.example.test/h?key=q1',
        WEBHOOK_SECRET: SECRET,
        ACCOUNTS_URL: 'https://billing.example.test/x.json?sig=q2',
        ACCOUNTS_TOKEN: 'tok3n',
      }),
    ),
  );
  for (const secret of [SECRET, 'pw1', 'q1', 'q2', 'tok3n']) expect(shown).not.toContain(secret);
  // A key kept as a lone user name is masked too.
  expect(JSON.stringify(describeConfig(load({ WEBHOOK_URL: 'https://k3yk3y@hooks.example.test/in', WEBHOOK_SECRET: SECRET })))).not.toContain('k3yk3y');
  expect(shown).toContain('https://billing.example.test/x.json?***');
});

it('masks a key kept in the path (16+ characters, letters and digits); two endpoints that differ only there stay two', () => {
  const chat = 'https://chat.example.test/services/T0AB12CD3/B0XY98ZW7/k8Jd7sQm2LxP9rT4vWz1aBcD';
  const other = 'https://chat.example.test/services/T0AB12CD3/B0XY98ZW7/Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2';
  const shown = JSON.stringify(describeConfig(load({ WEBHOOK_URL: `${chat},${other}`, WEBHOOK_SECRET: SECRET })));
  for (const key of ['k8Jd7sQm2LxP9rT4vWz1aBcD', 'Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2']) expect(shown).not.toContain(key);
  // Short ids, words and dates are the address, not a key.
  expect(shown).toMatch(/https:\/\/chat\.example\.test\/services\/T0AB12CD3\/B0XY98ZW7\/\*\*\*[0-9a-f]{4}"/);
  expect(JSON.stringify(describeConfig(load({ WEBHOOK_URL: 'https://h.example.test/webhooks/portdesk-events/2026-12-01', WEBHOOK_SECRET: SECRET })))).toContain(
    'https://h.example.test/webhooks/portdesk-events/2026-12-01',
  );
  // The same key twice is the same address.
  expect(problemsOf({ WEBHOOK_URL: `${chat},${chat}`, WEBHOOK_SECRET: SECRET })).toMatch(/WEBHOOK_URL: names the same address twice/);
});
