/**
 * Reading records for a command (`accounts list`, `orders show`…): the store opened read-only, so
 * it works beside a running daemon, and closed again once read — the file store in DATA_DIR, or
 * with DATABASE_URL the database (read as of now, whichever daemon is active).
 */
import { existsSync } from 'node:fs';
import type { Config } from '../config.js';
import { DeskError } from '../errors.js';
import type { Store } from '../ports/store.js';
import { openFileStore } from '../adapters/file-store.js';
import { openPgStore } from '../adapters/pg-store.js';

/** The store to read from; `missingOk`: undefined rather than NO_DATA_DIR when there is none yet. */
export async function openReadStore(cfg: Config, { missingOk = false }: { missingOk?: boolean } = {}): Promise<Store | undefined> {
  if (cfg.database) return openPgStore(cfg.database.url);
  if (!existsSync(cfg.dataDir)) {
    if (missingOk) return undefined;
    throw new DeskError('NO_DATA_DIR', `no data directory at ${cfg.dataDir} (set DATA_DIR, or import accounts first)`);
  }
  return openFileStore(cfg.dataDir, { readOnly: true });
}

export async function readRecords<T>(cfg: Config, read: (store: Store) => T): Promise<T> {
  const store = (await openReadStore(cfg))!;
  try {
    return read(store);
  } finally {
    await store.close();
  }
}
