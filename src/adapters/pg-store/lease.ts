/**
 * Who is active on the database (SPEC §13): one row, `lease`, naming the holder, a generation and
 * when the lease ends. The active daemon renews it every few seconds; a standby takes it once it
 * has ended, which raises the generation. Every write of the store checks, in its own
 * transaction, that the lease is still this holder's at this generation (fencing): a daemon
 * paused past its lease (SIGSTOP, a long GC, a frozen VM) writes nothing once another took over.
 * Deadlines come from the desk's clock, never the database's now().
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Clock } from '../../ports/clock.js';

export interface LeaseHolding {
  holder: string;
  generation: number;
}

export interface LeaseState {
  holder: string | null;
  generation: number;
  expiresAt: Date | null;
}

/** `host:pid:random`: unique per process, readable in the table. */
export function newHolderName(role = 'daemon'): string {
  return `${os.hostname()}:${process.pid}:${role}:${randomBytes(3).toString('hex')}`;
}

export class Lease {
  private held: LeaseHolding | undefined;
  private expiresAt = 0;

  constructor(
    private readonly pool: pg.Pool,
    readonly holder: string,
    private readonly clock: Clock,
    /** How long a lease lasts from its last renewal (FAILOVER_AFTER). */
    readonly ttlMs: number,
  ) {}

  /** The holding this process has, if any (fencing compares against it). */
  get holding(): LeaseHolding | undefined {
    return this.held;
  }

  /** Until when this process may act on its lease by its own clock; 0 without one. */
  get validUntil(): number {
    return this.held ? this.expiresAt : 0;
  }

  async read(): Promise<LeaseState> {
    const r = await this.pool.query<{ holder: string | null; generation: string; expires_at: Date | null }>("SELECT holder, generation, expires_at FROM lease WHERE name = 'desk'");
    const row = r.rows[0];
    return { holder: row?.holder ?? null, generation: Number(row?.generation ?? 0), expiresAt: row?.expires_at ?? null };
  }

  /** Takes the lease when nobody holds it or it has ended; true when this process now holds it. */
  async tryAcquire(): Promise<boolean> {
    const now = this.clock.now();
    const until = new Date(now.getTime() + this.ttlMs);
    const r = await this.pool.query<{ generation: string }>(
      `UPDATE lease SET holder = $1, generation = generation + 1, expires_at = $2, renewed_at = $3
       WHERE name = 'desk' AND (holder IS NULL OR expires_at IS NULL OR expires_at < $3)
       RETURNING generation`,
      [this.holder, until, now],
    );
    if (r.rowCount === 0) return false;
    this.held = { holder: this.holder, generation: Number(r.rows[0]!.generation) };
    this.expiresAt = until.getTime();
    return true;
  }

  /** Extends the lease; false when it is no longer this process's (another took over). Throws when the database cannot be reached. */
  async renew(): Promise<boolean> {
    const held = this.held;
    if (!held) return false;
    const now = this.clock.now();
    const until = new Date(now.getTime() + this.ttlMs);
    const r = await this.pool.query(`UPDATE lease SET expires_at = $3, renewed_at = $4 WHERE name = 'desk' AND holder = $1 AND generation = $2`, [held.holder, held.generation, until, now]);
    if (r.rowCount === 0) {
      this.held = undefined;
      return false;
    }
    this.expiresAt = until.getTime();
    return true;
  }

  /** Gives the lease up at once, so a standby need not wait for it to end. */
  async release(): Promise<void> {
    const held = this.held;
    this.held = undefined;
    if (!held) return;
    await this.pool.query(`UPDATE lease SET holder = NULL, expires_at = NULL WHERE name = 'desk' AND holder = $1 AND generation = $2`, [held.holder, held.generation]);
  }
}

/** The fencing check, inside a write's transaction: locks the lease row against a takeover until the write commits. */
export async function assertHolding(client: pg.PoolClient, held: LeaseHolding): Promise<boolean> {
  const r = await client.query(`SELECT 1 FROM lease WHERE name = 'desk' AND holder = $1 AND generation = $2 FOR SHARE`, [held.holder, held.generation]);
  return r.rowCount === 1;
}
