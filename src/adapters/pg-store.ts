/**
 * The desk's records in PostgreSQL (SPEC §13), behind the same Store port as the file store and
 * with the same behaviour: reads are synchronous, from memory (the live set in a DeskState, the
 * older finished records as JSON text in ColdRows); `commit` validates, seals PINs, applies the
 * change to memory at once and resolves when its transaction has committed.
 *
 * - Writer: the daemon holding the lease (pg-store/lease.ts), or a command that took it while no
 *   daemon was active. Commits are written in order, grouped into one transaction when several
 *   wait, each transaction checking first that the lease is still this process's (fencing). A
 *   connection lost mid-transaction is retried while the lease lasts; past it, or once another
 *   process holds the lease, the store fails: memory is then ahead of the database, every further
 *   commit is refused, and the owner stops (it reloads at its next start).
 * - Reader: a standby, or a command reading. `follow()` reads the rows written since (by
 *   `version`, the number of the commit that wrote them).
 */
import pg from 'pg';
import type { Logger } from '../logger.js';
import { FINAL_STATES, type MailboxCursor } from '../domain/records.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { Pins } from '../ports/pins.js';
import type { Changes, Store } from '../ports/store.js';
import { ARCHIVE_AFTER, isSpentEvent } from './file-store/compaction.js';
import { DeskState } from './file-store/desk-state.js';
import { sealChanges } from './file-store/pin-seal.js';
import { ChangesSchema, describeIssues, type ParsedChanges } from './file-store/schemas.js';
import { StoreError } from './file-store/store-error.js';
import { StoreReads } from './file-store/store-reads.js';
import { ColdRows } from './pg-store/cold-rows.js';
import { assertHolding, type Lease } from './pg-store/lease.js';
import { migrate } from './pg-store/schema.js';
import { CURSOR_SCHEMA, RECORD_KINDS, TABLES, recordsOf, upsertStatement, type RecordKind } from './pg-store/tables.js';
import { createScryptPins } from './scrypt-pins.js';

/** An event spent (no delivery pending: the `status` column, tables.ts) as of $1: not read back at load, deleted by pruneSpentEvents. */
const SPENT_EVENT_SQL = `status = 'delivered' AND at < $1`;

export { Lease, newHolderName } from './pg-store/lease.js';

export interface PgStoreOptions {
  clock?: Clock;
  log?: Pick<Logger, 'warn' | 'error' | 'info'>;
  pins?: Pins;
  /** With a lease this process holds: a writer. Without: a reader (commit refused). */
  lease?: Lease;
  /** Called once when a write failed for good (fenced, or the database gone past the lease). */
  onFailure?: (err: StoreError) => void;
}

export interface PgStore extends Store {
  readonly pool: pg.Pool;
  readonly readOnly: boolean;
  /** Reads what other processes wrote since the last read (readers). */
  follow(): Promise<number>;
  /** Locks the outbox row and checks the lease before an e-mail is sent (SPEC §13). */
  claimOutbox(id: string): Promise<boolean>;
  mayAct(): boolean;
  /** Moves records that aged out of the live set to the cold rows; how many moved. */
  coolDown(): number;
  /** Deletes the rows of events spent more than 7 days ago (as the file store's compaction drops them); how many. */
  pruneSpentEvents(): Promise<number>;
  getSetting(key: string): Promise<string | undefined>;
  /** Sets it unless it is set; returns the value that holds (the first writer's). */
  putSettingOnce(key: string, value: string): Promise<string>;
  stats(): { version: number; live: { orders: number; inbound: number; outbox: number }; cold: { orders: number; inbound: number; outbox: number } };
}

