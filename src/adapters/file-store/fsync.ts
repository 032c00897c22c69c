/** fsync of a file or a directory by path: a rename is durable only once its directory is synced. */
import { open } from 'node:fs/promises';

export async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
