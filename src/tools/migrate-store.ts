/**
 * `portdesk migrate` (SPEC §13): brings the database's schema up to date; with `--from-dir DIR`,
 * copies a file store into it — accounts, orders (archived ones too), CSR requests, the inbound
 * log, the outbox, console users and mailbox cursors — and checks the counts. It needs the
 * database empty of records, no daemon active on it (it takes the lease for the copy) and none on
 * DIR (it takes DIR's lock), so nothing changes under it.
 */
import path from 'node:path';
import type { Config } from '../config.js';
import { DeskError } from '../errors.js';
import type { Logger } from '../logger.js';
import { acquireDataDirLock } from '../adapters/data-dir-lock.js';
import { openFileStore } from '../adapters/file-store.js';
import { Lease, createPgPool, newHolderName, openPgStore } from '../adapters/pg-store.js';
import { migrate } from '../adapters/pg-store/schema.js';
import { TABLES, RECORD_KINDS } from '../adapters/pg-store/tables.js';
import { durationMs } from '../domain/duration.js';
import { systemClock } from '../ports/clock.js';
import type { Changes } from '../ports/store.js';

export interface MigrationReport {
  schema: { from: number; to: number };
  /** Per kind of record: how many the directory held and how many the database holds now. */
  copied?: Record<string, { source: number; database: number }>;
}

/** Records per transaction: large enough to be quick, small enough to keep each one short. */
const CHUNK = 2_000;

export async function migrateStore(cfg: Config, log: Logger, fromDir?: string): Promise<MigrationReport> {
  if (!cfg.database) throw new DeskError('CONFIG_INVALID', 'DATABASE_URL is not set: there is no database to migrate');
  const pool = createPgPool(cfg.database.url);
  try {
    const schema = await migrate(pool);
    if (!fromDir) return { schema };
    return { schema, copied: await copyDirectory(cfg, log, pool, path.resolve(fromDir)) };
  } finally {
    await pool.end().catch(() => undefined);
  }
}

async function copyDirectory(cfg: Config, log: Logger, pool: ReturnType<typeof createPgPool>, dir: string): Promise<MigrationReport['copied']> {
  for (const kind of RECORD_KINDS) {
    const r = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${TABLES[kind].table}`);
    if (r.rows[0]!.n > 0) throw new DeskError('IMPORT_INVALID', `the database already holds ${kind}; --from-dir copies into an empty database only`);
  }
  const lease = new Lease(pool, newHolderName('migrate'), systemClock, durationMs(cfg.database!.failoverAfter));
  if (!(await lease.tryAcquire())) throw new DeskError('STORE_LOCKED', 'a daemon is active on the database: stop every daemon on it before copying a directory in');
  const lock = await acquireDataDirLock(dir).catch((err: unknown) => {
    throw new DeskError('STORE_LOCKED', `cannot use ${dir}: ${(err as Error).message} (stop the daemon on it first)`, { cause: err });
  });
  try {
    const source = await openFileStore(dir, { readOnly: true });
    const all = source.exportAll();
    await source.close();
    const failures: Error[] = [];
    const target = await openPgStore(pool, { lease, migrate: false, onFailure: (e) => failures.push(e) });
    try {
      const kinds = ['accounts', 'users', 'orders', 'csrRequests', 'inbound', 'outbox', 'events'] as const;
      for (const kind of kinds) {
        const list = all[kind] as unknown[];
        for (let i = 0; i < list.length; i += CHUNK) await target.commit({ [kind]: list.slice(i, i + CHUNK) } as Changes);
      }
      if (Object.keys(all.cursors).length) await target.commit({ cursors: all.cursors });
      await target.flush();
    } finally {
      await target.close();
    }
    if (failures.length) throw failures[0];
    const copied: NonNullable<MigrationReport['copied']> = {};
    for (const kind of RECORD_KINDS) {
      const r = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${TABLES[kind].table}`);
      copied[kind] = { source: (all[kind] as unknown[]).length, database: r.rows[0]!.n };
    }
    const mismatched = Object.entries(copied).filter(([, c]) => c.source !== c.database);
    if (mismatched.length) {
      throw new DeskError('IMPORT_INVALID', `the counts differ after the copy: ${mismatched.map(([k, c]) => `${k} ${c.source} in the directory, ${c.database} in the database`).join('; ')}`);
    }
    log.info({ dir, copied }, 'file store copied into the database');
    return copied;
  } finally {
    await lock.release();
    await lease.release().catch(() => undefined);
  }
}
