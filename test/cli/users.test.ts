/**
 * `portdesk users add|list|remove` (SPEC §12): the password from standard input, only a scrypt
 * hash stored; through the running daemon (whose console then lets the user in at once) and on a
 * stopped one; bad names and short passwords refused with what is wrong.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../support/free-port.js';
import { ensureBuilt, parseJson, runCli, startCli, type RunningCli } from '../support/run-cli.js';

const PASSWORD = 'a long enough passphrase';

let dir: string;
let dataDir: string;
let env: Record<string, string>;
let daemon: RunningCli | undefined;
let base: string;

const portdesk = (args: string[], input?: string) => runCli(args, { cwd: dir, env, ...(input !== undefined ? { input } : {}) });

/** Every file of the data directory, as text: where a password could have leaked to. */
async function dataDirText(): Promise<string> {
  let text = '';
  for (const f of await readdir(dataDir, { recursive: true })) text += await readFile(path.join(dataDir, f), 'utf8').catch(() => '');
  return text;
}

/** A sign-in through the console's form; the status code of the answer. */
async function signIn(name: string, password: string): Promise<number> {
  const form = await fetch(`${base}/signin`);
  const cookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const token = /name="_csrf" value="([^"]*)"/.exec(await form.text())?.[1] ?? '';
  const res = await fetch(`${base}/signin`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name, password, _csrf: token, next: '/' }),
  });
  return res.status;
}

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-users-'));
  dataDir = path.join(dir, 'data');
  const port = await findFreePort();
  base = `http://127.0.0.1:${port}`;
  env = { DATA_DIR: dataDir, INBOUND_SMTP_PORT: '0', HTTP_PORT: String(port), MAIL_AUTH: 'off' };
});

afterAll(async () => {
  await daemon?.stop().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('without a daemon', () => {
  it('adds a user from standard input and stores only a hash', async () => {
    const r = await portdesk(['users', 'add', 'Alice', '--json'], `${PASSWORD}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(parseJson<{ name: string; passwordHash?: string }>(r)).toMatchObject({ name: 'alice' });
    expect(r.stdout).not.toContain('passwordHash');
    const text = await dataDirText();
    expect(text).toContain('"name":"alice"');
    expect(text).toMatch(/"passwordHash":"scrypt\$/);
    expect(text).not.toContain(PASSWORD);
  });

  it('refuses a short password, a bad name, a second user of the same name, no input', async () => {
    const short = await portdesk(['users', 'add', 'bob'], 'short\n');
    expect(short.code).not.toBe(0);
    expect(short.stderr).toMatch(/at least 12 characters/);
    const badName = await portdesk(['users', 'add', 'bob smith'], `${PASSWORD}\n`);
    expect(badName.code).not.toBe(0);
    expect(badName.stderr).toMatch(/user name "bob smith"/);
    const twice = await portdesk(['users', 'add', 'alice'], `${PASSWORD}\n`);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toMatch(/USER_EXISTS.*--replace/);
    const none = await portdesk(['users', 'add', 'bob'], '');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no password on standard input/);
  });

  it('lists users without their hashes', async () => {
    const r = await portdesk(['users', 'list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const users = parseJson<{ name: string }[]>(r);
    expect(users.map((u) => u.name)).toEqual(['alice']);
    expect(r.stdout).not.toContain('scrypt');
  });
});

describe('with the daemon running', () => {
  beforeAll(async () => {
    daemon = startCli(['start'], { cwd: dir, env });
    await daemon.waitForOutput(/portdesk is running\./);
  });

  it('a user added through the daemon signs in at once; a removed one no longer can', async () => {
    expect(await signIn('carol', PASSWORD)).toBe(401);
    const add = await portdesk(['users', 'add', 'carol'], `${PASSWORD}\n`);
    expect(add.code, add.stderr).toBe(0);
    expect(await signIn('carol', PASSWORD)).toBe(303);
    expect(await signIn('carol', 'not the password at all')).toBe(401);

    const replaced = await portdesk(['users', 'add', 'carol', '--replace'], 'another long passphrase\n');
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(await signIn('carol', 'another long passphrase')).toBe(303);

    const removed = await portdesk(['users', 'remove', 'carol']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await signIn('carol', 'another long passphrase')).toBe(401);
    const list = parseJson<{ name: string }[]>(await portdesk(['users', 'list', '--json']));
    expect(list.map((u) => u.name)).toEqual(['alice']);
    const all = parseJson<{ name: string; removedAt?: string }[]>(await portdesk(['users', 'list', '--all', '--json']));
    expect(all.find((u) => u.name === 'carol')?.removedAt).toBeDefined();
  });

  it('removing a user who does not exist says so', async () => {
    const r = await portdesk(['users', 'remove', 'nobody']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/USER_NOT_FOUND: no console user nobody/);
  });
});
