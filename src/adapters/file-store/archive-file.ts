/**
 * An append-only archive of finished records (DATA_DIR/archive/*.jsonl). Each line is
 * `<header JSON>\t<record JSON>\n`: JSON.stringify never emits a raw tab, so the first tab ends
 * the header, and start-up can index 100,000 archived orders by decoding only their small headers
 * (id, token, Message-IDs) instead of parsing and validating every record. A record is read back
 * on demand, synchronously, from its byte offset.
 *
 * Lines are appended before the snapshot that drops the records is written, so after a crash an
 * archived record may also still be live; the live copy always wins, and for the same key the
 * last line wins.
 */
import { closeSync, fstatSync, openSync, readSync, ftruncateSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { z } from 'zod';
import { StoreError } from './store-error.js';

const NEWLINE = 0x0a;
const TAB = 0x09;
const CHUNK = 8 * 1024 * 1024;
/** The largest read buffer kept between scans. */
const SCRATCH_MAX = 1024 * 1024;
/**
 * A read buffer reused from scan to scan. Background indexing reads a gigabyte of archive a
 * megabyte at a time: a fresh buffer per step left hundreds of megabytes of dead buffers in the
 * resident set until a collection came round. A scan takes it and gives it back, so a scan
 * started from inside another's visitor gets a buffer of its own.
 */
let scratch: Buffer | undefined;

export interface ArchiveLine<H> {
  header: H;
  record: unknown;
}

export class ArchiveFile<H> {
  /** Bytes indexed so far: the start of the first line not yet seen complete. */
  private scanned = 0;

  constructor(
    readonly path: string,
    private readonly parseHeader: (value: unknown) => H | undefined,
    private readonly recordSchema: z.ZodType,
    private readonly onLine: (header: H, offset: number) => void,
  ) {}

  /**
   * Indexes the complete lines added since the last scan. An incomplete last line (a crash
   * mid-append, or another process appending right now) is not indexed; when `truncateTorn` is
   * set it is cut away so the next append starts on a line boundary.
   */
  scan(truncateTorn: boolean): void {
    while (!this.scanStep(Number.POSITIVE_INFINITY, truncateTorn));
  }

  /**
   * Indexes up to about `maxBytes` more; true once everything that was in the file when this
   * round of scanning began is indexed. Lets start-up hand the indexing to idle time.
   */
  scanStep(maxBytes: number, truncateTorn: boolean): boolean {
    let fd: number;
    try {
      fd = openSync(this.path, truncateTorn ? 'r+' : 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw err;
    }
    try {
      const size = fstatSync(fd).size;
      if (size < this.scanned) this.scanned = 0; // replaced behind our back: start again
      const to = Math.min(size, this.scanned + maxBytes);
      const end = forEachLine(fd, this.scanned, to, (buf, start, nl, offset) => this.indexLine(buf, start, nl, offset));
      const done = to === size;
      // A step that stopped inside a line (no complete line in it) must still make progress.
      if (!done && end === this.scanned) return this.scanStep(maxBytes * 2, truncateTorn);
      this.scanned = end;
      if (done && truncateTorn && end < size) ftruncateSync(fd, end);
      return done;
    } finally {
      closeSync(fd);
    }
  }

  private indexLine(buf: Buffer, start: number, end: number, offset: number): void {
    const tab = buf.indexOf(TAB, start);
    let header: H | undefined;
    if (tab > start && tab < end) {
      try {
        header = this.parseHeader(JSON.parse(buf.toString('utf8', start, tab)));
      } catch {
        header = undefined;
      }
    }
    if (header === undefined) {
      throw new StoreError('STORE_CORRUPT', `${this.path}: unreadable archive line at byte ${offset}`, { file: this.path });
    }
    this.onLine(header, offset);
  }

  /** Appends the lines and makes them durable; `onLine` sees each with its offset. */
  async append(lines: ArchiveLine<H>[]): Promise<void> {
    if (lines.length === 0) return;
    const fh = await open(this.path, 'a', 0o600);
    try {
      const start = (await fh.stat()).size;
      const offsets: number[] = [];
      let at = start;
      const parts: string[] = [];
      for (const l of lines) {
        const text = `${JSON.stringify(l.header)}\t${JSON.stringify(l.record)}\n`;
        offsets.push(at);
        at += Buffer.byteLength(text);
        parts.push(text);
      }
      const data = Buffer.from(parts.join(''));
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await fh.write(data, written, data.length - written);
        written += bytesWritten;
      }
      await fh.datasync();
      lines.forEach((l, i) => this.onLine(l.header, offsets[i]!));
      this.scanned = at;
    } finally {
      await fh.close();
    }
  }

  /** The record of the line at `offset`, validated. */
  readAt(offset: number): unknown {
    const fd = openSync(this.path, 'r');
    try {
      let buf = Buffer.allocUnsafe(16 * 1024);
      let filled = 0;
      for (;;) {
        if (filled === buf.length) {
          const bigger = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(bigger, 0, 0, filled);
          buf = bigger;
        }
        const n = readSync(fd, buf, filled, buf.length - filled, offset + filled);
        const nl = buf.indexOf(NEWLINE, filled);
        filled += n;
        if ((nl >= 0 && nl < filled) || n === 0) {
          const end = nl >= 0 && nl < filled ? nl : filled;
          return this.parseRecord(buf, end, offset);
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  private parseRecord(buf: Buffer, end: number, offset: number): unknown {
    const tab = buf.indexOf(TAB);
    const corrupt = (why: string) =>
      new StoreError('STORE_CORRUPT', `${this.path}: archive line at byte ${offset}: ${why}`, { file: this.path });
    if (tab < 0 || tab > end) throw corrupt('no header');
    let value: unknown;
    try {
      value = JSON.parse(buf.toString('utf8', tab + 1, end));
    } catch (err) {
      throw corrupt((err as Error).message);
    }
    const parsed = this.recordSchema.safeParse(value);
    if (!parsed.success) throw corrupt(parsed.error.issues[0]?.message ?? 'invalid record');
    return parsed.data;
  }

  /**
   * Visits every complete line in file order (for listings that include the archive). The
   * visitor sees the header first and asks for the record only when it wants it, so a listing
   * filtered by state does not hold 100,000 archived orders in memory at once.
   */
  forEachLine(visit: (offset: number, header: H, readRecord: () => unknown) => void): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      forEachLine(fd, 0, Math.min(fstatSync(fd).size, this.scanned), (buf, start, nl, offset) => {
        const line = buf.subarray(start, nl);
        const header = this.parseHeader(JSON.parse(line.toString('utf8', 0, line.indexOf(TAB)))) as H;
        visit(offset, header, () => this.parseRecord(line, line.length, offset));
      });
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Calls `onLine(buf, start, newlineIndex, fileOffset)` for each complete line of `fd` between
 * `from` and `to`, reading through one reused buffer; returns the offset just past the last
 * complete line.
 */
function forEachLine(
  fd: number,
  from: number,
  to: number,
  onLine: (buf: Buffer, start: number, nl: number, offset: number) => void,
): number {
  const want = Math.min(CHUNK, Math.max(to - from, 1));
  let buf = scratch && scratch.length >= want ? scratch : Buffer.allocUnsafe(want);
  if (buf === scratch) scratch = undefined;
  let bufStart = from; // file offset of buf[0]
  let filled = 0;
  let pos = from;
  while (pos < to) {
    if (filled === buf.length) {
      // One line longer than the buffer: grow it.
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, filled);
      buf = bigger;
    }
    const n = readSync(fd, buf, filled, Math.min(buf.length - filled, to - pos), pos);
    if (n <= 0) break;
    pos += n;
    const scanFrom = filled;
    filled += n;
    let lineStart = 0;
    let nl = buf.indexOf(NEWLINE, scanFrom);
    while (nl >= 0 && nl < filled) {
      onLine(buf, lineStart, nl, bufStart + lineStart);
      lineStart = nl + 1;
      nl = buf.indexOf(NEWLINE, lineStart);
    }
    if (lineStart > 0) {
      buf.copy(buf, 0, lineStart, filled);
      filled -= lineStart;
      bufStart += lineStart;
    }
  }
  if (buf.length <= SCRATCH_MAX && (!scratch || scratch.length < buf.length)) scratch = buf;
  return bufStart;
}
