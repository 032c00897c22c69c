/**
 * A PDF page's text as lines in reading order. pdf.js gives runs of text with their positions in
 * the order they were drawn, which for a form made in a word processor or a portal is often
 * column by column; the lines are rebuilt from positions instead: runs on one baseline make a
 * line, read left to right, and a wide gap between two runs becomes a TAB, so a label printed in
 * one column and its value in the next ("Account Number" … "88812") read as "Account Number<TAB>88812",
 * which the label reader takes as a field.
 */

/** A run of text on the page as read: device space, y growing downwards, at the run's baseline. */
export interface PlacedText {
  str: string;
  x: number;
  y: number;
  width: number;
  /** Font size in device units. */
  size: number;
  /** Text not running left to right on the page (a rotated stamp, a vertical margin note). */
  turned?: boolean;
}

/** Runs whose baselines are closer than this share a line, in parts of the font size. */
const SAME_LINE = 0.45;
/** A gap wider than this (in font sizes, about four spaces) separates columns: a TAB. */
const COLUMN_GAP = 1.0;
/** A gap wider than this (in font sizes) separates words: a space. */
const WORD_GAP = 0.15;

export type Matrix = readonly [number, number, number, number, number, number];

/** `a` applied after `b`, as pdf.js's Util.transform. */
export function multiply(a: Matrix, b: Matrix): Matrix {
  return [
    a[0] * b[0] + a[2] * b[1],
    a[1] * b[0] + a[3] * b[1],
    a[0] * b[2] + a[2] * b[3],
    a[1] * b[2] + a[3] * b[3],
    a[0] * b[4] + a[2] * b[5] + a[4],
    a[1] * b[4] + a[3] * b[5] + a[5],
  ];
}

/** A pdf.js text item placed on the page through the page's viewport (which undoes /Rotate). */
export function placeItem(str: string, transform: Matrix, width: number, viewport: Matrix): PlacedText | undefined {
  const m = multiply(viewport, transform);
  const size = Math.hypot(m[2], m[3]);
  if (![m[4], m[5], size, width].every(Number.isFinite)) return undefined;
  const turned = Math.abs(m[1]) > Math.abs(m[0]) * 0.1 || m[0] < 0;
  return { str, x: m[4], y: m[5], width: Math.abs(width), size: size > 0 ? size : 1, ...(turned ? { turned } : {}) };
}

/**
 * Text in a box on the page rather than in its content: typed onto the page in a viewer (a
 * FreeText annotation) or into a form field. It is where people put the account number on a
 * form, beside the printed label, so it is placed where its box is, each line at the baseline a
 * viewer would draw it at: from the top of the box, or centred in a one-line box (a text field).
 */
export function placeBoxText(
  contents: string,
  rect: readonly number[],
  fontSize: number | undefined,
  viewport: Matrix,
  centred: boolean,
): PlacedText[] {
  const [x1 = 0, y1 = 0, x2 = 0, y2 = 0] = rect;
  const height = Math.abs(y2 - y1);
  const corner = multiply(viewport, [1, 0, 0, 1, Math.min(x1, x2), Math.max(y1, y2)]);
  const size = fontSize && fontSize > 0 ? fontSize : Math.min(12, Math.max(6, height * 0.6));
  const lines = contents.split(/\r\n|\r|\n/);
  const first = centred && lines.length === 1 ? height / 2 + 0.3 * size : 1 + 0.9 * size;
  if (![corner[4], corner[5], first].every(Number.isFinite)) return [];
  return lines
    .map((line, index) => ({ str: line, x: corner[4] + 2, y: corner[5] + first + 1.2 * size * index, width: line.length * size * 0.5, size }))
    .filter((placed) => placed.str.trim() !== '');
}

/** Lines of text, top to bottom, each read left to right. */
export function layoutLines(items: PlacedText[]): string[] {
  const runs = items.filter((item) => item.str.trim() !== '').sort((a, b) => a.y - b.y || a.x - b.x);
  const lines: PlacedText[][] = [];
  let current: PlacedText[] = [];
  let baseline = 0;
  let size = 0;
  for (const run of runs) {
    const joins = current.length > 0 && !run.turned && !current[0]?.turned && Math.abs(run.y - baseline) <= SAME_LINE * Math.max(run.size, size);
    if (!joins) {
      if (current.length > 0) lines.push(current);
      current = [run];
      baseline = run.y;
      size = run.size;
    } else current.push(run);
  }
  if (current.length > 0) lines.push(current);
  return lines.map(joinRuns).filter((line) => line !== '');
}

function joinRuns(runs: PlacedText[]): string {
  const ordered = [...runs].sort((a, b) => a.x - b.x);
  let text = '';
  let end = Number.NEGATIVE_INFINITY;
  let previous: PlacedText | undefined;
  for (const run of ordered) {
    const str = run.str.replace(/[\t\r\n]+/g, ' ');
    // Bold faked by drawing a run twice, a hair apart.
    if (previous && previous.str === run.str && Math.abs(run.x - previous.x) < run.size * 0.5) continue;
    if (previous) {
      const gap = run.x - end;
      const em = Math.max(run.size, previous.size);
      if (gap > COLUMN_GAP * em) text = `${text.trimEnd()}\t`;
      else if (gap > WORD_GAP * em && !/\s$/.test(text) && !/^\s/.test(str)) text += ' ';
    }
    text += text.endsWith('\t') ? str.trimStart() : str;
    end = Math.max(end, run.x + run.width);
    previous = run;
  }
  return text.trim();
}
