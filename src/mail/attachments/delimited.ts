/**
 * A CSV or TSV attachment as lines of text, laid out by rows.ts like a sheet. The delimiter is
 * the one of , ; TAB | that splits the first lines most consistently: European exports use ';',
 * portal exports TAB or '|', and a file with one column has none.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { formatCount } from '../limits.js';
import { MAX_COLUMNS, MAX_CSV_RECORD_CHARS, MAX_ROWS } from './caps.js';
import { cleanRows, rowsToLines } from './rows.js';

const DELIMITERS = [',', ';', '\t', '|'] as const;
/** Lines sampled to choose the delimiter. */
const SAMPLE_LINES = 20;

export interface DelimitedReading {
  text: string;
  /** False when the file did not parse as CSV and `text` is the file as it is. */
  parsed: boolean;
  notes: string[];
}

export function readDelimited(content: string, tabSeparated: boolean): DelimitedReading {
  const notes: string[] = [];
  const delimiter = tabSeparated ? '\t' : chooseDelimiter(content);
  let rows: string[][];
  try {
    rows = parseCsv(content, {
      delimiter,
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      max_record_size: MAX_CSV_RECORD_CHARS,
      to: MAX_ROWS + 1,
    }) as string[][];
  } catch (error) {
    const why = error instanceof Error ? error.message.slice(0, 200) : 'unknown error';
    return { text: content, parsed: false, notes: [`not read as CSV (${why}): read as text`] };
  }
  if (rows.length > MAX_ROWS) {
    notes.push(`more than ${formatCount(MAX_ROWS)} rows: only the first ${formatCount(MAX_ROWS)} read`);
    rows = rows.slice(0, MAX_ROWS);
  }
  // One column more than is read, so cleanRows still sees (and notes) a row that is too wide.
  const { lines, layout } = rowsToLines(cleanRows(rows.map((row) => row.slice(0, MAX_COLUMNS + 1)), notes));
  notes.push(`${delimiterName(delimiter)}-separated; ${layout === 'labels' ? 'labels and values' : layout === 'table' ? 'a table under a header row' : 'cells'}`);
  return { text: lines.join('\n'), parsed: true, notes };
}

/**
 * The delimiter found on the most sampled lines, then the one found the same number of times on
 * each (a header and its rows agree), then the most frequent. Quoted text is not counted.
 */
function chooseDelimiter(content: string): string {
  const sample = content
    .slice(0, 64 * 1024)
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .slice(0, SAMPLE_LINES)
    .map((line) => line.replace(/"[^"]*"/g, ''));
  let best: string = ',';
  let bestScore = [0, 0, 0];
  for (const delimiter of DELIMITERS) {
    const counts = sample.map((line) => line.split(delimiter).length - 1);
    const linesWith = counts.filter((count) => count > 0).length;
    if (linesWith === 0) continue;
    const first = counts[0] ?? 0;
    const steady = counts.filter((count) => count === first).length;
    const total = counts.reduce((sum, count) => sum + count, 0);
    const score = [linesWith, steady, total];
    if (compareScores(score, bestScore) > 0) {
      best = delimiter;
      bestScore = score;
    }
  }
  return best;
}

function compareScores(a: number[], b: number[]): number {
  for (let index = 0; index < a.length; index += 1) {
    const diff = (a[index] ?? 0) - (b[index] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function delimiterName(delimiter: string): string {
  return delimiter === '\t' ? 'tab' : delimiter === ';' ? 'semicolon' : delimiter === '|' ? 'pipe' : 'comma';
}
