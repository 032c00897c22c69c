/**
 * Which store the end-to-end tests run the daemon on (SPEC §13: the whole end-to-end suite runs
 * on both). `PORTDESK_TEST_STORE=postgres` — set by the `e2e-postgres` project in
 * vitest.config.ts — puts every daemon the harness starts on PostgreSQL (DATABASE_URL), each
 * harness on a fresh database of its own; unset (or `file`), on the file store in DATA_DIR.
 *
 * The server: this module is also the `e2e-postgres` project's globalSetup. `setup` starts one
 * private PostgreSQL (test/support/postgres.ts) for the whole project run and hands its URL to
 * the test files (provide/inject); each harness creates its own database there, so files running
 * side by side share the server and nothing else. A test file run with PORTDESK_TEST_STORE=postgres
 * outside that project starts a private server per database instead (slower, same behaviour).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import type { TestProject } from 'vitest/node';
import { Lease, createPgPool, newHolderName, openPgStore, type PgStore } from '../../src/adapters/pg-store.js';
import { migrate } from '../../src/adapters/pg-store/schema.js';
import { sendDbCommand } from '../../src/adapters/pg-store/commands.js';
import { sendControlRequest, type ControlRequest, type ControlResponse } from '../../src/adapters/control-server.js';
import { openFileStore } from '../../src/adapters/file-store.js';
import type { Changes, Store } from '../../src/ports/store.js';
import { systemClock } from '../../src/ports/clock.js';
import { startTestPostgres } from './postgres.js';

export type TestStoreKind = 'file' | 'postgres';

export const TEST_STORE_ENV = 'PORTDESK_TEST_STORE';
const URL_KEY = 'portdeskTestPostgresUrl';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The e2e-postgres project's server (its `postgres` database), from `setup` below. */
    portdeskTestPostgresUrl: string;
  }
}

/** The store this test process runs daemons on. */
export function testStoreKind(): TestStoreKind {
  const value = process.env[TEST_STORE_ENV] ?? '';
  if (value === '' || value === 'file') return 'file';
  if (value === 'postgres') return 'postgres';
  throw new Error(`${TEST_STORE_ENV} must be "file" or "postgres", got "${value}"`);
}

export const onPostgres = (): boolean => testStoreKind() === 'postgres';

// ------------------------------------------------------------------------ globalSetup (main process)

/** vitest globalSetup: one server for the project run; the returned function stops it. */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestPostgres();
  project.provide(URL_KEY, server.url);
  return () => server.stop();
}

// ------------------------------------------------------------------------ test side

export interface TestDatabase {
  url: string;
  /** Drops the database (or stops the private server it is on). */
  drop(): Promise<void>;
}

function injectedServerUrl(): string | undefined {
  try {
    return inject(URL_KEY) || undefined;
  } catch {
    return undefined;
  }
}

let databaseSeq = 0;

/** A fresh empty database: on the project's server, or on a private one when there is none. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = injectedServerUrl();
  if (!serverUrl) {
    const server = await startTestPostgres();
    return { url: await server.createDatabase(), drop: () => server.stop() };
  }
  const name = `portdesk_e2e_${process.pid}_${++databaseSeq}_${randomBytes(3).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/**
 * Writes records into the database the way a command would while no daemon runs: takes the
 * lease, commits, closes the store, gives the lease back (a daemon started next takes it at once).
 */
export async function seedDatabase(url: string, changes: Changes): Promise<void> {
  const pool = createPgPool(url);
  try {
    await migrate(pool);
    const lease = new Lease(pool, newHolderName('e2e-seed'), systemClock, 15_000);
    if (!(await lease.tryAcquire())) throw new Error(`the lease on ${url} is held: cannot seed it`);
    try {
      const store = await openPgStore(pool, { lease, migrate: false });
      try {
        await store.commit(changes);
      } finally {
        await store.close();
      }
    } finally {
      await lease.release();
    }
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** The database's records as a reader sees them (no lease: it writes nothing); close it after. */
export function readDatabase(url: string): Promise<PgStore> {
  return openPgStore(url);
}

/** A command to the running daemon: its control socket in DATA_DIR, or the database's commands table. */
export async function sendCommand(target: { dataDir: string; databaseUrl?: string }, req: ControlRequest): Promise<ControlResponse | undefined> {
  if (!target.databaseUrl) return sendControlRequest(target.dataDir, req);
  const pool = createPgPool(target.databaseUrl);
  try {
    return await sendDbCommand(pool, req);
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** Every file under `dir`, as text (what the desk keeps on disk). */
export function directoryText(dir: string): string {
  const out: string[] = [];
  const walk = (p: string) => {
    for (const name of readdirSync(p)) {
      const f = path.join(p, name);
      const st = statSync(f);
      if (st.isDirectory()) walk(f);
      else if (st.isFile()) out.push(readFileSync(f, 'utf8'));
    }
  };
  walk(dir);
  return out.join('\n');
}

/** Every row of every table of the database as JSON text, bytea columns (parked mail) decoded as UTF-8. */
export async function databaseText(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    const binary = await client.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND data_type = 'bytea'`,
    );
    const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
    const out: string[] = [];
    for (const { table_name: table } of tables.rows) {
      const rows = await client.query<{ j: string }>(`SELECT row_to_json(t)::text AS j FROM ${ident(table)} t`);
      for (const r of rows.rows) out.push(r.j);
    }
    for (const { table_name: table, column_name: column } of binary.rows) {
      const rows = await client.query<{ b: Buffer | null }>(`SELECT ${ident(column)} AS b FROM ${ident(table)}`);
      for (const r of rows.rows) if (r.b) out.push(r.b.toString('utf8'));
    }
    return out.join('\n');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The store for a test that runs `portdesk start` as a child process (not through the harness):
 * the environment that puts the child on it, and how the test seeds and reads it while no daemon
 * runs. On the file store that is DATA_DIR alone; on PostgreSQL a fresh database besides
 * (DATABASE_URL, and `failoverAfter` as FAILOVER_AFTER: how long a daemon started after a SIGKILL
 * stands by before it takes the dead one's lease).
 */
export interface ChildStore {
  kind: TestStoreKind;
  env: Record<string, string>;
  seed(changes: Changes): Promise<void>;
  /** The records as they are now, read-only; close it after. */
  read(): Promise<Store & { close(): Promise<void> }>;
  /** Drops the database (nothing on the file store: the caller removes DATA_DIR). */
  close(): Promise<void>;
}

export async function prepareChildStore(dataDir: string, { failoverAfter }: { failoverAfter?: string } = {}): Promise<ChildStore> {
  const kind = testStoreKind();
  if (kind === 'file') {
    return {
      kind,
      env: { DATA_DIR: dataDir },
      seed: async (changes) => {
        const store = await openFileStore(dataDir);
        try {
          await store.commit(changes);
        } finally {
          await store.close();
        }
      },
      read: () => openFileStore(dataDir, { readOnly: true }),
      close: async () => undefined,
    };
  }
  const database = await createTestDatabase();
  return {
    kind,
    env: { DATA_DIR: dataDir, DATABASE_URL: database.url, ...(failoverAfter ? { FAILOVER_AFTER: failoverAfter } : {}) },
    seed: (changes) => seedDatabase(database.url, changes),
    read: () => readDatabase(database.url),
    close: () => database.drop(),
  };
}
