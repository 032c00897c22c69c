/**
 * A requested port date as carriers write it, to ISO. Month first where the order is ambiguous
 * (12/01/2026 is December 1), as US carriers write it; a date that does not exist is not guessed at.
 */

const MONTH_NAMES = [
  'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december',
];

/** 12/01/2026, 12-1-26, 2026-12-01, 20261201, Dec 1 2026, December 1st, 2026, 1 Dec 2026, 1-Dec-2026 → 2026-12-01. */
export function parseRequestedDate(value: string): string | undefined {
  const text = value.trim().replace(/^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+/i, '');
  let year: number | undefined;
  let month: number | undefined;
  let day: number | undefined;
  let match: RegExpExecArray | null;
  if ((match = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:\b|T)/.exec(text))) {
    [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})\b/.exec(text))) {
    const y = Number(match[3]);
    [month, day, year] = [Number(match[1]), Number(match[2]), y < 100 ? 2000 + y : y];
  } else if ((match = /^(20\d{2})(\d{2})(\d{2})$/.exec(text))) {
    [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b/i.exec(text))) {
    [month, day, year] = [monthNumber(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3,9})\.?,?\s+(\d{4})\b/i.exec(text))) {
    [day, month, year] = [Number(match[1]), monthNumber(match[2]), Number(match[3])];
  } else if ((match = /^(\d{1,2})-([a-z]{3,9})-(\d{4}|\d{2})\b/i.exec(text))) {
    // 15-Mar-2027, as spreadsheets and portals print dates.
    const y = Number(match[3]);
    [day, month, year] = [Number(match[1]), monthNumber(match[2]), y < 100 ? 2000 + y : y];
  }
  if (year === undefined || month === undefined || day === undefined) return undefined;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function monthNumber(name: string | undefined): number | undefined {
  const lower = (name ?? '').toLowerCase();
  if (lower.length < 3) return undefined;
  const index = MONTH_NAMES.findIndex((month) => month.startsWith(lower) || (lower === 'sept' && month === 'september'));
  return index >= 0 ? index + 1 : undefined;
}
