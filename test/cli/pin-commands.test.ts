/**
 * PINs at the command line (SPEC §10), with the built binary and no daemon: `accounts import`
 * hashes on the way in and leaves a private data directory; `accounts show|list` say whether a PIN
 * is set, never the PIN or its hash; `accounts unlock-pin` clears a lock set by PIN guessing.
 */
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileStore } from '../../src/adapters/file-store.js';
import { noteWrongPin } from '../../src/domain/pin-guard.js';
import type { Account } from '../../src/domain/records.js';
import { ensureBuilt, parseJson, REPO_ROOT, runCli } from '../support/run-cli.js';

const SAMPLE_CSV = path.join(REPO_ROOT, 'data', 'sample-accounts.csv');
let dir: string;
const data = () => path.join(dir, 'data');
const portdesk = (args: string[]) => runCli(args, { cwd: dir, env: { DATA_DIR: data() } });

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-cli-pins-'));
  const imported = await portdesk(['accounts', 'import', SAMPLE_CSV]);
  expect(imported.code, imported.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Entry {
  path: string;
  dir: boolean;
  mode: number;
  text: string;
}

async function entries(at: string): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const name of await readdir(at)) {
    const p = path.join(at, name);
    const st = await stat(p);
    if (st.isDirectory()) out.push({ path: p, dir: true, mode: st.mode & 0o777, text: '' }, ...(await entries(p)));
    else out.push({ path: p, dir: false, mode: st.mode & 0o777, text: await readFile(p, 'utf8') });
  }
  return out;
}

describe('accounts import', () => {
  it('stores the PIN as a salted hash in a data directory only its owner can read', async () => {
    expect((await stat(data())).mode & 0o777).toBe(0o700);
    const all = await entries(data());
    expect(all.length).toBeGreaterThan(2);
    for (const f of all) expect(f.mode, f.path).toBe(f.dir ? 0o700 : 0o600);
    const text = all.map((f) => f.text).join('\n');
    expect(text).not.toMatch(/"8812"|,8812,/);
    expect(text).toMatch(/"portOutPin":"scrypt\$/);
  });
});

describe('accounts show and list', () => {
  it('say whether a PIN is set, never the PIN or its hash', async () => {
    const shown = await portdesk(['accounts', 'show', 'ACC-1002', '--json']);
    expect(shown.code).toBe(0);
    expect(parseJson<{ portOutPin: string }>(shown).portOutPin).toBe('set');
    const none = await portdesk(['accounts', 'show', 'ACC-1001', '--json']);
    expect(parseJson<{ portOutPin: string }>(none).portOutPin).toBe('not set');
    const text = await portdesk(['accounts', 'show', 'ACC-1002']);
    expect(text.stdout).toMatch(/PIN: +set/);
    const list = await portdesk(['accounts', 'list', '--json']);
    for (const out of [shown.stdout, text.stdout, list.stdout]) {
      expect(out).not.toContain('8812');
      expect(out).not.toContain('scrypt$');
    }
  });
});

describe('accounts unlock-pin', () => {
  it('clears the lock against one carrier; says so when there is none; refuses an unknown account', async () => {
    const store = await openFileStore(data());
    let locked: Account = store.getAccount('ACC-1002')!;
    for (let i = 0; i < 3; i++) locked = noteWrongPin(locked, 'guesser.example.test', new Date(Date.now() - (3 - i) * 60_000)).account;
    await store.commit({ accounts: [locked] });
    await store.close();

    const shown = await portdesk(['accounts', 'show', 'ACC-1002']);
    expect(shown.stdout).toContain('PIN lock: requests from guesser.example.test refused since');
    expect(shown.stdout).toContain('portdesk accounts unlock-pin ACC-1002 --carrier guesser.example.test');
    expect((await portdesk(['accounts', 'list'])).stdout).toMatch(/ACC-1002.*pin-locked/);

    const other = await portdesk(['accounts', 'unlock-pin', 'ACC-1002', '--carrier', 'elsewhere.example.test']);
    expect(other.code).toBe(0);
    expect(other.stdout).toContain('no PIN lock against elsewhere.example.test; nothing changed');

    const cleared = await portdesk(['accounts', 'unlock-pin', 'ACC-1002', '--carrier', 'guesser.example.test', '--json']);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(parseJson(cleared)).toMatchObject({ accountId: 'ACC-1002', cleared: [{ carrier: 'guesser.example.test', wrongPins: 3 }] });
    const after = await openFileStore(data(), { readOnly: true });
    expect(after.getAccount('ACC-1002')!.pinGuard?.locks).toEqual([]);
    await after.close();

    const unknown = await portdesk(['accounts', 'unlock-pin', 'ACC-9999']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no account ACC-9999');
  });
});
