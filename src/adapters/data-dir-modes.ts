/**
 * DATA_DIR is the desk's alone (SPEC §10): it holds every account, the CSRs sent, parked
 * messages and the outbox. New directories are made 0700 and new files 0600 (the daemon and the
 * commands that write run with umask 077, and the store names its modes explicitly); this puts
 * right a directory made before, or by hand, that group or others can read: directories to
 * 0700, files to 0600. Symbolic links are not followed.
 */
import { chmod, lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Deep enough for DATA_DIR/archive, parked and outbox-files; nothing the desk makes is deeper. */
const MAX_DEPTH = 3;
const OTHERS = 0o077;

export interface DataDirModes {
  /** Paths whose mode was narrowed. */
  fixed: string[];
  /** Paths others can read that could not be changed (another owner), with why. */
  failed: { path: string; error: string }[];
}

/**
 * Narrows the modes under `dataDir`; a missing directory is nothing to do. DATA_DIR and the files
 * directly in it are checked at every start; a directory below is searched only when it, or the
 * one above it, was open to others (a directory of 0700 keeps everyone out of what is in it, and
 * outbox-files may hold a year of e-mails, not worth a look at each on every start).
 */
export async function secureDataDir(dataDir: string): Promise<DataDirModes> {
  const result: DataDirModes = { fixed: [], failed: [] };
  await visit(path.resolve(dataDir), 0, true, result);
  return result;
}

async function visit(p: string, depth: number, search: boolean, result: DataDirModes): Promise<void> {
  let st;
  try {
    st = await lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // gone meanwhile, or no DATA_DIR yet
    throw err;
  }
  if (st.isSymbolicLink()) return;
  const open = (st.mode & OTHERS) !== 0;
  if (open) {
    const mode = st.isDirectory() ? 0o700 : 0o600;
    try {
      await chmod(p, mode);
      result.fixed.push(p);
    } catch (err) {
      result.failed.push({ path: p, error: (err as Error).message });
    }
  }
  if (!st.isDirectory() || depth >= MAX_DEPTH || !(search || open)) return;
  for (const name of await readdir(p)) await visit(path.join(p, name), depth + 1, depth === 0 ? open : search || open, result);
}

/**
 * The process umask for everything the desk writes: files 0600, directories 0700. For the daemon
 * and the commands that write on their own (no daemon running). Worker threads cannot set it;
 * there the explicit modes of the store still hold.
 */
export function restrictUmask(): void {
  try {
    process.umask(0o077);
  } catch {
    // ERR_WORKER_UNSUPPORTED_OPERATION
  }
}
