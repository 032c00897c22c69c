/**
 * The key that signs one-click answer links (SPEC §12): LINK_SECRET when it is set, otherwise 32
 * random bytes made on the first start and kept in DATA_DIR/link-secret (0600), so links in
 * e-mails already sent keep working after a restart. Console sessions and forms are signed with
 * keys derived from it (never with the key itself).
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DeskError } from '../errors.js';

export const LINK_SECRET_FILE = 'link-secret';

export async function loadLinkSecret(dataDir: string, configured?: string): Promise<Buffer> {
  if (configured) return Buffer.from(configured, 'utf8');
  const file = path.join(dataDir, LINK_SECRET_FILE);
  try {
    return parseSecret(await readFile(file, 'utf8'), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const made = randomBytes(32).toString('hex');
  try {
    // `wx`: two processes starting at once keep the first one's key.
    await writeFile(file, `${made}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return parseSecret(await readFile(file, 'utf8'), file);
  }
  return Buffer.from(made, 'utf8');
}

function parseSecret(text: string, file: string): Buffer {
  const secret = text.trim();
  if (secret.length < 32) throw new DeskError('LINK_SECRET_INVALID', `${file} holds no usable key (under 32 characters); remove it and a new one is made at the next start (links already sent stop working)`);
  return Buffer.from(secret, 'utf8');
}
