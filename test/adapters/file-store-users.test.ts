/**
 * Console users in the file store (SPEC §12): kept across a restart from the journal and from a
 * snapshot, upserted by name, a removed user kept with removedAt; a journal line with users is
 * written as format 3 so an older portdesk refuses it rather than dropping the users; a snapshot
 * written before users existed still loads.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { JOURNAL_FILE, SNAPSHOT_FILE, openFileStore, type FileStore } from '../../src/adapters/file-store.js';
import type { ConsoleUser } from '../../src/domain/records.js';
import { T0, makeAccount, manualClock } from './store-records.js';

let dir: string;
const opened: FileStore[] = [];

async function open(): Promise<FileStore> {
  const store = await openFileStore(dir, { clock: manualClock() });
  opened.push(store);
  return store;
}

const user = (name: string, extra: Partial<ConsoleUser> = {}): ConsoleUser => ({ name, passwordHash: `scrypt$16$8$1$c2FsdHNhbHQ$${name}`, createdAt: T0.toISOString(), ...extra });

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'portdesk-users-store-'));
});

afterEach(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

it('keeps users across a restart, from the journal and from a snapshot', async () => {
  const store = await open();
  await store.commit({ users: [user('bob'), user('alice')] });
  await store.commit({ users: [user('bob', { removedAt: T0.toISOString() })] });
  expect(store.listUsers().map((u) => u.name)).toEqual(['alice', 'bob']);
  await store.close();

  const fromJournal = await open();
  expect(fromJournal.getUser('bob')?.removedAt).toBe(T0.toISOString());
  expect(fromJournal.getUser('alice')?.passwordHash).toBe(user('alice').passwordHash);
  await fromJournal.compact();
  await fromJournal.close();

  const fromSnapshot = await open();
  expect(fromSnapshot.listUsers().map((u) => [u.name, u.removedAt])).toEqual([
    ['alice', undefined],
    ['bob', T0.toISOString()],
  ]);
});

it('writes a journal line with users as format 3, and lines without them as before', async () => {
  const store = await open();
  await store.commit({ accounts: [makeAccount(1)] });
  await store.commit({ users: [user('alice')] });
  await store.flush();
  const versions = readFileSync(path.join(dir, JOURNAL_FILE), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => (JSON.parse(l) as { v: number }).v);
  expect(versions).toEqual([1, 3]);
});

it('refuses a user that does not fit the schema, and changes nothing', async () => {
  const store = await open();
  await expect(store.commit({ users: [user('Not A Name')] })).rejects.toMatchObject({ code: 'STORE_INVALID' });
  expect(store.listUsers()).toEqual([]);
});

it('loads a snapshot written before the console had users', async () => {
  const store = await open();
  await store.commit({ accounts: [makeAccount(1)] });
  await store.compact();
  await store.close();
  const file = path.join(dir, SNAPSHOT_FILE);
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  delete snapshot.users;
  writeFileSync(file, JSON.stringify(snapshot));
  const again = await open();
  expect(again.getAccount(makeAccount(1).id)).toBeDefined();
  expect(again.listUsers()).toEqual([]);
});
