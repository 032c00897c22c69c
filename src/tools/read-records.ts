/**
 * Reading records for a command (`accounts list`, `orders show`…): the store opened read-only, so
 * it works beside a running daemon, and closed again once read.
 */
import { existsSync } from 'node:fs';
import type { Config } from '../config.js';
import { DeskError } from '../errors.js';
import type { Store } from '../ports/store.js';
import { openFileStore } from '../adapters/file-store.js';

export async function readRecords<T>(cfg: Config, read: (store: Store) => T): Promise<T> {
  if (!existsSync(cfg.dataDir)) throw new DeskError('NO_DATA_DIR', `no data directory at ${cfg.dataDir} (set DATA_DIR, or import accounts first)`);
  const store = await openFileStore(cfg.dataDir, { readOnly: true });
  try {
    return read(store);
  } finally {
    await store.close();
  }
}
