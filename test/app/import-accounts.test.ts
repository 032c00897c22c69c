import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileStore, type FileStore } from '../../src/adapters/file-store.js';
import {
  detectAccountsFormat,
  formatImportErrors,
  hashImportedPins,
  importAccounts,
  parseAccountsFile,
  planAccountImport,
  type ImportRowError,
} from '../../src/app/import-accounts.js';
import { noteWrongPin } from '../../src/domain/pin-guard.js';
import type { Account } from '../../src/domain/records.js';
import { testPins } from '../support/test-pins.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');
const fixture = (name: string) => read(`test/fixtures/accounts/${name}`);

function parseOk(content: string, format: 'json' | 'csv'): Account[] {
  const r = parseAccountsFile(content, format);
  if (!r.ok) throw new Error(`expected success, got ${JSON.stringify(r.errors)}`);
  return r.accounts;
}

function parseErrors(content: string, format: 'json' | 'csv'): ImportRowError[] {
  const r = parseAccountsFile(content, format);
  if (r.ok) throw new Error('expected errors');
  return r.errors;
}

const row = (errors: ImportRowError[], n: number) => errors.find((e) => e.row === n);

describe('parseAccountsFile: the sample data', () => {
  it('reads data/sample-accounts.json with every number in E.164', () => {
    const accounts = parseOk(read('data/sample-accounts.json'), 'json');
    expect(accounts.length).toBeGreaterThanOrEqual(5);
    expect(accounts.length).toBeLessThanOrEqual(8);
    for (const a of accounts) {
      expect(a.email).toMatch(/@([a-z-]+\.)?example\.test$/);
      expect(a.dids.length).toBeGreaterThanOrEqual(1);
      expect(a.dids.length).toBeLessThanOrEqual(5);
      for (const d of a.dids) {
        expect(d.number).toMatch(/^\+1\d{3}55501\d{2}$/);
        expect(d.status).toBe('active');
      }
    }
    expect(accounts.filter((a) => a.portOutPin)).toHaveLength(1);
    expect(accounts.filter((a) => a.portOutLock)).toHaveLength(1);
    expect(accounts.some((a) => a.dids.length === 1)).toBe(true);
    expect(accounts.some((a) => a.address.unit)).toBe(true);
    expect(new Set(accounts.flatMap((a) => a.dids.map((d) => d.number.slice(2, 5)))).size).toBeGreaterThan(3);
    expect(accounts[0]!.dids.map((d) => d.number)).toEqual(['+12065550100', '+12065550101', '+12065550102']);
  });

  it('reads data/sample-accounts.csv into the same accounts as the JSON file', () => {
    expect(parseOk(read('data/sample-accounts.csv'), 'csv')).toEqual(parseOk(read('data/sample-accounts.json'), 'json'));
  });

  it('tells the format from the file name', () => {
    expect(detectAccountsFormat('accounts.JSON')).toBe('json');
    expect(detectAccountsFormat('/tmp/export.csv')).toBe('csv');
    expect(detectAccountsFormat('accounts.txt')).toBeUndefined();
  });
});

