/**
 * HTML to plain text for reading labelled fields. Carriers' portals send requests as HTML tables
 * and definition lists; mailparser's own conversion would put a label cell and its value cell on
 * separate lines, so parse-message.ts turns it off and uses this one.
 */
import { parse as parseHtml, NodeType, type HTMLElement, type Node } from 'node-html-parser';
import { MAX_HTML_CHARS, MAX_HTML_DEPTH } from '../limits.js';

const BLOCK_TAGS = new Set([
  'address', 'article', 'aside', 'blockquote', 'body', 'center', 'div', 'dl', 'fieldset', 'figure', 'footer',
  'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'html', 'li', 'main', 'nav', 'ol', 'p', 'pre',
  'section', 'table', 'tbody', 'thead', 'tfoot', 'ul',
]);
const SKIPPED_TAGS = new Set(['head', 'script', 'style', 'title', 'noscript', 'template']);

/**
 * HTML to plain text that keeps a table row on one line with its cells separated by tabs, and a
 * definition term beside its description, so "label cell / value cell" reads like "Label<TAB>value".
 */
export function htmlToText(html: string, defects?: string[]): string {
  let source = html;
  if (source.length > MAX_HTML_CHARS) {
    defects?.push(`HTML body too large: only its first ${MAX_HTML_CHARS / (1024 * 1024)} MB read`);
    source = source.slice(0, MAX_HTML_CHARS);
  }
  // The tree is walked recursively, so a document nested deeper than any mail client writes is
  // read as bare text instead: every word is kept, only the table layout is lost.
  const depth = htmlNestingDepth(source);
  if (depth > MAX_HTML_DEPTH) {
    defects?.push(`HTML nested ${depth} elements deep: read without its layout`);
    return stripTags(source);
  }
  let root: HTMLElement;
  try {
    root = parseHtml(source, { comment: false, blockTextElements: { script: false, style: false, pre: true } });
    return nodeToText(root);
  } catch {
    return stripTags(source);
  }
}

/** Two cells of as many lines each, the first all short labels: "label<TAB>value" per line. */
function pairStacked(cells: string[]): string[] | undefined {
  if (cells.length !== 2) return undefined;
  const [labels, values] = cells.map((cell) => cell.split('\n').map((line) => line.trim())) as [string[], string[]];
  if (labels.length < 2 || labels.length !== values.length) return undefined;
  if (!labels.every((label) => isLabelText(label))) return undefined;
  return labels.map((label, i) => `${label.replace(/\s*:$/, '')}\t${values[i]}`);
}

/**
 * A table of two rows whose first is a header row of labels and the second the values ("Name |
 * Account | PON" over "Jane Doe | 88812 | X-1"): read as "label<TAB>value" lines, one per column.
 */
function pairHeaderRow(table: HTMLElement): string[] | undefined {
  const rows = table.querySelectorAll('tr').filter((row) => row.closest('table') === table);
  if (rows.length !== 2) return undefined;
  const cellsOf = (row: HTMLElement) => row.childNodes.filter((c): c is HTMLElement => c.nodeType === NodeType.ELEMENT_NODE && ['td', 'th'].includes(c.rawTagName?.toLowerCase() ?? ''));
  const [head, data] = rows.map(cellsOf) as [HTMLElement[], HTMLElement[]];
  if (head.length < 2 || head.length !== data.length) return undefined;
  const labels = head.map((cell) => nodeToText(cell).trim());
  if (!labels.every((label) => isLabelText(label))) return undefined;
  const values = data.map((cell) => nodeToText(cell).trim().replace(/\s*\n\s*/g, ' '));
  // Only a row marked as a header (<th> cells, or a <thead>) is taken for labels: two rows of
  // "label | value" pairs look just like labels over values otherwise.
  const marked = head.every((cell) => cell.rawTagName?.toLowerCase() === 'th') || rows[0]!.parentNode?.rawTagName?.toLowerCase() === 'thead';
  if (!marked) return undefined;
  return labels.map((label, i) => `${label.replace(/\s*:$/, '')}\t${values[i]}`).filter((line) => !line.endsWith('\t'));
}

/** Short text without digits, as a label is: "Account Number", "PON", "Service Address:". */
function isLabelText(text: string): boolean {
  return text.length > 0 && text.length <= 40 && !/\d{3}/.test(text) && /[A-Za-z]/.test(text) && !text.includes('\n');
}

