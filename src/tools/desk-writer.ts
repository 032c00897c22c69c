/**
 * How a command changes records: through the running daemon when there is one (it holds the data
 * directory; a second writer would overwrite its changes), otherwise itself, on a desk of its own
 * without sources or schedules, under the data-directory lock. Composition, like main.ts.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { DeskError, isDeskError, isErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Desk } from '../app/desk.js';
import type { OutboxDelivery } from '../app/deliver-outbox.js';
import { sendControlRequest, type ControlRequest } from '../adapters/control-server.js';
import { acquireDataDirLock } from '../adapters/data-dir-lock.js';
import { openFileStore } from '../adapters/file-store.js';
import { Lease, createPgPool, newHolderName, openPgStore } from '../adapters/pg-store.js';
import { sendDbCommand } from '../adapters/pg-store/commands.js';
import { createParkedMailRows } from '../adapters/pg-store/parked-mail-rows.js';
import { migrate } from '../adapters/pg-store/schema.js';
import { createAnswerLinks } from '../app/answer-links.js';
import { durationMs } from '../domain/duration.js';
import type { Store } from '../ports/store.js';
import type { ControlResponse } from '../adapters/control-server.js';
import { createScryptPins } from '../adapters/scrypt-pins.js';
import { buildDesk, loadAnswerLinks, prepareDataDir } from '../main.js';
import { systemClock } from '../ports/clock.js';
import type { Pins } from '../ports/pins.js';

/** The desk a command runs itself while no daemon runs. */
export interface OfflineDesk {
  desk: Desk;
  store: Store;
  delivery: OutboxDelivery;
  pins: Pins;
}

export type WriterAnswer<T> = { ranBy: 'daemon'; result: unknown } | { ranBy: 'command'; result: T };

/**
 * Sends `request` to the daemon on `cfg.dataDir`; with none running, runs `direct` on an offline
 * desk and then delivers what it queued. A refusal of the daemon is thrown as the error it names.
 */
export async function runAsWriter<T>(
  cfg: Config,
  log: Logger,
  request: ControlRequest,
  direct: (offline: OfflineDesk) => Promise<T>,
): Promise<WriterAnswer<T>> {
  if (cfg.database) return runOnDatabase(cfg, log, request, direct);
  const answer = await sendControlRequest(cfg.dataDir, request);
  if (answer) return fromDaemon(answer);
  const offline = await openOfflineDesk(cfg, log);
  try {
    return { ranBy: 'command', result: await direct(offline) };
  } finally {
    await offline.close();
  }
}

function fromDaemon<T>(answer: ControlResponse): WriterAnswer<T> {
  if (answer.ok) return { ranBy: 'daemon', result: answer.result };
  const { code, message } = answer.error;
  // A code from another vocabulary (node's ENOENT…) keeps its name in the message.
  throw isErrorCode(code) ? new DeskError(code, message) : new Error(`${code}: ${message}`);
}

/**
 * With DATABASE_URL: through the active daemon (the commands table) when one holds the lease;
 * otherwise the command takes the lease itself for as long as it runs — the database's
 * equivalent of the data-directory lock — and gives it back at once.
 */
async function runOnDatabase<T>(cfg: Config, log: Logger, request: ControlRequest, direct: (offline: OfflineDesk) => Promise<T>): Promise<WriterAnswer<T>> {
  const db = cfg.database!;
  const pool = createPgPool(db.url);
  try {
    await migrate(pool);
    const lease = new Lease(pool, newHolderName('command'), systemClock, durationMs(db.failoverAfter));
    for (let attempt = 0; attempt < 3; attempt++) {
      const state = await lease.read();
      if (state.holder && state.expiresAt && state.expiresAt.getTime() > systemClock.now().getTime()) return fromDaemon(await sendDbCommand(pool, request));
      if (!(await lease.tryAcquire())) continue;
      const failures: Error[] = [];
      const pins = createScryptPins();
      const store = await openPgStore(pool, { clock: systemClock, pins, lease, migrate: false, log, onFailure: (e) => failures.push(e) });
      const key = cfg.http?.linkSecret ?? (await store.putSettingOnce('link-secret', randomBytes(32).toString('hex')));
      const links = cfg.http ? createAnswerLinks(Buffer.from(key, 'utf8'), cfg.http.publicUrl) : undefined;
      const { desk, delivery, mailer, resolver, store: recording } = buildDesk(cfg, {
        store,
        clock: systemClock,
        log,
        deliverOnQueue: false,
        pins,
        parkedMail: createParkedMailRows(pool),
        ...(links ? { links } : {}),
      });
      try {
        const result = await direct({ desk, store: recording, delivery, pins });
        await desk.idle();
        await delivery.deliverDue();
        return { ranBy: 'command', result };
      } finally {
        await mailer.close();
        resolver?.close();
        await store.close();
        await lease.release().catch(() => undefined);
      }
    }
    throw new DeskError('STORE_LOCKED', 'the database lease changed hands three times while this command waited; try again');
  } finally {
    await pool.end().catch(() => undefined);
  }
}

async function openOfflineDesk(cfg: Config, log: Logger): Promise<OfflineDesk & { close(): Promise<void> }> {
  await prepareDataDir(cfg.dataDir, log);
  const lock = await acquireDataDirLock(cfg.dataDir).catch((err: unknown) => {
    throw isDeskError(err) ? new DeskError(err.code, `cannot use ${cfg.dataDir}: ${err.message}`, { cause: err }) : err;
  });
  const pins = createScryptPins();
  let store: Awaited<ReturnType<typeof openFileStore>>;
  try {
    store = await openFileStore(cfg.dataDir, { clock: systemClock, pins, log });
  } catch (err) {
    await lock.release();
    throw err;
  }
  // Reminders sent by `portdesk jobs run` carry the answer link as the daemon's would.
  const links = await loadAnswerLinks(cfg).catch(async (err: unknown) => {
    await store.close();
    await lock.release();
    throw err;
  });
  const { desk, delivery, mailer, resolver, store: recording } = buildDesk(cfg, { store, clock: systemClock, log, deliverOnQueue: false, pins, ...(links ? { links } : {}) });
  return {
    desk,
    store: recording,
    delivery,
    pins,
    close: async () => {
      await desk.idle();
      await delivery.deliverDue();
      await mailer.close();
      resolver?.close();
      await store.close();
      await lock.release();
    },
  };
}