describe('parseAccountsFile: errors by row', () => {
  it('reports each bad JSON row with the field and the problem', () => {
    const errors = parseErrors(fixture('bad-rows.json'), 'json');
    expect(errors.map((e) => e.row)).toEqual([2, 3, 4]);
    expect(row(errors, 2)!.problems).toEqual(['email: Invalid email address']);
    expect(row(errors, 3)!.problems).toEqual(['dids[1]: "206-555-01" is not a valid phone number']);
    expect(row(errors, 4)!.problems).toEqual(['address.zip: required']);
    expect(formatImportErrors(errors)).toContain('row 2: email: Invalid email address');
  });

  it('reports each bad CSV row with its line, reading aliased column names', () => {
    const errors = parseErrors(fixture('bad-rows.csv'), 'csv');
    expect(errors.map((e) => [e.row, e.line])).toEqual([
      [2, 4], // the quoted street spans lines 3 and 4
      [3, 5],
      [4, 6],
    ]);
    expect(row(errors, 2)!.problems).toEqual(['line 4: address.zip: must be a US ZIP or ZIP+4']);
    expect(row(errors, 3)!.problems).toEqual([
      'line 5: portOutLock: "maybe" is not yes/no',
      'line 5: dids: "303-555-XXXX" is not a valid phone number',
    ]);
    expect(row(errors, 4)!.problems).toHaveLength(1);
    expect(row(errors, 4)!.problems[0]).toMatch(/^line 6: status: /);
  });

  it('refuses a number on two rows and an id on two rows, naming both', () => {
    const errors = parseErrors(fixture('duplicate-numbers.csv'), 'csv');
    expect(errors).toEqual([
      { row: 3, line: 4, problems: ['line 4: dids: +16175550131 is also on row 1 (line 2)'] },
      { row: 4, line: 5, problems: ['line 5: id: "ACC-4002" is also used by row 2 (line 3)'] },
    ]);
  });

  it('refuses the same number twice in a JSON file, whatever its format', () => {
    const [a, b] = parseOk(read('data/sample-accounts.json'), 'json');
    const errors = parseErrors(JSON.stringify([a, { ...b, dids: ['+1 (206) 555-0101', ...b!.dids.map((d) => d.number)] }]), 'json');
    expect(errors).toEqual([{ row: 2, problems: ['dids: +12065550101 is also on row 1'] }]);
  });

  it('refuses unknown and missing CSV columns before reading any row', () => {
    const errors = parseErrors(fixture('unknown-column.csv'), 'csv');
    expect(errors).toEqual([{ row: 0, line: 1, problems: ['line 1: unknown column "emial"', 'line 1: missing column email'] }]);
  });

  it('reports a file that is not JSON, or not a list', () => {
    expect(parseErrors('[{"id": ', 'json')[0]).toMatchObject({ row: 0, problems: [expect.stringMatching(/^not valid JSON/)] });
    expect(parseErrors('{"id": "x"}', 'json')[0]!.problems[0]).toMatch(/expected an array/);
    expect(parseErrors('[]', 'json')[0]!.problems).toEqual(['no accounts in the file']);
  });

  it('splits numbers on semicolons or spaces and keeps spaces inside one number', () => {
    const csv = [
      'ID,Name,Email,Tech Prefix,Account Number,Street,City,State,Zip,DIDs',
      'ACC-1,Ann Lee,ann@example.test,1,1,1 A St,Seattle,WA,98101,(206) 555-0100 206 555 0101;+1 206.555.0102  2065550103',
    ].join('\n');
    expect(parseOk(csv, 'csv')[0]!.dids.map((d) => d.number)).toEqual(['+12065550100', '+12065550101', '+12065550102', '+12065550103']);
  });
});

