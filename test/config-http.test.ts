/** The console's settings (SPEC §9, §12): defaults, HTTP_PORT=0 turns it off, errors name the variable. */
import { expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../src/config.js';

const load = (env: Record<string, string>) => loadConfig(env, { dotenv: false, cwd: '/tmp' });

it('serves on 127.0.0.1:8025 by default, with links to the same address', () => {
  expect(load({}).http).toEqual({ host: '127.0.0.1', port: 8025, publicUrl: 'http://127.0.0.1:8025', metricsFromAnywhere: false });
});

it('derives PUBLIC_URL from HTTP_HOST and HTTP_PORT when unset, and takes it as given when set', () => {
  expect(load({ HTTP_HOST: '0.0.0.0', HTTP_PORT: '9000' }).http?.publicUrl).toBe('http://0.0.0.0:9000');
  expect(load({ HTTP_HOST: '::1' }).http?.publicUrl).toBe('http://[::1]:8025');
  expect(load({ PUBLIC_URL: 'https://porting.example.com/' }).http?.publicUrl).toBe('https://porting.example.com');
});

it('HTTP_PORT=0 turns the console off', () => {
  expect(load({ HTTP_PORT: '0' }).http).toBeUndefined();
});

it('refuses a PUBLIC_URL that is not http(s) and a LINK_SECRET under 32 characters, naming them', () => {
  let err: unknown;
  try {
    load({ PUBLIC_URL: 'ftp://x', LINK_SECRET: 'short' });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  const problems = (err as ConfigError).problems.join('\n');
  expect(problems).toMatch(/PUBLIC_URL: must be an http\(s\) address/);
  expect(problems).toMatch(/LINK_SECRET: must be at least 32 characters/);
});

it('masks LINK_SECRET when the configuration is shown', () => {
  const shown = describeConfig(load({ LINK_SECRET: 's'.repeat(40) }));
  expect(JSON.stringify(shown)).not.toContain('s'.repeat(40));
});
