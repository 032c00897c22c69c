/**
 * The PostgreSQL store's tables (SPEC §13), created and upgraded by numbered migrations that run
 * at start and by `portdesk migrate`, one process at a time (an advisory lock). Each record is a
 * JSON document (`data`, the same shape as the file store's) beside the columns a query or
 * another system needs; `version` is the number of the commit that last wrote the row, so a
 * process following the database reads only what changed.
 */
import type pg from 'pg';
import { StoreError } from '../file-store/store-error.js';

export const MIGRATIONS: readonly string[] = [
  // 1: the records, the lease, shared settings, parked messages and the commands queue.
  `
  CREATE SEQUENCE portdesk_commit_seq;
  CREATE TABLE accounts (
    id text PRIMARY KEY,
    data jsonb NOT NULL,
    version bigint NOT NULL
  );
  CREATE TABLE orders (
    id text PRIMARY KEY,
    state text NOT NULL,
    account_id text NOT NULL,
    token text NOT NULL,
    verification_message_id text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    data jsonb NOT NULL,
    version bigint NOT NULL
  );
  CREATE INDEX orders_state ON orders (state);
  CREATE INDEX orders_account ON orders (account_id);
  CREATE TABLE csr_requests (id text PRIMARY KEY, data jsonb NOT NULL, version bigint NOT NULL);
  CREATE TABLE inbound (
    key text PRIMARY KEY,
    at timestamptz NOT NULL,
    outcome text NOT NULL,
    data jsonb NOT NULL,
    version bigint NOT NULL
  );
  CREATE TABLE outbox (
    id text PRIMARY KEY,
    status text NOT NULL,
    order_id text,
    message_id text NOT NULL,
    created_at timestamptz NOT NULL,
    sent_at timestamptz,
    claimed_generation bigint,
    data jsonb NOT NULL,
    version bigint NOT NULL
  );
  CREATE INDEX outbox_status ON outbox (status);
  CREATE TABLE cursors (mailbox text PRIMARY KEY, data jsonb NOT NULL, version bigint NOT NULL);
  CREATE TABLE users (name text PRIMARY KEY, data jsonb NOT NULL, version bigint NOT NULL);
  CREATE INDEX accounts_version ON accounts (version);
  CREATE INDEX orders_version ON orders (version);
  CREATE INDEX csr_requests_version ON csr_requests (version);
  CREATE INDEX inbound_version ON inbound (version);
  CREATE INDEX outbox_version ON outbox (version);
  CREATE INDEX cursors_version ON cursors (version);
  CREATE INDEX users_version ON users (version);
  CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);
  CREATE TABLE lease (
    name text PRIMARY KEY,
    holder text,
    generation bigint NOT NULL,
    expires_at timestamptz,
    renewed_at timestamptz
  );
  INSERT INTO lease (name, holder, generation) VALUES ('desk', NULL, 0);
  CREATE TABLE parked_mail (key text PRIMARY KEY, raw bytea NOT NULL, at timestamptz NOT NULL);
  CREATE TABLE commands (
    id bigserial PRIMARY KEY,
    request jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    taken_by text,
    answered_at timestamptz,
    response jsonb
  );
  `,
  // 2: events for the provider's other systems (SPEC §14), with their deliveries.
  `
  CREATE TABLE events (
    id text PRIMARY KEY,
    order_id text,
    status text NOT NULL,
    at timestamptz NOT NULL,
    data jsonb NOT NULL,
    version bigint NOT NULL
  );
  CREATE INDEX events_version ON events (version);
  CREATE INDEX events_order ON events (order_id);
  CREATE INDEX events_pending ON events (status) WHERE status = 'pending';
  `,
];

/** Runs the migrations not yet applied; returns the schema version now. */
export async function migrate(pool: pg.Pool): Promise<{ from: number; to: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // One migrating process at a time; the others wait here and then find nothing to do.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('portdesk schema'))`);
    await client.query('CREATE TABLE IF NOT EXISTS portdesk_schema (version integer NOT NULL)');
    const row = await client.query<{ version: number }>('SELECT version FROM portdesk_schema');
    const from = row.rows[0]?.version ?? 0;
    if (row.rowCount === 0) await client.query('INSERT INTO portdesk_schema (version) VALUES (0)');
    if (from > MIGRATIONS.length) {
      throw new StoreError('STORE_VERSION', `the database's schema is version ${from}, newer than this portdesk knows (${MIGRATIONS.length})`);
    }
    for (let v = from; v < MIGRATIONS.length; v++) await client.query(MIGRATIONS[v]!);
    await client.query('UPDATE portdesk_schema SET version = $1', [MIGRATIONS.length]);
    await client.query('COMMIT');
    return { from, to: MIGRATIONS.length };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