describe('planAccountImport and importAccounts', () => {
  let dir: string;
  let store: FileStore;
  const sample = () => parseOk(read('data/sample-accounts.json'), 'json');

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'portdesk-import-'));
    store = await openFileStore(dir);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports the sample file in one commit and re-imports it as updates', async () => {
    const first = await importAccounts(store, read('data/sample-accounts.csv'), 'csv');
    expect(first).toMatchObject({ ok: true, created: sample().map((a) => a.id), updated: [] });
    expect(store.stats().seq).toBe(1);
    expect(store.findAccountByDid('+15125550142')?.id).toBe('ACC-1002');

    const again = await importAccounts(store, read('data/sample-accounts.json'), 'json');
    expect(again).toMatchObject({ ok: true, created: [], updated: sample().map((a) => a.id) });
    expect(store.listAccounts()).toHaveLength(sample().length);
  });

  it('refuses a number that belongs to another account, and changes nothing', async () => {
    await importAccounts(store, read('data/sample-accounts.json'), 'json');
    const seq = store.stats().seq;
    const newcomer: Account = { ...sample()[2]!, id: 'ACC-9001', accountNumber: '900-1', dids: [{ number: '+15035550199', status: 'active' }, { number: '+12065550101', status: 'active' }] };
    const fine: Account = { ...sample()[2]!, id: 'ACC-9002', accountNumber: '900-2', dids: [{ number: '+15035550198', status: 'active' }] };
    const result = await importAccounts(store, JSON.stringify([fine, newcomer]), 'json');
    expect(result).toEqual({ ok: false, errors: [{ row: 2, problems: ['dids: +12065550101 already belongs to account ACC-1001'] }] });
    expect(store.getAccount('ACC-9002')).toBeUndefined();
    expect(store.stats().seq).toBe(seq);
  });

  it('lets a number move between two accounts that are both re-imported', async () => {
    await store.commit({ accounts: sample() });
    const [a, b] = sample();
    const moved = [
      { ...a!, dids: a!.dids.filter((d) => d.number !== '+12065550102') },
      { ...b!, dids: [...b!.dids, { number: '+12065550102', status: 'active' as const }] },
    ];
    const plan = planAccountImport(store, moved);
    expect(plan.ok).toBe(true);
    if (plan.ok) await store.commit(plan.changes);
    expect(store.findAccountByDid('+12065550102')?.id).toBe('ACC-1002');
  });

  it('keeps port-out history on re-import and refuses to drop a number with an open order', async () => {
    const [a] = sample();
    await store.commit({
      accounts: [
        {
          ...a!,
          dids: [
            { number: '+12065550100', status: 'ported-out', portedOutAt: '2026-02-01T10:00:00.000Z', portOrderId: 'PO-AAAAAA' },
            { number: '+12065550101', status: 'active' },
            { number: '+12065550102', status: 'active' },
          ],
        },
      ],
    });
    // The file still lists the ported number as if active, and no longer lists it at all: either
    // way the desk's record of the port-out wins.
    const listed = planAccountImport(store, [a!]);
    expect(listed.ok && listed.changes.accounts![0]!.dids[0]).toMatchObject({ number: '+12065550100', status: 'ported-out', portOrderId: 'PO-AAAAAA' });
    const omitted = planAccountImport(store, [{ ...a!, dids: a!.dids.slice(1) }]);
    expect(omitted.ok && omitted.changes.accounts![0]!.dids.map((d) => `${d.number}:${d.status}`)).toEqual([
      '+12065550101:active',
      '+12065550102:active',
      '+12065550100:ported-out',
    ]);

    await store.commit({
      orders: [
        {
          id: 'PO-BBBBBB',
          token: 'tok-open-order',
          state: 'pending_verification',
          accountId: a!.id,
          dids: ['+12065550102'],
          carrier: { name: 'Northwind Mobile', email: 'ports@northwind.example.test' },
          provided: {},
          requestKey: 'northwind|1',
          sourceMessageIds: [],
          createdAt: '2026-03-01T10:00:00.000Z',
          updatedAt: '2026-03-01T10:00:00.000Z',
          history: [],
        },
      ],
    });
    const dropped = planAccountImport(store, [{ ...a!, dids: a!.dids.slice(0, 2) }]);
    expect(dropped).toEqual({ ok: false, errors: [{ row: 1, problems: ['dids: +12065550102 cannot be removed while order PO-BBBBBB is open'] }] });
  });

  it('reports rows and commits nothing when the file has any bad row', async () => {
    const result = await importAccounts(store, fixture('bad-rows.csv'), 'csv');
    expect(result.ok).toBe(false);
    expect(store.getAccount('ACC-3001')).toBeUndefined();
    expect(store.stats().seq).toBe(0);
  });

  it('checks without committing on a dry run', async () => {
    const result = await importAccounts(store, read('data/sample-accounts.json'), 'json', { dryRun: true });
    expect(result).toMatchObject({ ok: true, dryRun: true });
    expect(store.listAccounts()).toEqual([]);
  });
});

