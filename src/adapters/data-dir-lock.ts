/**
 * One writer per DATA_DIR. Two processes appending to the same journal would interleave
 * sequence numbers and each would overwrite the other's snapshot, so a writer holds
 * DATA_DIR/portdesk.lock, a file holding its pid.
 *
 * The lock file is written complete under a temporary name and then hard-linked into place:
 * link() fails when the name exists, so creation is exclusive and nobody ever reads a half-written
 * pid. A lock whose pid is no longer alive (a crash, a SIGKILL) is taken over; the takeover itself
 * is guarded by a second exclusive file so two processes cannot both remove the stale lock and
 * then each believe they hold a fresh one.
 */
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StoreError } from './file-store/store-error.js';

export const LOCK_FILE = 'portdesk.lock';
/** A takeover guard older than this belongs to a process that died mid-takeover. */
const GUARD_STALE_MS = 10_000;

export interface DataDirLock {
  readonly path: string;
  readonly pid: number;
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function tryUnlink(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function tryCreateExclusive(file: string, content: string): boolean {
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temp, content, { mode: 0o600 });
  try {
    linkSync(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    tryUnlink(temp);
  }
}

/** Removes a lock held by `stalePid` (dead), unless someone else got there first. */
function takeOverStaleLock(lockPath: string, stalePid: number | undefined): void {
  const guard = `${lockPath}.takeover`;
  if (!tryCreateExclusive(guard, `${process.pid}\n`)) {
    try {
      if (Date.now() - statSync(guard).mtimeMs > GUARD_STALE_MS) tryUnlink(guard);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return;
  }
  try {
    if (readPid(lockPath) === stalePid) tryUnlink(lockPath);
  } finally {
    tryUnlink(guard);
  }
}

/** True when this process holds the writer lock of `dataDir`. */
export function holdsDataDirLock(dataDir: string): boolean {
  return readPid(path.join(dataDir, LOCK_FILE)) === process.pid;
}

/**
 * Takes the writer lock of `dataDir` (created if missing). Throws StoreError STORE_LOCKED naming
 * the pid when a live process holds it.
 */
export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  // The desk's records are its own (SPEC §10); an existing directory's mode is checked at start
  // (data-dir-modes.ts), a new one is made private.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lockPath = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 50; attempt++) {
    if (tryCreateExclusive(lockPath, `${process.pid}\n`)) {
      let released = false;
      return {
        path: lockPath,
        pid: process.pid,
        release: async () => {
          if (released) return;
          released = true;
          if (readPid(lockPath) === process.pid) tryUnlink(lockPath);
        },
      };
    }
    const holder = readPid(lockPath);
    if (holder !== undefined && isAlive(holder)) {
      const who = holder === process.pid ? 'this process (the store is already open for writing)' : `process ${holder}`;
      throw new StoreError(
        'STORE_LOCKED',
        `${dataDir} is in use by ${who}; stop it first (if no portdesk is running, delete ${lockPath})`,
        { file: lockPath, pid: holder },
      );
    }
    takeOverStaleLock(lockPath, holder);
    // Let a competing takeover finish before trying again.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new StoreError('STORE_LOCKED', `could not take ${lockPath}: another process keeps replacing it`, { file: lockPath });
}
