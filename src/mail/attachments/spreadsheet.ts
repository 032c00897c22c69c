/**
 * A workbook (xlsx, xls, ods, and the HTML or CSV exports named .xls) as lines of text, with
 * SheetJS. Each of the first MAX_SHEETS sheets is read to MAX_ROWS rows and MAX_COLUMNS columns
 * and laid out by rows.ts; the sheets follow one another, a blank line between them.
 */
import * as XLSX from '@e965/xlsx';
import { formatCount, formatMegabytes } from '../limits.js';
import { MAX_COLUMNS, MAX_ROWS, MAX_SHEETS, MAX_WORKBOOK_EXPANDED_BYTES } from './caps.js';
import { cleanRows, rowsToLines, type RowsLayout } from './rows.js';
import { expandedSize, type ZipEntry } from './zip.js';

export interface SheetReading {
  text: string;
  /** Why nothing could be read; the text is empty then. */
  unreadable?: string;
  notes: string[];
}

export function readSpreadsheet(name: string, content: Buffer, zip: ZipEntry[] | 'unlisted' | undefined): SheetReading {
  const notes: string[] = [];
  // A zip whose size cannot be checked is not handed to SheetJS, which would inflate it all.
  if (zip === 'unlisted') return { text: '', notes, unreadable: `${name} is a damaged workbook (its zip directory does not read): open it and enter the request by hand` };
  if (zip) {
    const size = expandedSize(content, zip, MAX_WORKBOOK_EXPANDED_BYTES);
    if (size === 'over') {
      return { text: '', notes, unreadable: `${name} expands to more than ${formatMegabytes(MAX_WORKBOOK_EXPANDED_BYTES)}: not opened` };
    }
    if (size === 'broken') return { text: '', notes, unreadable: `${name} is a damaged or encrypted workbook: open it and enter the request by hand` };
  }
  let workbook: XLSX.WorkBook;
  try {
    workbook = XLSX.read(content, {
      type: 'buffer',
      cellDates: true,
      sheetRows: MAX_ROWS,
      sheets: Array.from({ length: MAX_SHEETS }, (_, index) => index),
      // Only the values are needed: no formulas, styles, HTML or macros.
      cellFormula: false,
      cellHTML: false,
      cellStyles: false,
      bookVBA: false,
    } as XLSX.ParsingOptions);
  } catch (error) {
    const why = error instanceof Error ? error.message.slice(0, 200) : 'unknown error';
    const encrypted = /password|encrypt/i.test(why);
    return {
      text: '',
      notes,
      unreadable: encrypted ? `${name} is encrypted: it needs a password to open` : `${name} could not be read as a workbook (${why}): open it and enter the request by hand`,
    };
  }

  const sheetNames = workbook.SheetNames;
  if (sheetNames.length > MAX_SHEETS) notes.push(`${formatCount(sheetNames.length)} sheets: only the first ${MAX_SHEETS} read`);
  const blocks: string[] = [];
  const layouts: string[] = [];
  for (const sheetName of sheetNames.slice(0, MAX_SHEETS)) {
    const sheet = workbook.Sheets[sheetName];
    if (!sheet) continue;
    const { rows, cut, wide } = sheetRows(sheet);
    if (cut) notes.push(`sheet "${sheetName}" has more than ${formatCount(MAX_ROWS)} rows: only the first ${formatCount(MAX_ROWS)} read`);
    if (wide) notes.push(`sheet "${sheetName}" has more than ${MAX_COLUMNS} columns: only the first ${MAX_COLUMNS} read`);
    const { lines, layout } = rowsToLines(cleanRows(rows, notes));
    if (lines.length === 0) continue;
    blocks.push(lines.join('\n'));
    layouts.push(`sheet "${sheetName}": ${describeLayout(layout)}`);
  }
  notes.push(...layouts);
  return { text: blocks.join('\n\n'), notes: [...new Set(notes)] };
}

function describeLayout(layout: RowsLayout): string {
  return layout === 'labels' ? 'labels and values' : layout === 'table' ? 'a table under a header row' : 'cells';
}

/**
 * The sheet's cells as text, within MAX_ROWS × MAX_COLUMNS whatever range the sheet claims.
 * Walked cell by cell rather than with sheet_to_json, which gives dates only as formatted by the
 * sheet (3/4/26 is March or April depending on who reads it) and long numbers as 1.23457E+11.
 */
function sheetRows(sheet: XLSX.WorkSheet): { rows: string[][]; cut: boolean; wide: boolean } {
  const ref = sheet['!ref'];
  if (!ref) return { rows: [], cut: false, wide: false };
  const range = XLSX.utils.decode_range(ref);
  const full = sheet['!fullref'] ? XLSX.utils.decode_range(sheet['!fullref']) : range;
  const lastRow = Math.min(range.e.r, range.s.r + MAX_ROWS - 1);
  const lastColumn = Math.min(range.e.c, range.s.c + MAX_COLUMNS - 1);
  const rows: string[][] = [];
  for (let r = range.s.r; r <= lastRow; r += 1) {
    const row: string[] = [];
    for (let c = range.s.c; c <= lastColumn; c += 1) row.push(cellText(sheet[XLSX.utils.encode_cell({ r, c })] as XLSX.CellObject | undefined));
    // Trailing empty cells say nothing; empty rows still separate blocks.
    while (row.length > 0 && row[row.length - 1] === '') row.pop();
    rows.push(row);
  }
  // Wide only if a cell is there: a range can claim 16,384 columns because of formatting alone.
  const wide = range.e.c > lastColumn && Object.keys(sheet).some((key) => !key.startsWith('!') && XLSX.utils.decode_cell(key).c > lastColumn);
  return { rows, cut: full.e.r - full.s.r + 1 > MAX_ROWS, wide };
}

function cellText(cell: XLSX.CellObject | undefined): string {
  if (!cell) return '';
  switch (cell.t) {
    case 'd':
      return cell.v instanceof Date ? isoDate(cell.v) : (cell.w ?? String(cell.v ?? ''));
    case 'n': {
      const value = Number(cell.v);
      // A phone number stored as a number shows as 2.06556E+09 in a narrow General column.
      if (Number.isInteger(value) && Math.abs(value) < 1e15 && (!cell.w || /e\+?\d+$/i.test(cell.w))) return String(value);
      return cell.w ?? String(value);
    }
    case 'b':
      return cell.w ?? (cell.v ? 'TRUE' : 'FALSE');
    case 'e':
    case 'z':
      return '';
    default:
      return cell.w ?? String(cell.v ?? '');
  }
}

/**
 * A date cell as ISO: 2026-03-15, with the time when the cell has one. SheetJS builds the Date
 * from the sheet's serial number as if it were UTC, so the UTC fields are the sheet's own.
 */
function isoDate(date: Date): string {
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number): string => String(n).padStart(2, '0');
  const day = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  const seconds = date.getUTCHours() * 3600 + date.getUTCMinutes() * 60 + date.getUTCSeconds();
  return seconds === 0 ? day : `${day} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
}
