/**
 * Rows of cells (a sheet, a CSV file) as lines the label reader and the number reader take.
 *
 * Two layouts are told apart, per sheet:
 *
 * - A label/value sheet: at least two rows (above the header, when there is one) start with a
 *   label (a short text ending in ':' or a known request label) with a value in a later cell. Each such row becomes "Label: value"
 *   (a second label/value pair on the row follows after a TAB); every other row becomes its
 *   cells joined by TABs, so a block of numbers under the labels still reaches the number reader.
 *
 * - A table: a header row (within the first ten rows, at least two text cells, followed by a
 *   row with a digit in it) and data rows under it. Each data row becomes one line of
 *   "Header: value" pairs joined by TABs; rows above the header (a title, one labelled field)
 *   stay as they are.
 *   A column of forty numbers under "Telephone Number" gives forty lines that each say
 *   "Telephone Number: …": the label reader keeps only the first value of a label, but the
 *   numbers are read from the whole text, so every one of them is there for the number reader.
 *
 * Anything else is its rows, cells joined by TABs.
 */
import { formatCount } from '../limits.js';
import { isPortLabel } from '../read-port-labels.js';
import { MAX_CELL_CHARS, MAX_COLUMNS } from './caps.js';

export type RowsLayout = 'labels' | 'table' | 'cells';

/** Rows a header is looked for in: titles and a logo row come before it, not pages of notes. */
const HEADER_SEARCH_ROWS = 10;
/** A label is short; a longer text in the first cell is a note or a sentence. */
const MAX_LABEL_CHARS = 40;
/** Labels of request sheets the port-label table does not name, but that still label a value. */
const OTHER_LABEL =
  /^(?:(?:tele)?phone(?: numbers?)?|tns?|dids?|numbers?(?: to port)?|lines?|e-?mail(?: address)?|contact(?: name| phone| e-?mail)?|title|signature|date|notes?|comments?)$/i;

export function rowsToLines(rows: string[][]): { lines: string[]; layout: RowsLayout } {
  const header = findHeader(rows);
  // Labels above the header (or anywhere, without one) make a label/value sheet: its rows below
  // a header are then more of the form, not a table. A table's own cells may look like labels
  // ("Main Line" in a Line Type column) without making it one.
  const labelRows = (header >= 0 ? rows.slice(0, header) : rows).filter(isLabelRow).length;
  if (labelRows >= 2) return { lines: rows.map(labelRowLine).filter(Boolean), layout: 'labels' };
  // A header that only names the two columns of a form ("Field | Value"): the rows are labels.
  if (header >= 0 && isFormHeader(rows[header] ?? [])) {
    return { lines: rows.filter((_, i) => i !== header).map(labelRowLine).filter(Boolean), layout: 'labels' };
  }
  if (header >= 0) {
    const names = rows[header] ?? [];
    const lines = [
      ...rows.slice(0, header).map((row) => (isLabelRow(row) ? labelRowLine(row) : cellsLine(row))),
      ...rows.slice(header + 1).map((row) => tableRowLine(row, names)),
    ].filter(Boolean);
    return { lines, layout: 'table' };
  }
  return { lines: rows.map(cellsLine).filter(Boolean), layout: 'cells' };
}

/**
 * Cells as one-line text: whitespace runs (line breaks in a cell, TABs) become one space, an
 * Excel text literal (="0042", written to keep leading zeros) becomes its text, and long cells
 * are cut. A cell that starts like a formula (=, @, or + and - before something that is not a
 * number) is left out: the text goes on to people and files that may open it as a spreadsheet.
 */
export function cleanRows(rows: string[][], notes: string[]): string[][] {
  let wide = false;
  let cut = 0;
  let formulas = 0;
  const cleaned = rows.map((row) => {
    if (row.length > MAX_COLUMNS) wide = true;
    return row.slice(0, MAX_COLUMNS).map((raw) => {
      let cell = raw.replace(/\s+/g, ' ').trim();
      const literal = /^="(.*)"$/.exec(cell);
      if (literal) cell = (literal[1] ?? '').replace(/""/g, '"').trim();
      if (cell.length > MAX_CELL_CHARS) {
        cut += 1;
        cell = cell.slice(0, MAX_CELL_CHARS);
      }
      if (/^[=@]/.test(cell) || /^[+-](?![\d\s().+-]*$)/.test(cell)) {
        formulas += 1;
        return '';
      }
      return cell;
    });
  });
  if (wide) notes.push(`rows wider than ${MAX_COLUMNS} columns: only the first ${MAX_COLUMNS} read`);
  if (cut > 0) notes.push(`${formatCount(cut)} cell${cut === 1 ? '' : 's'} over ${formatCount(MAX_CELL_CHARS)} characters cut`);
  if (formulas > 0) notes.push(`${formatCount(formulas)} cell${formulas === 1 ? '' : 's'} starting like a formula left out`);
  return cleaned;
}

