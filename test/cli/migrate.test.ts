/**
 * `portdesk migrate` (SPEC §13): the schema made on an empty database; `--from-dir` copies a file
 * store — archived orders and entries too — into PostgreSQL and checks the counts; the copy is
 * refused into a database that holds records, and without DATABASE_URL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openFileStore } from '../../src/adapters/file-store.js';
import { openPgStore } from '../../src/adapters/pg-store.js';
import { makeAccount, makeInbound, makeOrder, makeOutbox, manualClock } from '../adapters/store-records.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { ensureBuilt, parseJson, runCli } from '../support/run-cli.js';
import { testPins } from '../support/test-pins.js';

let pg: TestPostgres;
let dir: string;

beforeAll(async () => {
  await ensureBuilt();
  pg = await startTestPostgres();
  dir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-migrate-'));
});
afterAll(async () => {
  await pg?.stop();
  await rm(dir, { recursive: true, force: true });
});

it('copies a file store, archives included, and says the counts agree', async () => {
  const dataDir = path.join(dir, 'data');
  const clock = manualClock();
  const store = await openFileStore(dataDir, { clock, pins: testPins });
  const old = makeOrder(1, { state: 'completed' });
  await store.commit({
    accounts: [makeAccount(1, { portOutPin: '2468' }), makeAccount(2)],
    orders: [old],
    inbound: [makeInbound('<old@x.test>')],
    outbox: [makeOutbox('mail-old', { status: 'sent', sentAt: clock.now().toISOString() })],
    users: [{ name: 'alice', passwordHash: 'scrypt$16$8$1$c2FsdA$aGFzaA', createdAt: clock.now().toISOString() }],
  });
  clock.advanceDays(40);
  await store.compact(); // the order, the inbound entry and the sent e-mail move to the archives
  const at = clock.now().toISOString();
  await store.commit({
    orders: [makeOrder(2)],
    inbound: [makeInbound('<new@x.test>', { at })],
    events: [
      {
        id: 'msg_00000000000001',
        type: 'order.received',
        timestamp: at,
        orderId: makeOrder(2).id,
        data: { id: makeOrder(2).id, state: 'received' },
        deliveries: [{ endpoint: 'https://crm.example.test/hook', status: 'pending', attempts: 2, nextAttemptAt: at, lastError: 'HTTP 503' }],
      },
    ],
  });
  await store.close();

  const url = await pg.createDatabase();
  const r = await runCli(['migrate', '--from-dir', dataDir, '--json'], { cwd: dir, env: { DATABASE_URL: url } });
  expect(r.code, r.stderr).toBe(0);
  const report = parseJson<{ copied: Record<string, { source: number; database: number }> }>(r);
  expect(report.copied).toEqual({
    accounts: { source: 2, database: 2 },
    orders: { source: 2, database: 2 },
    csrRequests: { source: 0, database: 0 },
    inbound: { source: 2, database: 2 },
    outbox: { source: 1, database: 1 },
    users: { source: 1, database: 1 },
    events: { source: 1, database: 1 },
  });

  const copied = await openPgStore(url, { pins: testPins });
  try {
    expect(copied.getOrder(old.id)?.state).toBe('completed');
    expect(copied.listPendingEvents().map((e) => [e.id, e.deliveries[0]?.lastError])).toEqual([['msg_00000000000001', 'HTTP 503']]);
    expect(copied.findOrderByToken(old.token)?.id).toBe(old.id);
    expect(testPins.matches('2468', copied.getAccount('ACC-1')!.portOutPin!)).toBe(true);
    expect(copied.getUser('alice')).toBeDefined();
  } finally {
    await copied.close();
  }

  const list = await runCli(['orders', 'list', '--all', '--json'], { cwd: dir, env: { DATABASE_URL: url } });
  expect(parseJson<{ id: string }[]>(list).map((o) => o.id).sort()).toEqual([old.id, makeOrder(2).id].sort());

  const again = await runCli(['migrate', '--from-dir', dataDir], { cwd: dir, env: { DATABASE_URL: url } });
  expect(again.code).not.toBe(0);
  expect(again.stderr).toMatch(/already holds accounts/);
});

it('makes the schema on an empty database, and needs DATABASE_URL', async () => {
  const url = await pg.createDatabase();
  const r = await runCli(['migrate'], { cwd: dir, env: { DATABASE_URL: url } });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/schema upgraded from version 0 to \d+/);
  expect((await runCli(['migrate'], { cwd: dir, env: { DATABASE_URL: url } })).stdout).toMatch(/schema up to date/);
  const none = await runCli(['migrate'], { cwd: dir, env: {} });
  expect(none.code).toBe(2);
  expect(none.stderr).toMatch(/DATABASE_URL is not set/);
});
