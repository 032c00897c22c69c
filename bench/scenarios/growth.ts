/**
 * The desk after a year: 100,000 finished orders (with their inbound log and sent e-mails) and
 * 50,000 accounts. Start-up time, resident memory, and what a new request costs compared with the
 * same requests on an empty store (only the accounts they name). The daemon measured is the
 * deployed one: built once here, then run by each probe as `node dist/cli.js start`.
 *
 * On PostgreSQL (`--store postgres`) the big store is a database of `pgGrowth.finished` finished
 * orders, all finished more than 30 days ago (cold: the store keeps them as JSON text), and their
 * accounts, written straight into the tables; the empty one a database with the probes' accounts.
 */
import { fork } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDaemonOnce } from '../daemon-process.js';
import { makeAccounts } from '../fixtures.js';
import type { ProbeResult } from '../growth-probe.js';
import { makeDataDir, seedAccounts } from '../mailroom.js';
import { freshDatabase, type StoreKind } from '../pg.js';
import type { SizeSpec } from '../sizes.js';
import { buildGrowthDatabase, buildGrowthStore } from '../stores.js';

export interface GrowthResult {
  /** Where the desk kept its records: the file store, or PostgreSQL (DATABASE_URL). */
  storeKind: StoreKind;
  /** File store: desk.json and the archive. PostgreSQL: the database's size (pg_database_size); with `inbound`, each order's inbound entry is in it too. */
  store: { accounts: number; orders: number; snapshotMB?: number; archiveMB?: number; databaseMB?: number; inbound?: boolean; buildMs: number };
  probes: number;
  big: ProbeResult;
  empty: ProbeResult;
  costRatio: number;
}

const MB = 2 ** 20;

function probe(dataDir: string, probes: number, databaseUrl?: string): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--cpu-prof'));
    const child = fork(fileURLToPath(new URL('../growth-probe.ts', import.meta.url)), [dataDir, String(probes), ...(databaseUrl ? [databaseUrl] : [])], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let done = false;
    child.on('message', (m: { ok: boolean; result?: ProbeResult; error?: string }) => {
      done = true;
      if (m.ok) resolve(m.result!);
      else reject(new Error(m.error));
    });
    child.on('exit', (code) => {
      if (!done) reject(new Error(`growth probe exited with ${code}`));
    });
  });
}

async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const f of await readdir(dir).catch(() => [])) total += (await stat(path.join(dir, f))).size;
  return total;
}

export async function runGrowth(size: SizeSpec, storeKind: StoreKind = 'file'): Promise<GrowthResult> {
  if (storeKind === 'postgres') return runGrowthOnPostgres(size);
  const g = size.growth;
  await buildDaemonOnce();
  const big = await makeDataDir();
  const empty = await makeDataDir();
  try {
    const built = await buildGrowthStore(big.dir, { accounts: g.accounts, finished: g.finished, spareAccounts: g.probes * 4, emailsPerOrder: g.emailsPerOrder });
    await seedAccounts(empty.dir, makeAccounts(g.probes * 4, { didsPerAccount: 1 }));
    const snapshotMB = (await stat(path.join(big.dir, 'desk.json'))).size / MB;
    const archiveMB = (await sizeOf(path.join(big.dir, 'archive'))) / MB;
    const bigResult = await probe(big.dir, g.probes);
    const emptyResult = await probe(empty.dir, g.probes);
    return {
      storeKind,
      store: { accounts: g.accounts, orders: g.finished, snapshotMB, archiveMB, buildMs: built.ms },
      probes: g.probes,
      big: bigResult,
      empty: emptyResult,
      costRatio: bigResult.msPerMessage / emptyResult.msPerMessage,
    };
  } finally {
    await big.remove();
    await empty.remove();
  }
}

async function runGrowthOnPostgres(size: SizeSpec): Promise<GrowthResult> {
  const g = size.pgGrowth;
  await buildDaemonOnce();
  const data = await makeDataDir();
  const bigDb = await freshDatabase();
  const emptyDb = await freshDatabase();
  try {
    const built = await buildGrowthDatabase(bigDb.url, { accounts: g.accounts, finished: g.finished, spareAccounts: g.probes * 4, inbound: g.inbound });
    await seedAccounts({ kind: 'postgres', dataDir: data.dir, databaseUrl: emptyDb.url }, makeAccounts(g.probes * 4, { didsPerAccount: 1 }));
    const bigResult = await probe(data.dir, g.probes, bigDb.url);
    const emptyResult = await probe(data.dir, g.probes, emptyDb.url);
    return {
      storeKind: 'postgres',
      store: { accounts: g.accounts, orders: g.finished, databaseMB: built.dataMB, inbound: g.inbound, buildMs: built.ms },
      probes: g.probes,
      big: bigResult,
      empty: emptyResult,
      costRatio: bigResult.msPerMessage / emptyResult.msPerMessage,
    };
  } finally {
    await bigDb.drop();
    await emptyDb.drop();
    await data.remove();
  }
}