describe('PINs on the way in (SPEC §10)', () => {
  let dir: string;
  let store: FileStore;
  const sample = () => parseOk(read('data/sample-accounts.json'), 'json');
  const NOW = new Date('2026-03-02T15:00:00.000Z');
  const LATER = new Date('2026-03-05T15:00:00.000Z');
  const pinOf = (id: string) => store.getAccount(id)?.portOutPin;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'portdesk-import-pins-'));
    store = await openFileStore(dir, { pins: testPins });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a salted hash, never the PIN: not in memory, not in journal.jsonl, not in desk.json', async () => {
    const result = await importAccounts(store, read('data/sample-accounts.csv'), 'csv', { pins: testPins, now: NOW });
    expect(result.ok).toBe(true);
    const stored = pinOf('ACC-1002')!;
    expect(stored).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[\w-]+\$[\w-]+$/);
    expect(testPins.matches('8812', stored)).toBe(true);
    expect(testPins.matches('88-12', stored)).toBe(true);
    expect(testPins.matches('8813', stored)).toBe(false);
    expect(readFileSync(path.join(dir, 'journal.jsonl'), 'utf8')).not.toMatch(/"8812"|:8812\b/);
    await store.compact();
    expect(readFileSync(path.join(dir, 'desk.json'), 'utf8')).not.toMatch(/"8812"|:8812\b/);
    // Salted: the same PIN twice is two different hashes.
    const [again] = await hashImportedPins(undefined, [sample()[1]!], testPins);
    expect(again!.portOutPin).not.toBe(stored);
  });

  it('keeps the hash of an unchanged PIN on re-import, hashes a changed one and notes when, and keeps a hash given as is', async () => {
    await importAccounts(store, read('data/sample-accounts.json'), 'json', { pins: testPins, now: NOW });
    const first = pinOf('ACC-1002');
    await importAccounts(store, read('data/sample-accounts.json'), 'json', { pins: testPins, now: LATER });
    expect(pinOf('ACC-1002')).toBe(first);
    expect(store.getAccount('ACC-1002')?.portOutPinChangedAt).toBeUndefined();

    const changed = sample().map((a) => (a.id === 'ACC-1002' ? { ...a, portOutPin: '4455' } : a));
    await importAccounts(store, JSON.stringify(changed), 'json', { pins: testPins, now: LATER });
    expect(pinOf('ACC-1002')).not.toBe(first);
    expect(testPins.matches('4455', pinOf('ACC-1002')!)).toBe(true);
    expect(store.getAccount('ACC-1002')?.portOutPinChangedAt).toBe(LATER.toISOString());

    const hashed = testPins.hash('9911');
    const given = sample().map((a) => (a.id === 'ACC-1002' ? { ...a, portOutPin: hashed } : a));
    await importAccounts(store, JSON.stringify(given), 'json', { pins: testPins, now: LATER });
    expect(pinOf('ACC-1002')).toBe(hashed);
  });

  it('keeps what the desk knows of PIN guessing across a re-import, and a file cannot set or clear it', async () => {
    await importAccounts(store, read('data/sample-accounts.json'), 'json', { pins: testPins, now: NOW });
    let guarded = store.getAccount('ACC-1002')!;
    for (let i = 0; i < 3; i++) guarded = noteWrongPin(guarded, 'guesser.example.test', new Date(NOW.getTime() + i * 60_000)).account;
    await store.commit({ accounts: [guarded] });
    expect(guarded.pinGuard?.locks).toHaveLength(1);

    const forged = sample().map((a) => (a.id === 'ACC-1002' ? { ...a, pinGuard: { wrong: [], locks: [] } } : a));
    const result = await importAccounts(store, JSON.stringify(forged), 'json', { pins: testPins, now: LATER });
    expect(result.ok).toBe(true);
    expect(store.getAccount('ACC-1002')?.pinGuard).toEqual(guarded.pinGuard);
    const newcomer = { ...sample()[2]!, id: 'ACC-9100', accountNumber: '9100', dids: ['+15035550190'], pinGuard: { wrong: [], locks: [{ carrier: 'x.test', at: NOW.toISOString(), wrongPins: 3 }] } };
    await importAccounts(store, JSON.stringify([newcomer]), 'json', { pins: testPins, now: LATER });
    expect(store.getAccount('ACC-9100')?.pinGuard).toBeUndefined();
  });

  it('refuses a PIN with nothing in it, which would match a request that gives none', () => {
    const errors = parseErrors(JSON.stringify([{ ...sample()[1]!, portOutPin: ' -- ' }]), 'json');
    expect(row(errors, 1)?.problems).toEqual(['portOutPin: has no letters or digits (leave it empty for no PIN)']);
  });
});
