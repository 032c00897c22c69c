/**
 * A fillable PDF's filled fields as "Field Name: value" lines, in the order they sit on the pages.
 * The values are what the carrier typed; the field names are the form maker's, so they are made
 * readable ("form1[0].Page1[0].AccountNumber[0]" → "Account Number") and, where a name says
 * nothing ("Text12"), the field's tooltip is used instead when it has one.
 */
import { MAX_PDF_FIELD_CHARS, MAX_PDF_FIELDS } from './caps.js';

/** What pdf.js's getFieldObjects gives for one widget of a field (the parts read here). */
export interface FieldWidget {
  id?: string;
  name?: string;
  type?: string;
  value?: unknown;
  page?: number;
  rect?: number[];
  hidden?: boolean;
}

/** Names form tools give fields by default. */
const GENERIC_NAME =
  /^(?:text|text ?field|text ?box|field|fill(?: ?in)?|untitled|check ?box|radio(?: ?button)?|group|combo ?box|list ?box|drop ?down|button)(?:[\s_.-]*\d+)*$/i;
/** What a checked box's value says besides its own name. */
const CHECKED = /^(?:yes|on|true|1|x|checked|selected)$/i;

interface FieldLine {
  page: number;
  top: number;
  left: number;
  line: string;
}

/**
 * The lines, and a count of what was left out. `tooltips` maps a widget id to its /TU text
 * (pdf.js gives it with the page's annotations).
 */
export function fieldLines(
  fields: Record<string, unknown[]> | null,
  tooltips: ReadonlyMap<string, string>,
): { lines: string[]; hidden: number; cut: boolean } {
  const found: FieldLine[] = [];
  let hidden = 0;
  for (const [name, widgets] of Object.entries(fields ?? {})) {
    const all = widgets.filter((widget): widget is FieldWidget => typeof widget === 'object' && widget !== null);
    const filled = all.find((widget) => valueText(widget) !== undefined);
    if (!filled) continue;
    if (all.every((widget) => widget.hidden === true)) {
      hidden += 1;
      continue;
    }
    const value = valueText(filled) ?? '';
    const tooltip = all.map((widget) => tooltips.get(widget.id ?? '')).find((text) => text?.trim());
    let label = readableName(name);
    if ((GENERIC_NAME.test(label) || label === '') && tooltip) label = tooltip.replace(/\s+/g, ' ').trim();
    if (label === '') label = name;
    const [left = 0, , , top = 0] = filled.rect ?? [];
    found.push({ page: filled.page ?? 0, top, left, line: `${label.replace(/\s*:\s*$/, '')}: ${value}` });
  }
  // PDF space grows upwards: the top of the page is the largest y.
  found.sort((a, b) => a.page - b.page || b.top - a.top || a.left - b.left);
  return { lines: found.slice(0, MAX_PDF_FIELDS).map((entry) => entry.line), hidden, cut: found.length > MAX_PDF_FIELDS };
}

/** A widget's value as text, or undefined when it is not filled in (empty, Off, a push button). */
function valueText(widget: FieldWidget): string | undefined {
  const type = widget.type ?? '';
  if (type === 'button' || type === 'signature') return undefined;
  const raw = widget.value;
  let text: string;
  if (Array.isArray(raw)) text = raw.filter((item) => typeof item === 'string').join(', ');
  else if (typeof raw === 'string') text = raw;
  else if (typeof raw === 'number' || typeof raw === 'boolean') text = String(raw);
  else return undefined;
  // A multi-line field (an address) reads as one line: "1 Main St, Seattle, WA 98101".
  text = text
    .split(/\r\n|\r|\n/)
    .map((part) => part.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join(', ')
    .replace(/,,/g, ',');
  if (text === '' || ((type === 'checkbox' || type === 'radiobutton') && /^off$/i.test(text))) return undefined;
  if (type === 'checkbox' && CHECKED.test(text)) text = 'Yes';
  return text.length > MAX_PDF_FIELD_CHARS ? text.slice(0, MAX_PDF_FIELD_CHARS) : text;
}

/**
 * A field's name as words: the last part of a hierarchical name without its [0] indexes, with
 * camelCase and underscores split. A last part without letters ("Phone.0") keeps its parent.
 */
export function readableName(name: string): string {
  const parts = name
    .replace(/\[\d+\]/g, '')
    .split('.')
    .map((part) => part.replace(/^#/, '').trim())
    .filter(Boolean);
  let last = parts.pop() ?? '';
  if (!/\p{L}/u.test(last) && parts.length > 0) last = `${parts.pop()} ${last}`;
  return last
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/[_]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
