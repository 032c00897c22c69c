/**
 * The numbers in a CSV or TSV attachment, as text for the number extractor: every cell of every
 * column that holds numbers to port, skipping columns headed as something else (an account
 * number or a contact's phone looks exactly like a DID).
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { extractNumbers } from '../extract-numbers.js';

/** Columns whose header names something that is not a number to port. */
const NON_NUMBER_COLUMN = /account|acct|pin|passcode|zip|postal|pon|order|date|ref|spid|contact|fax|btn|billing/i;

/** Numbers from every column of a CSV that holds them, skipping columns headed as something else. */
export function readCsvNumbers(content: string): { text: string; notes: string[] } {
  let rows: string[][];
  try {
    rows = parseCsv(content, {
      delimiter: [',', ';', '\t', '|'],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      bom: true,
      trim: true,
    }) as string[][];
  } catch (error) {
    return { text: content, notes: [`CSV could not be parsed (${error instanceof Error ? error.message : 'error'}); read as text`] };
  }
  const header = rows[0] ?? [];
  const headed = header.length > 0 && header.every((cell) => extractNumbers(cell).dids.length === 0) && header.some((cell) => /[a-z]/i.test(cell));
  const skipped = new Set<number>();
  if (headed) {
    header.forEach((cell, index) => {
      const numberish = /\b(?:tn|tns|did|dids|number|numbers|phone|telephone)\b/i.test(cell) && !/account|acct|order/i.test(cell);
      if (!numberish && NON_NUMBER_COLUMN.test(cell)) skipped.add(index);
    });
  }
  const cells: string[] = [];
  for (const row of headed ? rows.slice(1) : rows) {
    row.forEach((cell, index) => {
      if (!skipped.has(index)) cells.push(cell);
    });
  }
  return { text: cells.join('\n'), notes: [] };
}
