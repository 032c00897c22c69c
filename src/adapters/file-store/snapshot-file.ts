/**
 * DATA_DIR/desk.json, the snapshot: read and validated at open, written only at compaction,
 * through lowdb (temp file + rename, so it is always a whole file) and then fsynced with its
 * directory, so a crash leaves either the old snapshot or the new one.
 */
import { closeSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { DataFile } from 'lowdb/node';
import { fsyncPath } from './fsync.js';
import { STORE_FORMAT_VERSION, emptySnapshot, parseSnapshot, type Snapshot } from './schemas.js';
import { StoreError } from './store-error.js';

export interface SnapshotRead {
  snapshot: Snapshot;
  bytes: number;
  /** Tells a reader whether the file was replaced since (see snapshotIdentity). */
  identity: string | undefined;
}

function fileIdentity(st: { ino: number; size: number; mtimeMs: number }): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

/** The identity of the snapshot file now, undefined when there is none. */
export function snapshotIdentity(file: string): string | undefined {
  try {
    return fileIdentity(statSync(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return undefined;
  }
}

/** Reads and validates desk.json; never modifies it. A missing file is an empty desk. */
export function readSnapshot(file: string): SnapshotRead {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { snapshot: emptySnapshot(), bytes: 0, identity: undefined };
    throw err;
  }
  let text: string;
  let identity: string;
  try {
    identity = fileIdentity(fstatSync(fd));
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new StoreError('STORE_CORRUPT', `${file} is not valid JSON (${(err as Error).message}); it was left untouched`, {
      file,
      cause: err,
    });
  }
  const version = (raw as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > STORE_FORMAT_VERSION) {
    throw new StoreError(
      'STORE_VERSION',
      `${file} was written by a newer portdesk (format ${version}; this one reads ${STORE_FORMAT_VERSION})`,
      { file },
    );
  }
  const parsed = parseSnapshot(raw);
  if (!parsed.success) {
    throw new StoreError('STORE_CORRUPT', `${file} does not match the record schemas: ${parsed.problems}; it was left untouched`, {
      file,
    });
  }
  return { snapshot: parsed.data, bytes: Buffer.byteLength(text), identity };
}

/** Writes snapshots to one file; only a writable store has one. */
export class SnapshotWriter {
  private readonly db: Low<Snapshot>;

  constructor(private readonly file: string) {
    this.db = new Low<Snapshot>(
      // DataFile is lowdb's JSONFile without pretty-printing, which would add a third to the size
      // of a file that holds every account.
      new DataFile<Snapshot>(file, { parse: JSON.parse, stringify: (d) => JSON.stringify(d) }),
      emptySnapshot(),
    );
  }

  /** Replaces the snapshot durably; returns its size and identity. */
  async write(snapshot: Snapshot): Promise<{ bytes: number; identity: string }> {
    this.db.data = snapshot;
    await this.db.write();
    // lowdb creates its temporary file with the process umask; desk.json holds every account, so
    // it is the owner's only (and the directory, 0700, keeps others out of that moment too).
    await chmod(this.file, 0o600);
    await fsyncPath(this.file);
    await fsyncPath(path.dirname(this.file));
    const st = statSync(this.file);
    return { bytes: st.size, identity: fileIdentity(st) };
  }
}
