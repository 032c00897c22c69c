/**
 * Form-like text made readable for the label reader: tables drawn in text, rows of labels over
 * rows of their values, and which loosely read values (no colon after the label) may count. For
 * the request reader (read-port-request.ts), on bodies and attachments' text alike.
 */
import { isPortLabel, readPortLabels, type PortKey } from './read-port-labels.js';
import type { LabelledValue } from './text/labels.js';

/**
 * A table drawn in text ("| PON | GPL-1187-3 |" between "+----+----+" rules), as ticket systems
 * copy it: each row its cells between TABs, the rules dropped.
 */
export function asciiTableRows(text: string): string {
  if (!/^[ \t]*\|.*\|[ \t]*$/m.test(text)) return text;
  return text
    .split(/\r?\n/)
    .map((line) => {
      if (/^[ \t]*\+[-=+ ]*\+[ \t]*$/.test(line)) return '';
      const row = /^[ \t]*\|(.*)\|[ \t]*$/.exec(line);
      if (!row) return line;
      return (row[1] ?? '').split('|').map((cell) => cell.trim()).filter(Boolean).join('\t');
    })
    .join('\n');
}

/**
 * A row of labels over a row of their values, as forms print them ("CITY<TAB>STATE<TAB>ZIP" over
 * "New Orleans<TAB>LA<TAB>70130"): each label beside its value ("CITY: New Orleans<TAB>STATE: LA…").
 * Only when both rows have as many cells, every cell of the first is a label (a request label, or
 * short words in capitals without digits) and the second is not such a row itself.
 */
export function pairLabelRows(text: string): string {
  if (!text.includes('\t')) return text;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i + 1 < lines.length; i += 1) {
    const labels = (lines[i] ?? '').split('\t').map((cell) => cell.trim());
    if (labels.length < 2 || !labels.every(isLabelCell)) continue;
    // The header of a table pairs with every row under it ("Telephone Number | Account # | PIN"
    // over one row per number); a form's row of labels with the one row of values under it.
    let next = i + 1;
    const paired: string[] = [];
    for (; next < lines.length; next += 1) {
      const values = (lines[next] ?? '').split('\t').map((cell) => cell.trim());
      if (values.length !== labels.length || values.every(isLabelCell) || values.some((cell) => cell === '')) break;
      paired.push(labels.map((label, k) => `${label.replace(/\s*:$/, '')}: ${values[k]}`).join('\t'));
    }
    if (paired.length === 0) continue;
    lines.splice(i, next - i, ...paired);
    i += paired.length - 1;
  }
  return lines.join('\n');
}

/** Words forms print as labels that name no request field. */
const FORM_WORDS = /^(?:title|date(?:\s+signed)?|signature|e-?mail|phone|fax|notes?|(?:tele)?phone\s+numbers?(?:\s*\(s\))?|tns?|numbers?|location|line\s+type|features?)$/i;

function isLabelCell(cell: string): boolean {
  if (!cell || cell.length > 40 || /\d{2}/.test(cell) || /:\s*\S/.test(cell)) return false;
  const label = cell.replace(/\s*:$/, '');
  if (FORM_WORDS.test(label) || isPortLabel(label)) return true;
  // A form's capitals may put words before the label ("PORT-OUT PASSCODE", "SUITE / UNIT").
  return /[A-Z]/.test(label) && label === label.toUpperCase() && label.split(/\s+/).length <= 5 && readPortLabels(`${label}: 1`).length > 0;
}

/**
 * Without a colon, a one-word label may begin any line ("Customer Onboarding", "Business or
 * residential name …"): a loosely read value counts only under a label of two words or more, or
 * when it has the form of its field (a state code, a ZIP, a PIN, a short city name).
 */
export function looseValueFits(entry: LabelledValue<PortKey>): boolean {
  if (/[@·|]/.test(entry.value)) return false;
  if (/\s/.test(entry.label.trim())) return true;
  switch (entry.key) {
    case 'state':
      return /^[A-Z]{2}$/.test(entry.value);
    case 'zip':
      return /^\d{5}(?:-?\d{4})?$/.test(entry.value);
    case 'pin':
      return /^[A-Za-z0-9-]{3,12}$/.test(entry.value) && /\d/.test(entry.value);
    case 'city':
      return /^[A-Za-z][A-Za-z .'-]{1,30}$/.test(entry.value) && entry.value.split(' ').length <= 3;
    default:
      return false;
  }
}

/**
 * Bilingual labels ("Nom / Name: …", "Adresse / Address: …"): the half the desk knows is kept.
 * Only when the first half is no request label, so "City / State / ZIP" stays whole.
 */
export function bilingualLabels(text: string): string {
  if (!text.includes('/')) return text;
  return text.replace(/^([ \t]*)([^:\t\n/]{2,30}?)[ \t]*\/[ \t]*([^:\t\n/]{2,40}?)([ \t]*:)/gm, (whole, lead: string, first: string, second: string, colon: string) =>
    isPortLabel(first) || !isPortLabel(second) ? whole : `${lead}${second}${colon}`,
  );
}

/**
 * Value and label the other way round ("DTX-8821<TAB>PON", "Detroit<TAB>City"), as some portals
 * lay out their tables: when at least three two-cell lines end with a request label and start with
 * something that is not one, each such line is turned round to "label<TAB>value".
 */
export function labelsOnTheRight(text: string): string {
  if (!text.includes('\t')) return text;
  const lines = text.split('\n');
  const reversed = (line: string): boolean => {
    const cells = line.split('\t');
    return cells.length === 2 && cells[0]!.trim() !== '' && isPortLabel(cells[1]!) && !isPortLabel(cells[0]!);
  };
  if (lines.filter(reversed).length < 3) return text;
  return lines.map((line) => (reversed(line) ? `${line.split('\t')[1]!.trim()}\t${line.split('\t')[0]!.trim()}` : line)).join('\n');
}
