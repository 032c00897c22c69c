/**
 * The requested port date in prose: "on March 14, 2027", "on the 15th of March, 2027", "by
 * 3/14/2027", "due date of 2027-03-14", and "as soon as possible", which names no date. The date
 * itself is read by parseRequestedDate (text/dates.ts), month first; a month and day without a
 * year ("on March 14") take the first year in which that day is not past.
 *
 * A sentence gives the requested date only when it speaks of the port's timing, and a date right
 * after "signed", "dated" or "LOA" is when something else happened, not when to port.
 */
import { parseRequestedDate } from '../text/dates.js';
import type { ProseSink } from './finding.js';

const MONTH = String.raw`(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.?`;
const WEEKDAY = String.raw`(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,? )?`;
/** Bounded pieces, single blanks (the sentence is collapsed), one pass over the sentence. */
const DATE_RE = new RegExp(
  [
    String.raw`\b${WEEKDAY}${MONTH} \d{1,2}(?:st|nd|rd|th)?(?:,? \d{4})?(?![\d:])`,
    String.raw`\b${WEEKDAY}\d{1,2}(?:st|nd|rd|th)? (?:of )?${MONTH},? \d{4}\b`,
    String.raw`(?<![\d/.-])\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?![\d/-]|\.\d)`,
    String.raw`(?<![\d/.-])\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})(?![\d/-]|\.\d)`,
  ].join('|'),
  'gi',
);
const HAS_YEAR_RE = /\d{4}|[-/.]\d{2}$/;

/** Words that say a sentence is about when the port should happen. */
const TIMING_RE =
  /\b(?:port(?:s|ed|ing)?|due|ddd|foc|cut ?over|activat[a-z]{0,6}|transfer[a-z]{0,3}|move|switch[a-z]{0,3}|complet[a-z]{0,3}|schedul[a-z]{0,3}|effective|like|want|request[a-z]{0,3}|need[a-z]{0,3}|date)\b/i;
/** A date just after these words dates something else: the LOA, a bill, the account. */
const OTHER_EVENT_RE = /\b(?:signed|dated|authori[sz]ed|approved|loa|invoice|bill(?:ed|ing)?|received|sent|since|expir[a-z]{0,5}|born|birth|opened|created|last)\b[^.]{0,30}$/i;
/** The word that introduces the date, kept in the note: "on", "by", "due date of". */
const CUE_BEFORE_RE = /(?:\b(?:(?:(?:desired|requested|port) )?(?:due )?date(?: of| is|:)?|ddd|foc|on|by|for|of|is|before|around)|:) ?$/i;
const SOON_RE = /\b(?:as soon as possible|asap|as early as possible|earliest (?:possible|available) date|at the earliest)\b/i;

export interface DateReading {
  /** "as soon as possible" as written, when the sentence asks for that. */
  soon?: string;
}

export function readDates(sentence: string, today: Date, sink: ProseSink): DateReading {
  const soon = SOON_RE.exec(sentence)?.[0];
  if (!TIMING_RE.test(sentence) && !soon) return {};
  DATE_RE.lastIndex = 0;
  for (const match of sentence.matchAll(DATE_RE)) {
    const before = sentence.slice(Math.max(0, match.index - 40), match.index);
    if (OTHER_EVENT_RE.test(before)) continue;
    const written = match[0];
    let iso = parseRequestedDate(written);
    let yearNote: string | undefined;
    if (!iso && !HAS_YEAR_RE.test(written)) {
      const guessed = withYear(written, today);
      if (guessed) {
        iso = guessed;
        yearNote = `year not given: ${guessed.slice(0, 4)} taken`;
      }
    }
    if (!iso) continue;
    const cue = CUE_BEFORE_RE.exec(before.slice(-30));
    const evidence = sentence.slice(match.index - (cue ? cue[0].length : 0), match.index + written.length);
    sink.found({ field: 'requestedDate', value: iso, evidence, strength: 2, ...(yearNote ? { how: yearNote } : {}) });
    return soon ? { soon } : {};
  }
  return soon ? { soon } : {};
}

/** "March 14" → the first March 14 that is today or later, in ISO. */
function withYear(written: string, today: Date): string | undefined {
  const year = today.getUTCFullYear();
  for (const candidate of [year, year + 1]) {
    const iso = parseRequestedDate(`${written.replace(/,\s*$/, '')} ${candidate}`);
    if (iso && iso >= isoDay(today)) return iso;
  }
  return undefined;
}

export function isoDay(date: Date): string {
  return Number.isNaN(date.getTime()) ? '0000-00-00' : date.toISOString().slice(0, 10);
}
