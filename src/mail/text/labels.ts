/**
 * Labelled fields in free text ("Account Name: Acme", "PON = X-1", "BTN<TAB>206…", a label alone
 * on its line with the value under it), read by a table of label patterns. The port request and
 * CSR readers each compile their own table; the way a label, its separator and its value are
 * recognised is this one.
 *
 * Linear in the text: a line is read for labels only in its first MAX_LINE_CHARS characters and
 * for at most MAX_FIELDS_PER_LINE fields, every blank run in a pattern is matched one way only,
 * and a reading stops at MAX_LABELLED_FIELDS fields.
 */
import { MAX_LABELLED_FIELDS, MAX_LINE_CHARS } from '../limits.js';

export interface LabelSpec<K extends string = string> {
  key: K;
  /** Regular-expression source for the label, matched case-insensitively as a whole. */
  pattern: string;
}

export interface LabelledValue<K extends string = string> {
  key: K;
  label: string;
  value: string;
  /** Index of the line in the text it was read from. */
  line: number;
  /** Where the label starts and the value ends on that line. */
  start: number;
  end: number;
}

export type LabelReader<K extends string> = (text: string) => LabelledValue<K>[];

const BULLET = String.raw`^[ \t]*(?:[-*•>#]+[ \t]*|\d{1,2}[.)][ \t]+)?(?:\*\*|__)?`;
const AFTER_LABEL = String.raw`(?:\*\*|__)?(?:[ \t]*\([^)\n]{0,40}\))?(?:\*\*|__)?`;
// Dot leaders ("Port Order No. ...... BRV-0412") separate too, as forms print them.
const SEPARATOR = String.raw`(?:[ \t]*[:=]+-?[ \t]*|[ \t]*\.{3,}[ \t]*|[ \t]+-[ \t]*|[ \t]*-[ \t]+|\t[ \t]*|(?<=#)[ \t]*)`;
/** An LSR form row carries a dozen fields; a line with more is not a form. */
const MAX_FIELDS_PER_LINE = 64;
/** Values that say "not given": a form's blanks, not data; and a check box's state ("Business: Yes"). */
const PLACEHOLDER = /^(?:n\/?a|none|null|nil|-+|tbd|unknown|\?+|_+|\.+|yes|no|on|off|true|false|checked|unchecked|x|☐|☑|☒)$/i;
/** A line that is only a label of any kind ("Notes:"): never another label's value. */
const ANY_BARE_LABEL = /^[ \t]*[A-Za-z][A-Za-z0-9 #./()-]{0,40}:[ \t]*$/;

/**
 * Compiles label variants into a reader. A line may carry several fields ("PON: X   VER: 01" or
 * the tab-separated cells of an HTML row); a label alone on its line takes the next line's value.
 */
export function compileLabelReader<K extends string>(specs: readonly LabelSpec<K>[], options: { loose?: boolean } = {}): LabelReader<K> {
  const ordered = [...specs].sort((a, b) => b.pattern.length - a.pattern.length);
  const alternation = ordered.map((spec) => spec.pattern).join('|');
  // Loose: a blank alone separates a label from its value too ("City Denver", typed on a form's
  // rule). Only for form-like text, where a line is a field, never for the body of an e-mail.
  const separator = options.loose ? `(?:${SEPARATOR}|[ \\t]+(?=\\S))` : SEPARATOR;
  const lineRe = new RegExp(`${BULLET}(${alternation})${AFTER_LABEL}${separator}`, 'i');
  // `(?:[ \t]*[:=])?[ \t]*$` rather than `[ \t]*[:=]?[ \t]*$`: two adjacent blank runs would be
  // tried at every split of a long run of blanks, quadratic in its length.
  const bareLabelRe = new RegExp(`${BULLET}(${alternation})${AFTER_LABEL}(?:[ \\t]*[:=])?[ \\t]*$`, 'i');
  // The next field on the same line: a known label, or any short "WORD:" after a wide gap (LSR forms
  // carry fields such as VER or ACT that are not read but must still end the value before them).
  // It starts only where a run of blanks starts, so a long run is not retried from every blank.
  // A single blank ends a value too when a known label and a colon follow ("PON: X Due date: …",
  // fields run together when an HTML paragraph's &nbsp; gaps collapse).
  const nextFieldRe = new RegExp(
    `(?<![ \\t])(?:[ \\t]{2,}|\\t|[ \\t]*[|;][ \\t]*)(?=(?:${alternation})${AFTER_LABEL}(?:[ \\t]*[:=]|\\t)|[A-Za-z][A-Za-z0-9 #./-]{0,25}[ \\t]*[:=])|(?<![ \\t])[ \\t](?=(?:${alternation})${AFTER_LABEL}[ \\t]*:)`,
    'i',
  );
  const wholeRes = ordered.map((spec) => ({ key: spec.key, re: new RegExp(`^(?:${spec.pattern})$`, 'i') }));
  const keyOf = (label: string): K | undefined => wholeRes.find((entry) => entry.re.test(label.trim()))?.key;

  return (text: string): LabelledValue<K>[] => {
    const lines = text.split(/\r?\n/).map((line) => (line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) : line));
    const found: LabelledValue<K>[] = [];
    for (let index = 0; index < lines.length && found.length < MAX_LABELLED_FIELDS; index += 1) {
      const line = lines[index] ?? '';
      let offset = 0;
      let rest = line;
      let first = true;
      let read = false;
      for (let fields = 0; fields < MAX_FIELDS_PER_LINE; fields += 1) {
        const match = lineRe.exec(rest);
        if (!match) {
          // A field that is not read (VER: 01, or a first cell "Location: Seattle"): skip to the
          // one after it.
          const skip = nextFieldRe.exec(rest.slice(1));
          if (!skip) break;
          const consumed = 1 + skip.index + skip[0].length;
          offset += consumed;
          rest = rest.slice(consumed);
          continue;
        }
        const label = match[1] ?? '';
        const key = keyOf(label);
        const valueStart = match.index + match[0].length;
        const tail = rest.slice(valueStart);
        // A TAB ends a cell: "Customer Name<TAB>Jane Doe<TAB>Title<TAB>Owner" gives "Jane Doe".
        const tab = tail.indexOf('\t');
        const found0 = nextFieldRe.exec(tail);
        const next = tab >= 0 && (!found0 || tab < found0.index) ? { index: tab, 0: '\t' } : found0;
        const rawValue = next ? tail.slice(0, next.index) : tail;
        // A label left blank before the next one ("Account Number<TAB>PIN<TAB>4321"): no value,
        // and the next label is read from where this one's value would have been.
        // Only between cells: "SATH: St" ends its line, and "St" is its value, not the state's label.
        if (next?.[0] === '\t' && rawValue.trim() && keyOf(rawValue.replace(/[ \t]*:?[ \t]*$/, '')) !== undefined) {
          offset += valueStart;
          rest = tail;
          first = false;
          continue;
        }
        const value = cleanValue(rawValue);
        if (key && value) {
          found.push({ key, label: label.trim(), value, line: index, start: offset + match.index, end: offset + valueStart + rawValue.length });
          read = true;
        }
        if (!next) break;
        const consumed = valueStart + next.index + next[0].length;
        offset += consumed;
        rest = rest.slice(consumed);
        first = false;
      }
      if (!read) {
        // "Account Name:" alone, its value on the next non-empty line.
        const bare = bareLabelRe.exec(line);
        const key = bare ? keyOf(bare[1] ?? '') : undefined;
        if (bare && key) {
          let nextIndex = index + 1;
          while (nextIndex < lines.length && (lines[nextIndex] ?? '').trim() === '') nextIndex += 1;
          if (nextIndex >= lines.length) nextIndex = -1;
          const nextLine = nextIndex >= 0 ? (lines[nextIndex] ?? '') : '';
          const value = cleanValue(nextLine);
          if (value && !lineRe.test(nextLine) && !bareLabelRe.test(nextLine) && !ANY_BARE_LABEL.test(nextLine)) {
            found.push({ key, label: (bare[1] ?? '').trim(), value, line: nextIndex, start: 0, end: nextLine.length });
          }
        }
      }
    }
    return found.slice(0, MAX_LABELLED_FIELDS);
  };
}

function cleanValue(raw: string): string | undefined {
  const value = trimMarks(raw.replace(/\s+/g, ' ').trim()).trim();
  if (!value || PLACEHOLDER.test(value)) return undefined;
  return value;
}

const QUOTE_MARKS = new Set(['"', "'", '“', '”', '‘', '’']);

/**
 * Removes bold markers (`**`, `__`) and quote marks around a value. A loop, not a `(…)+$` pattern:
 * that one is retried from every mark of a long run and costs the square of its length.
 */
function trimMarks(value: string): string {
  let start = 0;
  let end = value.length;
  for (;;) {
    if (value.startsWith('**', start) || value.startsWith('__', start)) start += 2;
    else if (start < end && QUOTE_MARKS.has(value[start] ?? '')) start += 1;
    else break;
  }
  for (;;) {
    if (end - start >= 2 && (value.startsWith('**', end - 2) || value.startsWith('__', end - 2))) end -= 2;
    else if (end > start && QUOTE_MARKS.has(value[end - 1] ?? '')) end -= 1;
    else break;
  }
  return value.slice(start, end);
}