/** A pool for the desk: small, with timeouts so a dead server or a paused peer never hangs it. */
export function createPgPool(url: string, { idleInTransactionMs = 5_000 }: { idleInTransactionMs?: number } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: 6,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 10_000,
    keepAlive: true,
    // A session left in a transaction (its process paused) is ended by the server, so it cannot
    // hold the lease row or an outbox row for longer than this.
    options: `-c idle_in_transaction_session_timeout=${idleInTransactionMs}`,
  });
  // A connection dropping (a server restart, a terminated backend) is reported to whoever was
  // using it through its query's rejection; an idle one's is not this process's failure. Without
  // these listeners node-postgres would throw it as an uncaught error.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Errors worth trying the same transaction again for: the connection, not the statement. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (/^08/.test(code) || ['57P01', '57P02', '57P03', '53300', '25P03', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN'].includes(code))) return true;
  const message = String((err as Error)?.message ?? '');
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection/i.test(message);
}

interface Pending {
  changes: ParsedChanges;
  resolve: () => void;
  reject: (err: Error) => void;
}

class PgStoreImpl extends StoreReads<ColdRows> implements PgStore {
  readonly readOnly: boolean;
  private readonly clock: Clock;
  private readonly pins: Pins;
  private version = 0;
  private pending: Pending[] = [];
  private writing: Promise<void> | undefined;
  private failure: StoreError | undefined;
  private closed = false;

  constructor(
    readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
    private readonly opts: PgStoreOptions,
  ) {
    super(new ColdRows());
    this.readOnly = !opts.lease;
    this.clock = opts.clock ?? systemClock;
    this.pins = opts.pins ?? createScryptPins();
  }

  // ---------------------------------------------------------------- loading

