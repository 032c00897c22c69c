/**
 * Parked messages as files: DATA_DIR/parked/<sha256 of the inbound key>.eml, the directory 0700 and
 * the files 0600 (a parked message may hold a customer's details). Written to a temporary name,
 * synced, then renamed, so a crash leaves either the whole message or none.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ParkedMail } from '../ports/parked-mail.js';

export function createParkedMailFiles(dataDir: string): ParkedMail {
  const dir = path.join(dataDir, 'parked');
  const file = (key: string) => path.join(dir, `${createHash('sha256').update(key).digest('hex')}.eml`);
  return {
    async save(key, raw) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const target = file(key);
      const temp = `${target}.${process.pid}.tmp`;
      const handle = await open(temp, 'w', 0o600);
      try {
        await handle.writeFile(raw);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    },
    async load(key) {
      return readFile(file(key)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
    },
    async remove(key) {
      await rm(file(key), { force: true });
    },
  };
}
