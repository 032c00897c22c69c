/**
 * `portdesk inspect FILE.eml`: how the desk would read one message, with the configured mail
 * authentication and, when DATA_DIR holds records, whether the orders it names exist. Changes nothing.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { DeskError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { inspectMessage, type Inspection } from '../app/inspect-message.js';
import type { Store } from '../ports/store.js';
import { openReadStore } from './read-records.js';
import { buildAuthenticator } from '../main.js';

export async function inspectFile(cfg: Config, file: string): Promise<Inspection> {
  const raw = await readFile(file).catch((err: Error) => {
    throw new DeskError('FILE_UNREADABLE', `cannot read ${file}: ${err.message}`, { cause: err });
  });
  let store: Store | undefined;
  if (existsSync(path.join(cfg.dataDir, 'desk.json')) || existsSync(path.join(cfg.dataDir, 'journal.jsonl'))) {
    // Records that cannot be read only cost the "does this order exist" note.
    store = await openReadStore(cfg, { missingOk: true }).catch(() => undefined);
  }
  const { authenticator, resolver } = buildAuthenticator(cfg, silentLogger());
  try {
    const records = store;
    return await inspectMessage(raw, {
      deskAddresses: [cfg.mailFrom],
      ...(records ? { orderExists: (id: string) => !!records.getOrder(id) } : {}),
      ...(authenticator ? { authenticator } : {}),
    });
  } finally {
    resolver?.close();
    await store?.close();
  }
}