  async load(): Promise<void> {
    const state = new DeskState();
    const cold = new ColdRows();
    const now = this.clock.now().getTime();
    const problems: string[] = [];
    let version = 0;
    const check = <T>(kind: string, key: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } }, json: string): T | undefined => {
      const r = schema.safeParse(JSON.parse(json));
      if (r.success) return r.data;
      if (problems.length < 5) problems.push(`${kind} ${key}: ${describeIssues(r.error, 2)}`);
      return undefined;
    };
    const live: ParsedChanges = {};
    // Which rows are cold is decided by the server (the same thresholds as the file store's
    // compaction), and rows come a batch at a time through a cursor: a database of 100,000
    // finished orders is never one array in memory.
    const finished = FINAL_STATES.map((st) => `'${st}'`).join(', ');
    const coldWhen: Partial<Record<RecordKind, { sql: string; cutoffMs: number }>> = {
      orders: { sql: `state IN (${finished}) AND updated_at < $1`, cutoffMs: ARCHIVE_AFTER.finishedOrderMs },
      outbox: { sql: `status = 'sent' AND coalesce(sent_at, created_at) < $1`, cutoffMs: ARCHIVE_AFTER.sentOutboxMs },
      inbound: { sql: `at < $1`, cutoffMs: ARCHIVE_AFTER.inboundMs },
      // Events spent a week ago are not read back (pruneSpentEvents deletes their rows within the hour).
      events: { sql: SPENT_EVENT_SQL, cutoffMs: ARCHIVE_AFTER.deliveredEventMs },
    };
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      for (const kind of RECORD_KINDS) {
        const spec = TABLES[kind];
        const c = coldWhen[kind];
        const extra = kind === 'orders' ? ', token, verification_message_id' : kind === 'outbox' ? ', message_id, order_id' : '';
        // Orders in creation order: the live set keeps it, so listing them needs no sort.
        await client.query(
          `DECLARE rows NO SCROLL CURSOR FOR SELECT ${spec.key} AS k, data::text AS data, version${extra}, ${c ? c.sql : 'false'} AS cold FROM ${spec.table}${kind === 'orders' ? ' ORDER BY created_at, id' : ''}`,
          c ? [new Date(now - c.cutoffMs)] : [],
        );
        const list: unknown[] = [];
        for (;;) {
          const batch = await client.query<Record<string, unknown> & { k: string; data: string; version: string; cold: boolean }>('FETCH 1000 FROM rows');
          for (const row of batch.rows) {
            version = Math.max(version, Number(row.version));
            if (row.cold && kind === 'orders') cold.addOrder(row.k, row.token as string, (row.verification_message_id as string | null) ?? null, row.data);
            else if (row.cold && kind === 'outbox') cold.addOutbox(row.k, row.message_id as string, (row.order_id as string | null) ?? null, row.data);
            else if (row.cold && kind === 'inbound') cold.addInbound(row.k, row.data);
            else if (row.cold) continue;
            else {
              const record = check(kind, row.k, spec.schema as never, row.data);
              if (record !== undefined) list.push(record);
            }
          }
          if (batch.rows.length < 1000) break;
        }
        await client.query('CLOSE rows');
        (live as Record<string, unknown[]>)[kind] = list;
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      cold.close();
      throw err;
    } finally {
      client.release();
    }
    const cursors = await this.pool.query<{ mailbox: string; data: string; version: string }>('SELECT mailbox, data::text AS data, version FROM cursors');
    live.cursors = {};
    for (const row of cursors.rows) {
      version = Math.max(version, Number(row.version));
      const c = check('cursor', row.mailbox, CURSOR_SCHEMA as never, row.data) as MailboxCursor | undefined;
      if (c) live.cursors[row.mailbox] = c;
    }
    if (problems.length) throw new StoreError('STORE_CORRUPT', `records in the database do not match their schemas: ${problems.join('; ')}`);
    state.apply(live);
    this.state = state;
    this.archives.close();
    this.archives = cold;
    this.version = version;
  }

  async follow(): Promise<number> {
    this.assertOpen();
    const since = this.version;
    const changes: ParsedChanges = {};
    let seen = 0;
    for (const kind of RECORD_KINDS) {
      const spec = TABLES[kind];
      const rows = await this.pool.query<{ k: string; data: string; version: string }>(`SELECT ${spec.key} AS k, data::text AS data, version FROM ${spec.table} WHERE version > $1`, [since]);
      const list: unknown[] = [];
      for (const row of rows.rows) {
        this.version = Math.max(this.version, Number(row.version));
        const r = spec.schema.safeParse(JSON.parse(row.data));
        if (!r.success) continue;
        if (kind === 'orders' || kind === 'inbound' || kind === 'outbox') this.archives.forget(kind, row.k);
        list.push(r.data);
        seen++;
      }
      if (list.length) (changes as Record<string, unknown[]>)[kind] = list;
    }
    const cursors = await this.pool.query<{ mailbox: string; data: string; version: string }>('SELECT mailbox, data::text AS data, version FROM cursors WHERE version > $1', [since]);
    for (const row of cursors.rows) {
      this.version = Math.max(this.version, Number(row.version));
      const r = CURSOR_SCHEMA.safeParse(JSON.parse(row.data));
      if (r.success) (changes.cursors ??= {})[row.mailbox] = r.data;
      seen++;
    }
    if (seen) this.state.apply(changes);
    return seen;
  }

  /**
   * Moves what has aged out of the live set (finished orders after 30 days, sent e-mails and
   * inbound entries after 7) to the cold rows, as the file store's compaction archives them:
   * a daemon running for months keeps a bounded live set. Returns how many moved.
   */
  coolDown(): number {
    const now = this.clock.now().getTime();
    const s = this.state;
    let moved = 0;
    for (const o of [...s.orders.values()]) {
      if (FINAL_STATES.includes(o.state) && Date.parse(o.updatedAt) < now - ARCHIVE_AFTER.finishedOrderMs) {
        s.removeOrder(o.id);
        this.archives.addOrder(o.id, o.token, o.verification?.messageId ?? null, JSON.stringify(o));
        moved++;
      }
    }
    for (const e of [...s.outbox.values()]) {
      if (e.status === 'sent' && Date.parse(e.sentAt ?? e.createdAt) < now - ARCHIVE_AFTER.sentOutboxMs) {
        s.removeOutbox(e.id);
        this.archives.addOutbox(e.id, e.messageId, e.orderId ?? null, JSON.stringify(e));
        moved++;
      }
    }
    for (const i of [...s.inbound.values()]) {
      if (Date.parse(i.at) < now - ARCHIVE_AFTER.inboundMs) {
        s.inbound.delete(i.key);
        this.archives.addInbound(i.key, JSON.stringify(i));
        moved++;
      }
    }
    for (const e of [...s.events.values()]) {
      if (isSpentEvent(e, now)) {
        s.removeEvent(e.id);
        moved++;
      }
    }
    return moved;
  }

  async pruneSpentEvents(): Promise<number> {
    // Only the active daemon; a spent row changes no more, so a lease lost meanwhile harms nothing.
    if (this.readOnly || !this.mayAct()) return 0;
    const cutoff = new Date(this.clock.now().getTime() - ARCHIVE_AFTER.deliveredEventMs);
    const r = await this.pool.query(`DELETE FROM events WHERE ${SPENT_EVENT_SQL}`, [cutoff]);
    return r.rowCount ?? 0;
  }

  stats() {
    const s = this.state;
    return { version: this.version, live: { orders: s.orders.size, inbound: s.inbound.size, outbox: s.outbox.size }, cold: this.archives.counts() };
  }

  // ---------------------------------------------------------------- writes

  commit(changes: Changes): Promise<void> {
    try {
      this.assertOpen();
      if (this.readOnly) throw new StoreError('STORE_READ_ONLY', 'this process does not hold the lease: its store reads only');
      if (this.failure) throw this.failure;
    } catch (err) {
      return Promise.reject(err);
    }
    const parsed = ChangesSchema.safeParse(changes);
    if (!parsed.success) return Promise.reject(new StoreError('STORE_INVALID', `refused to commit invalid records: ${describeIssues(parsed.error)}`));
    sealChanges(parsed.data, (id) => this.state.accounts.get(id), this.pins);
    for (const o of parsed.data.orders ?? []) this.archives.forget('orders', o.id);
    for (const e of parsed.data.outbox ?? []) this.archives.forget('outbox', e.id);
    for (const i of parsed.data.inbound ?? []) this.archives.forget('inbound', i.key);
    this.state.apply(parsed.data);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ changes: parsed.data, resolve, reject });
      this.writing ??= this.drain();
    });
  }

  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return this.writing ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length) {
        const group = this.pending;
        this.pending = [];
        try {
          await this.writeGroup(group.map((p) => p.changes));
          for (const p of group) p.resolve();
        } catch (err) {
          const failure = err instanceof StoreError ? err : new StoreError('STORE_DB', `the database refused a write: ${(err as Error).message}`, { cause: err });
          this.fail(failure);
          for (const p of [...group, ...this.pending]) p.reject(failure);
          this.pending = [];
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  private fail(err: StoreError): void {
    if (this.failure) return;
    this.failure = err;
    this.opts.log?.error({ err: { code: err.code, message: err.message } }, 'the store can record nothing more');
    this.opts.onFailure?.(err);
  }

  /** One transaction for the group, tried again on a lost connection while the lease lasts. */
  private async writeGroup(group: ParsedChanges[]): Promise<void> {
    const lease = this.opts.lease!;
    for (let attempt = 0; ; attempt++) {
      const held = lease.holding;
      if (!held) throw new StoreError('STORE_FENCED', 'the lease is no longer this process’s: another daemon is active');
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        await client.query('BEGIN');
        if (!(await assertHolding(client, held))) {
          await client.query('ROLLBACK');
          throw new StoreError('STORE_FENCED', `the lease moved on from ${held.holder} (generation ${held.generation}): another daemon is active; nothing more is written`);
        }
        const v = Number((await client.query<{ v: string }>("SELECT nextval('portdesk_commit_seq') AS v")).rows[0]!.v);
        for (const kind of RECORD_KINDS) {
          const records = group.flatMap((c) => recordsOf(c, kind));
          const statement = upsertStatement(TABLES[kind] as never, records as never[], v);
          if (statement) await client.query(statement.text, statement.values);
        }
        const cursors = new Map<string, MailboxCursor>();
        for (const c of group) for (const [mailbox, cursor] of Object.entries(c.cursors ?? {})) cursors.set(mailbox, cursor);
        if (cursors.size) {
          await client.query(
            `INSERT INTO cursors (mailbox, data, version) SELECT * FROM unnest($1::text[], $2::jsonb[], $3::bigint[])
             ON CONFLICT (mailbox) DO UPDATE SET data = EXCLUDED.data, version = EXCLUDED.version`,
            [[...cursors.keys()], [...cursors.values()].map((c) => JSON.stringify(c)), [...cursors.keys()].map(() => v)],
          );
        }
        await client.query('COMMIT');
        client.release();
        this.version = Math.max(this.version, v);
        return;
      } catch (err) {
        if (client) {
          await client.query('ROLLBACK').catch(() => undefined);
          client.release(isConnectionError(err) ? (err as Error) : undefined);
        }
        if (err instanceof StoreError) throw err;
        const now = this.clock.now().getTime();
        if (!isConnectionError(err) || now >= lease.validUntil) {
          throw new StoreError('STORE_DB', `the database ${isConnectionError(err) ? 'stayed unreachable past the lease' : 'refused the write'}: ${(err as Error).message}`, { cause: err });
        }
        this.opts.log?.warn({ attempt, err: { message: (err as Error).message } }, 'database write failed; trying again');
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
      }
    }
  }

  mayAct(): boolean {
    const lease = this.opts.lease;
    return !!lease?.holding && !this.failure && this.clock.now().getTime() < lease.validUntil;
  }

  async claimOutbox(id: string): Promise<boolean> {
    const held = this.opts.lease?.holding;
    if (!held || !this.mayAct()) return false;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      if (!(await assertHolding(client, held))) {
        await client.query('ROLLBACK');
        return false;
      }
      // Locked while marked: a second process asking at the same moment skips it.
      const r = await client.query(
        `UPDATE outbox SET claimed_generation = $2 WHERE id = (SELECT id FROM outbox WHERE id = $1 AND status = 'queued' FOR UPDATE SKIP LOCKED) RETURNING id`,
        [id, held.generation],
      );
      await client.query('COMMIT');
      // An entry not yet in the database (its commit still in flight) is not claimable yet:
      // delivery flushes before it sends, so this is only a row another process settled.
      return r.rowCount === 1;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async getSetting(key: string): Promise<string | undefined> {
    const r = await this.pool.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
    return r.rows[0]?.value;
  }

  async putSettingOnce(key: string, value: string): Promise<string> {
    await this.pool.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
    return (await this.getSetting(key))!;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.writing?.catch(() => undefined);
    this.closed = true;
    this.archives.close();
    if (this.ownsPool) await this.pool.end().catch(() => undefined);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'the store is closed');
  }
}

/**
 * Opens the store on `url` (or a pool the caller owns): runs the migrations, then reads every
 * record. With `lease`, a writer.
 */
export async function openPgStore(target: string | pg.Pool, opts: PgStoreOptions & { migrate?: boolean } = {}): Promise<PgStore> {
  const ownsPool = typeof target === 'string';
  const pool = typeof target === 'string' ? createPgPool(target) : target;
  const store = new PgStoreImpl(pool, ownsPool, opts);
  try {
    if (opts.migrate !== false) await migrate(pool);
    await store.load();
    return store;
  } catch (err) {
    if (ownsPool) await pool.end().catch(() => undefined);
    if (err instanceof StoreError) throw err;
    throw new StoreError(isConnectionError(err) ? 'STORE_DB' : 'STORE_CORRUPT', `cannot open the database: ${(err as Error).message}`, { cause: err });
  }
}

export type { RecordKind };
