/**
 * How a command changes records: through the running daemon when there is one (it holds the data
 * directory; a second writer would overwrite its changes), otherwise itself, on a desk of its own
 * without sources or schedules, under the data-directory lock. Composition, like main.ts.
 */
import type { Config } from '../config.js';
import { DeskError, isDeskError, isErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Desk } from '../app/desk.js';
import type { OutboxDelivery } from '../app/deliver-outbox.js';
import { sendControlRequest, type ControlRequest } from '../adapters/control-server.js';
import { acquireDataDirLock } from '../adapters/data-dir-lock.js';
import { openFileStore, type FileStore } from '../adapters/file-store.js';
import { createScryptPins } from '../adapters/scrypt-pins.js';
import { buildDesk, loadAnswerLinks, prepareDataDir } from '../main.js';
import { systemClock } from '../ports/clock.js';
import type { Pins } from '../ports/pins.js';

/** The desk a command runs itself while no daemon runs. */
export interface OfflineDesk {
  desk: Desk;
  store: FileStore;
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
  const answer = await sendControlRequest(cfg.dataDir, request);
  if (answer) {
    if (answer.ok) return { ranBy: 'daemon', result: answer.result };
    const { code, message } = answer.error;
    // A code from another vocabulary (node's ENOENT…) keeps its name in the message.
    throw isErrorCode(code) ? new DeskError(code, message) : new Error(`${code}: ${message}`);
  }
  const offline = await openOfflineDesk(cfg, log);
  try {
    return { ranBy: 'command', result: await direct(offline) };
  } finally {
    await offline.close();
  }
}

async function openOfflineDesk(cfg: Config, log: Logger): Promise<OfflineDesk & { close(): Promise<void> }> {
  await prepareDataDir(cfg.dataDir, log);
  const lock = await acquireDataDirLock(cfg.dataDir).catch((err: unknown) => {
    throw isDeskError(err) ? new DeskError(err.code, `cannot use ${cfg.dataDir}: ${err.message}`, { cause: err }) : err;
  });
  const pins = createScryptPins();
  let store: FileStore;
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
  const { desk, delivery, mailer, resolver } = buildDesk(cfg, { store, clock: systemClock, log, deliverOnQueue: false, pins, ...(links ? { links } : {}) });
  return {
    desk,
    store,
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
