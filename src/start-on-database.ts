/**
 * The daemon on PostgreSQL (SPEC §13): stand by until this process holds the lease, then run the
 * desk (main.ts runDesk) over the PostgreSQL store, renewing the lease and stopping when it moves
 * on; commands come through the database, parked mail and the link key live there. Composition,
 * like main.ts, which loads this file only when DATABASE_URL is set.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Config } from './config.js';
import { durationMs } from './domain/duration.js';
import { DeskError } from './errors.js';
import type { Logger } from './logger.js';
import { createControlHandler } from './adapters/control-server.js';
import { Lease, createPgPool, newHolderName, openPgStore, type PgStore } from './adapters/pg-store.js';
import { startCommandPoller } from './adapters/pg-store/commands.js';
import { createParkedMailRows } from './adapters/pg-store/parked-mail-rows.js';
import { migrate } from './adapters/pg-store/schema.js';
import { createScryptPins } from './adapters/scrypt-pins.js';
import { systemClock, type Clock } from './ports/clock.js';
import { failureSignal, runDesk, type Daemon, type DaemonOptions } from './main.js';

/** The database and this process's lease on it, once a standby became the active daemon. */
export interface HeldLease {
  pool: pg.Pool;
  lease: Lease;
}

/**
 * With DATABASE_URL (SPEC §13): stands by until this process holds the lease — at once when no
 * daemon is active, or once the active one stopped renewing it for FAILOVER_AFTER. Resolves
 * undefined when `stopped` resolves first (SIGTERM while standing by: a clean stop).
 */
export async function waitForLease(config: Config, { log, clock = systemClock, stopped }: { log: Logger; clock?: Clock; stopped?: Promise<unknown> }): Promise<HeldLease | undefined> {
  const db = config.database!;
  const ttlMs = durationMs(db.failoverAfter);
  const pool = createPgPool(db.url, { idleInTransactionMs: Math.max(1_000, Math.min(5_000, Math.floor(ttlMs / 2))) });
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  const lease = new Lease(pool, newHolderName(), clock, ttlMs);
  const pollMs = Math.max(200, Math.min(1_000, Math.floor(ttlMs / 10)));
  let stop = false;
  void stopped?.then(() => (stop = true));
  let announced = false;
  while (!stop) {
    const held = await lease.tryAcquire().catch((err: unknown) => {
      log.warn({ err: { message: (err as Error).message } }, 'the database cannot be reached; standing by');
      return false;
    });
    if (held) return { pool, lease };
    if (!announced) {
      const state = await lease.read().catch(() => undefined);
      log.info({ active: state?.holder, until: state?.expiresAt }, 'standing by: another daemon is active on the database');
      announced = true;
    }
    await Promise.race([new Promise((resolve) => setTimeout(resolve, pollMs)), stopped]);
  }
  await pool.end().catch(() => undefined);
  return undefined;
}

export async function startOnDatabase(config: Config, opts: DaemonOptions): Promise<Daemon> {
  const { log } = opts;
  const clock = opts.clock ?? systemClock;
  const held = opts.lease ?? (await waitForLease(config, { log, clock }));
  if (!held) throw new DeskError('STORE_CLOSED', 'stopped while standing by');
  const { pool, lease } = held;
  const pins = createScryptPins();
  const { failed, fail } = failureSignal();
  let store: PgStore | undefined;
  let renewing: NodeJS.Timeout | undefined;
  let cooling: NodeJS.Timeout | undefined;
  const giveUp = async () => {
    clearInterval(renewing);
    clearInterval(cooling);
    await store?.close().catch(() => undefined);
    await lease.release().catch(() => undefined);
    await pool.end().catch(() => undefined);
  };
  try {
    store = await openPgStore(pool, {
      clock,
      pins,
      lease,
      migrate: false,
      log: log.child({ role: 'store' }),
      onFailure: (err) => {
        log.fatal({ err: { code: err.code, message: err.message } }, 'the store can write nothing more to the database');
        fail(err);
      },
    });
    log.info({ holder: lease.holder, generation: lease.holding?.generation }, 'active on the database');
    // Renewed three times a lease: a renewal lost to a blip is made up by the next. A lease that
    // moved on, or one that ended while the database could not be reached, stops the desk.
    renewing = setInterval(() => {
      lease.renew().then(
        (ok) => {
          if (!ok) fail(new DeskError('STORE_FENCED', 'the lease moved on to another daemon'));
        },
        (err: unknown) => {
          if (clock.now().getTime() >= lease.validUntil) fail(new DeskError('STORE_DB', `the lease ended while the database could not be reached: ${(err as Error).message}`));
          else log.warn({ err: { message: (err as Error).message } }, 'the lease could not be renewed; trying again');
        },
      );
    }, Math.max(250, Math.floor(lease.ttlMs / 3)));
    renewing.unref();
    const open = store;
    // What aged out of the live set leaves memory, as the file store's compaction archives it;
    // spent events leave the database too.
    cooling = setInterval(() => {
      open.coolDown();
      open.pruneSpentEvents().catch((err: unknown) => log.warn({ err: { message: (err as Error).message } }, 'could not delete spent events; trying again in an hour'));
    }, 3_600_000);
    cooling.unref();
    return await runDesk(config, opts, {
      store: open,
      pins,
      failed,
      linkKey: async () => Buffer.from(config.http?.linkSecret ?? (await open.putSettingOnce('link-secret', randomBytes(32).toString('hex'))), 'utf8'),
      parkedMail: createParkedMailRows(pool),
      startControl: (deps) => startCommandPoller(pool, createControlHandler(deps), { holder: lease.holder, log: deps.log, afterChange: deps.afterChange }),
      release: giveUp,
    });
  } catch (err) {
    await giveUp();
    throw err;
  }
}
