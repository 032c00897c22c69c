/**
 * Attachments built in the tests themselves: PDFs with pdfkit, workbooks with SheetJS, and the
 * small binary files (a PNG, a zip) written byte by byte.
 */
import { randomBytes } from 'node:crypto';
import { crc32, deflateRawSync, deflateSync } from 'node:zlib';
import * as XLSX from '@e965/xlsx';
import PDFDocument from 'pdfkit';
import type { InboundAttachment } from '../../../src/mail/types.js';

export function attachment(filename: string | undefined, contentType: string, content: Buffer): InboundAttachment {
  return { ...(filename ? { filename } : {}), contentType, size: content.length, content };
}

/** A PDF drawn by `draw`; uncompressed unless asked, so a test can cut it at a known place. */
export function makePdf(draw: (doc: PDFKit.PDFDocument) => void, options: PDFKit.PDFDocumentOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ compress: false, ...options });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    draw(doc);
    doc.end();
  });
}

/** Label/value rows: the label at `x`, its value `gap` points to the right, one row per `step`. */
export function drawPairs(doc: PDFKit.PDFDocument, pairs: [string, string][], x: number, y: number, gap = 150, step = 20): void {
  pairs.forEach(([label, value], index) => {
    doc.text(label, x, y + index * step, { lineBreak: false });
    doc.text(value, x + gap, y + index * step, { lineBreak: false });
  });
}

/**
 * A filled text field with a tooltip (/TU), written as its own widget: pdfkit's formText has no
 * tooltip option and writes the widget at once. Call after doc.initForm().
 */
export function formTextWithTooltip(doc: PDFKit.PDFDocument, name: string, tooltip: string, rect: [number, number, number, number], value: string): void {
  const [x, y, w, h] = rect;
  doc.annotate(x, y, w, h, { Subtype: 'Widget', FT: 'Tx', F: 4, T: new String(name), TU: new String(tooltip), V: new String(value), DA: new String('/Helv 0 Tf 0 g') } as never);
  const internals = doc as unknown as { page: { annotations: unknown[] }; _root: { data: { AcroForm: { data: { Fields: unknown[] } } } } };
  internals._root.data.AcroForm.data.Fields.push(internals.page.annotations[internals.page.annotations.length - 1]);
}

/** A PNG of `width` × `height` grey noise, so it does not compress to nothing (a scan is not small). */
export function makePng(width: number, height: number): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y += 1) rows.push(Buffer.concat([Buffer.from([0]), randomBytes(width)]));
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** A zip of the given files, deflated; `claimedSize` overrides the size the directory states. */
export function makeZip(files: { name: string; data: Buffer; claimedSize?: number }[]): Buffer {
  const locals: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const packed = deflateRawSync(file.data);
    const name = Buffer.from(file.name, 'utf8');
    const size = file.claimedSize ?? file.data.length;
    const crc = crc32(file.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    directory.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const dir = Buffer.concat(directory);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

/** A workbook of the given sheets (arrays of rows; a cell may be a SheetJS cell object). */
export function makeWorkbook(sheets: Record<string, unknown[][]>, bookType: XLSX.BookType): Buffer {
  const book = XLSX.utils.book_new();
  for (const [name, rows] of Object.entries(sheets)) XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet(rows), name);
  return XLSX.write(book, { type: 'buffer', bookType, compression: true }) as Buffer;
}

/** A date cell as Excel stores it: days since 1899-12-30, shown month first. */
export function dateCell(year: number, month: number, day: number): XLSX.CellObject {
  const serial = (Date.UTC(year, month - 1, day) - Date.UTC(1899, 11, 30)) / 86_400_000;
  return { t: 'n', v: serial, z: 'm/d/yy' };
}
