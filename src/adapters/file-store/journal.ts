/**
 * Reading the journal (DATA_DIR/journal.jsonl): one JSON line per commit, `{v, seq, changes}`
 * (see JOURNAL_LINE_VERSION).
 *
 * A crash mid-append leaves the end of the file torn: a last line without its newline, or
 * (on file systems that extend the size before the data lands) a run of unreadable lines at the
 * very end. Those commits were never acknowledged, so they are dropped. An unreadable line with
 * good lines after it cannot come from a crash: that is damage, and the store refuses to start.
 * Writing it is journal-writer.ts.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { DeskState } from './desk-state.js';
import { JOURNAL_LINE_VERSION, JournalLineSchema, describeIssues, type JournalLine } from './schemas.js';
import { StoreError } from './store-error.js';

const NEWLINE = 0x0a;

export interface JournalChunk {
  lines: JournalLine[];
  /** Absolute offset just past the last good line. */
  validEnd: number;
  /** Bytes after validEnd that belong to a torn (or still being written) tail. */
  tornBytes: number;
  /** Lines consumed, to keep line numbers right in later messages. */
  lineCount: number;
}

/**
 * Parses `buf`, which starts at byte `baseOffset` and line `baseLine` (0-based count of lines
 * before it) of `file`.
 */
export function parseJournal(buf: Buffer, file: string, baseOffset = 0, baseLine = 0): JournalChunk {
  const raw: { start: number; end: number; value: unknown; ok: boolean }[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(NEWLINE, start);
    if (nl < 0) break;
    let value: unknown;
    let ok = true;
    try {
      value = JSON.parse(buf.toString('utf8', start, nl));
    } catch {
      ok = false;
    }
    raw.push({ start, end: nl + 1, value, ok });
    start = nl + 1;
  }
  let lastGood = -1;
  for (let i = raw.length - 1; i >= 0; i--) {
    if (raw[i]!.ok) {
      lastGood = i;
      break;
    }
  }
  const lines: JournalLine[] = [];
  for (let i = 0; i <= lastGood; i++) {
    const r = raw[i]!;
    const lineNo = baseLine + i + 1;
    if (!r.ok) {
      throw new StoreError('STORE_CORRUPT', `${file} line ${lineNo} is not valid JSON, and later lines are; refusing to guess`, { file });
    }
    const v = (r.value as { v?: unknown } | null)?.v;
    if (typeof v === 'number' && v > JOURNAL_LINE_VERSION) {
      throw new StoreError('STORE_VERSION', `${file} line ${lineNo} was written by a newer portdesk (format ${v}; this one reads up to ${JOURNAL_LINE_VERSION})`, { file });
    }
    const parsed = JournalLineSchema.safeParse(r.value);
    if (!parsed.success) {
      throw new StoreError('STORE_CORRUPT', `${file} line ${lineNo}: ${describeIssues(parsed.error)}`, { file });
    }
    lines.push(parsed.data);
  }
  const validEndRel = lastGood >= 0 ? raw[lastGood]!.end : 0;
  return {
    lines,
    validEnd: baseOffset + validEndRel,
    tornBytes: buf.length - validEndRel,
    lineCount: lastGood + 1,
  };
}

/**
 * The journal's bytes from `offset` to its end, read by a process following the writer:
 * 'missing' when there is no journal, 'shrunk' when it is shorter than `offset` (a compaction
 * emptied it since).
 */
export function readJournalFrom(file: string, offset: number): Buffer | 'missing' | 'shrunk' {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    if (size < offset) return 'shrunk';
    const buf = Buffer.allocUnsafe(size - offset);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, offset + got);
      if (n <= 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Signals a journal that does not continue the snapshot just read (a concurrent compaction). */
export class SequenceGap extends Error {}

/** Replays journal lines on top of `state`, skipping those the snapshot already holds. */
export function applyJournalLines(state: DeskState, lines: { seq: number; changes: JournalLine['changes'] }[]): void {
  for (const line of lines) {
    if (line.seq <= state.seq) continue;
    if (line.seq !== state.seq + 1) {
      throw new SequenceGap(`line with sequence ${line.seq} follows ${state.seq}: commits in between are missing`);
    }
    state.apply(line.changes);
    state.seq = line.seq;
  }
}