/** A text cell has a letter in it: numbers, dates and amounts do not. */
function isText(cell: string): boolean {
  return /\p{L}/u.test(cell);
}

function isLabel(cell: string): boolean {
  // "Account Number: 88812" in one cell is a field already, not a label.
  if (!isText(cell) || cell.length > MAX_LABEL_CHARS || /:\s*\S/.test(cell)) return false;
  if (/:\s*$/.test(cell) || OTHER_LABEL.test(cell)) return true;
  // The request's own label table decides: "Account #", "BTN", "Service Address (street)".
  return isPortLabel(cell);
}

function nonEmpty(row: string[]): string[] {
  return row.filter((cell) => cell !== '');
}

function isLabelRow(row: string[]): boolean {
  const cells = nonEmpty(row);
  return cells.length >= 2 && isLabel(cells[0] ?? '');
}

/**
 * "Label: value", then further pairs and other cells after TABs. A label takes the next filled
 * cell as its value unless that cell is itself a label ending in ':' (the first one was left blank).
 */
function labelRowLine(row: string[]): string {
  const cells = nonEmpty(row);
  const parts: string[] = [];
  for (let index = 0; index < cells.length; index += 1) {
    const cell = cells[index] ?? '';
    const next = cells[index + 1];
    if (next !== undefined && isLabel(cell) && !/:\s*$/.test(next)) {
      parts.push(`${cell.replace(/\s*:\s*$/, '')}: ${next}`);
      index += 1;
    } else if (next === undefined || !/:\s*$/.test(cell)) {
      // A label left blank before the next label is dropped: "A:<TAB>B: 1" would read as A = "B: 1".
      // A label alone at the end of its row stays: its value may be on the rows below.
      parts.push(cell);
    }
  }
  return parts.join('\t');
}

/** "Field | Value", "Item | Description", "Label | Data": the header of a label/value sheet. */
const FORM_HEADER_LABEL = /^(?:fields?|labels?|items?|names?|attributes?|keys?|descriptions?|questions?|information)$/i;
const FORM_HEADER_VALUE = /^(?:values?|data|entry|entries|details?|answers?|responses?|info(?:rmation)?|descriptions?)$/i;

function isFormHeader(row: string[]): boolean {
  const cells = nonEmpty(row);
  return cells.length === 2 && FORM_HEADER_LABEL.test(cells[0] ?? '') && FORM_HEADER_VALUE.test(cells[1] ?? '');
}

function cellsLine(row: string[]): string {
  return nonEmpty(row).join('\t');
}

/**
 * The first row, of the first HEADER_SEARCH_ROWS, with two text cells (and nothing that is not
 * text) whose next non-empty row has a digit in one of the header's columns: a title row over
 * the header is passed by, since the header under it has no digits. Two label rows one under
 * the other ("Customer Name | Jane Doe", "Account Number | 88812") are a form, not a header.
 */
function findHeader(rows: string[][]): number {
  const limit = Math.min(rows.length, HEADER_SEARCH_ROWS);
  for (let index = 0; index < limit; index += 1) {
    const row = rows[index] ?? [];
    const cells = nonEmpty(row);
    if (cells.length < 2 || !cells.every(isText) || cells.some((cell) => cell.length > 2 * MAX_LABEL_CHARS)) continue;
    let next = index + 1;
    while (next < rows.length && nonEmpty(rows[next] ?? []).length === 0) next += 1;
    const below = rows[next];
    if (below && isLabelRow(row) && isLabelRow(below)) continue;
    if (below && row.some((cell, column) => cell !== '' && /\d/.test(below[column] ?? ''))) return index;
  }
  return -1;
}

/** "Header: value" for each filled cell; a cell under no header is given as it is. */
function tableRowLine(row: string[], names: string[]): string {
  const parts: string[] = [];
  row.forEach((cell, column) => {
    if (cell === '') return;
    // CRM exports name columns acct_name, svc_addr1: as words, they are labels.
    const name = (names[column] ?? '').replace(/\s*:\s*$/, '').replace(/_+/g, ' ');
    parts.push(name ? `${name}: ${cell}` : cell);
  });
  return parts.join('\t');
}
