/**
 * The benchmarks on PostgreSQL (`npm run bench -- --store postgres`): the run's private server,
 * a fresh database per scenario run, and the desk's records written into it as a scenario writes
 * them into a file store.
 *
 * The parent (run.ts) starts one private server for the whole run (test/support/postgres.ts) and
 * hands its administrative URL to the scenario processes in BENCH_PG_URL; each scenario makes the
 * databases it needs (`freshDatabase`) and drops them when done. The server is set up as a
 * deployment would run it — fsync, synchronous_commit and full_page_writes on (the test support
 * turns them off) — so a commit costs what it costs in production, as the file store's journal
 * fsyncs.
 */
import pg from 'pg';
import { Lease, createPgPool, newHolderName, openPgStore, type PgStore } from '../src/adapters/pg-store.js';
import { migrate } from '../src/adapters/pg-store/schema.js';
import { systemClock } from '../src/ports/clock.js';
import type { Store } from '../src/ports/store.js';
import { startTestPostgres, type TestPostgres } from '../test/support/postgres.js';

export type StoreKind = 'file' | 'postgres';
export const STORE_KINDS: readonly StoreKind[] = ['file', 'postgres'];

/** Where a scenario keeps its records: a file store in `dataDir`, or the database at `databaseUrl` (the daemon still gets `dataDir`). */
export interface StoreTarget {
  kind: StoreKind;
  dataDir: string;
  databaseUrl?: string;
}

/** What the daemon's environment gains for the target: DATABASE_URL on PostgreSQL. */
export function targetEnv(target: StoreTarget): Record<string, string> {
  return target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {};
}

/**
 * The run's server, set up like a production one (durable commits). `max_connections` leaves room
 * for a daemon, its seeding writer and a probe's reader at once.
 */
export async function startBenchPostgres(): Promise<TestPostgres> {
  const server = await startTestPostgres();
  try {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      for (const setting of ['fsync = on', 'synchronous_commit = on', 'full_page_writes = on']) await admin.query(`ALTER SYSTEM SET ${setting}`);
      await admin.query('SELECT pg_reload_conf()');
      // The reload is asynchronous: wait until this session sees it.
      for (let i = 0; i < 100; i++) {
        const r = await admin.query<{ fsync: string; sc: string }>("SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sc");
        if (r.rows[0]?.fsync === 'on' && r.rows[0]?.sc === 'on') break;
        await new Promise((res) => setTimeout(res, 20));
      }
    } finally {
      await admin.end();
    }
    return server;
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** The server's settings that matter to a reader of the figures. */
export async function serverSettings(adminUrl: string): Promise<Record<string, string>> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const r = await c.query<{ name: string; setting: string; unit: string | null }>(
      "SELECT name, setting, unit FROM pg_settings WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'wal_level')",
    );
    return Object.fromEntries(r.rows.map((x) => [x.name, x.unit ? `${x.setting} × ${x.unit}` : x.setting]));
  } finally {
    await c.end();
  }
}

let databases = 0;

/** A new empty database on the run's server (BENCH_PG_URL); `drop()` removes it. */
export async function freshDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const admin = process.env.BENCH_PG_URL;
  if (!admin) throw new Error('BENCH_PG_URL is not set: the PostgreSQL benchmarks run under bench/run.ts --store postgres');
  const name = `bench_${process.pid}_${++databases}`;
  const withAdmin = async (sql: string) => {
    const c = new pg.Client({ connectionString: admin });
    c.on('error', () => undefined);
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  await withAdmin(`CREATE DATABASE "${name}"`);
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return { url: u.toString(), name, drop: () => withAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** A file store's target, or a fresh database's (dropped by `remove`). */
export async function makeTarget(kind: StoreKind, dataDir: string): Promise<{ target: StoreTarget; remove(): Promise<void> }> {
  if (kind === 'file') return { target: { kind, dataDir }, remove: async () => undefined };
  const db = await freshDatabase();
  return { target: { kind, dataDir, databaseUrl: db.url }, remove: db.drop };
}

/**
 * The PostgreSQL store as a writer, as `portdesk migrate` or a command with no daemon active
 * takes it: the schema, the lease, the store; `close` gives all of it back (so the daemon started
 * next takes the lease at once).
 */
export async function openPgWriter(url: string): Promise<{ store: PgStore; close(): Promise<void> }> {
  const pool = createPgPool(url);
  try {
    await migrate(pool);
    const lease = new Lease(pool, newHolderName('bench'), systemClock, 60_000);
    if (!(await lease.tryAcquire())) throw new Error('the bench could not take the lease: something is active on the database');
    const store = await openPgStore(pool, { lease, migrate: false });
    return {
      store,
      async close() {
        await store.flush();
        await store.close();
        await lease.release();
        await pool.end();
      },
    };
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}

/** Counts the scenarios read to tell when the desk is done, from either store. */
export function liveCounts(store: Store): { inbound: number; outbox: number; queuedOutbox: number } {
  const s = (store as unknown as { stats(): { live: { inbound: number; outbox: number; queuedOutbox?: number } } }).stats();
  return { inbound: s.live.inbound, outbox: s.live.outbox, queuedOutbox: s.live.queuedOutbox ?? store.listQueuedOutbox().length };
}

/** The file store's write counters, where there are any. */
export function writeCounters(store: Store): { commits: number; journalSyncs: number; compactions: number } | undefined {
  const s = (store as unknown as { stats(): { commits?: number; journalSyncs?: number; compactions?: number } }).stats();
  return s.commits === undefined ? undefined : { commits: s.commits, journalSyncs: s.journalSyncs ?? 0, compactions: s.compactions ?? 0 };
}