/** Elements that never hold others, and those mail HTML often leaves open: not counted as nesting. */
const NOT_NESTING = new Set([
  'area', 'base', 'br', 'col', 'dd', 'dt', 'embed', 'hr', 'img', 'input', 'li', 'link', 'meta', 'p', 'param',
  'source', 'td', 'th', 'tr', 'track', 'wbr',
]);

/**
 * How deep the elements of `html` nest, by one pass over its tags (the parser itself would
 * recurse as deep). Stops counting once past MAX_HTML_DEPTH.
 */
export function htmlNestingDepth(html: string): number {
  let depth = 0;
  let deepest = 0;
  for (const match of html.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9-]{0,30})\b[^<>]*>/g)) {
    const tag = match[2]!.toLowerCase();
    if (NOT_NESTING.has(tag) || match[0].endsWith('/>')) continue;
    if (match[1]) depth = Math.max(0, depth - 1);
    else if (++depth > deepest && (deepest = depth) > MAX_HTML_DEPTH) break;
  }
  return deepest;
}

function stripTags(html: string): string {
  return html
    // `[^<>]*`, not `[^>]*`: an unclosed "<script" must not scan on to the end from every one.
    .replace(/<(?:script|style)\b[^<>]*>[^<]*<\/(?:script|style)>/gi, ' ')
    .replace(/<[^<>]*>/g, ' ')
    .replace(/[ \t]+/g, ' ');
}

function nodeToText(top: Node): string {
  const lines: string[] = [];
  let current = '';
  const flush = (): void => {
    const line = current.replace(/[ \u00a0]+/g, ' ').replace(/ ?\t ?/g, '\t').trim();
    if (line) lines.push(line);
    current = '';
  };
  const walk = (node: Node): void => {
    if (node.nodeType === NodeType.TEXT_NODE) {
      current += node.text.replace(/\s+/g, ' ');
      return;
    }
    if (node.nodeType !== NodeType.ELEMENT_NODE) return;
    const element = node as HTMLElement;
    const tag = element.rawTagName?.toLowerCase() ?? '';
    if (SKIPPED_TAGS.has(tag)) return;
    if (tag === 'br') {
      flush();
      return;
    }
    // "<strong>Request ID</strong> CC-90412<br>": a bold label that starts its line, with no
    // colon, is set off from its value by a TAB, as a table cell would be.
    if ((tag === 'b' || tag === 'strong') && current.trim() === '') {
      for (const child of element.childNodes) walk(child);
      const label = current.trim();
      if (label && label.length <= 40 && !/[:\d]/.test(label)) current = `${label}\t`;
      return;
    }
    if (tag === 'tr') {
      flush();
      const cells = element.childNodes
        .filter((child): child is HTMLElement => child.nodeType === NodeType.ELEMENT_NODE)
        .filter((child) => ['td', 'th'].includes(child.rawTagName?.toLowerCase() ?? ''))
        .map((cell) => nodeToText(cell).trim())
        .filter((cell) => cell !== '');
      // Labels stacked in one cell and their values stacked in the next, line for line ("PON<br>Name"
      // beside "X-1<br>Jane Doe"): each label beside its value.
      const stacked = pairStacked(cells);
      if (stacked) {
        for (const line of stacked) {
          current = line;
          flush();
        }
        return;
      }
      // A layout table (cells holding paragraphs or tables) is read as blocks; a data row as one line.
      if (cells.some((cell) => cell.includes('\n'))) {
        for (const cell of cells) {
          current = '';
          for (const line of cell.split('\n')) {
            current = line;
            flush();
          }
        }
        return;
      }
      current = cells.map((cell) => cell.replace(/\t/g, ' ')).join('\t');
      flush();
      return;
    }
    if (tag === 'dt') {
      flush();
      for (const child of element.childNodes) walk(child);
      current = current.trim() + '\t';
      return;
    }
    if (tag === 'dd') {
      for (const child of element.childNodes) walk(child);
      flush();
      return;
    }
    if (tag === 'table') {
      const across = pairHeaderRow(element);
      if (across) {
        flush();
        for (const line of across) {
          current = line;
          flush();
        }
        return;
      }
    }
    const block = BLOCK_TAGS.has(tag);
    if (block) flush();
    for (const child of element.childNodes) walk(child);
    if (block) flush();
  };
  walk(top);
  flush();
  return lines.join('\n');
}
