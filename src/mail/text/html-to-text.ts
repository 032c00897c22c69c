/**
 * HTML to plain text for reading labelled fields. Carriers' portals send requests as HTML tables
 * and definition lists; mailparser's own conversion would put a label cell and its value cell on
 * separate lines, so parse-message.ts turns it off and uses this one.
 */
import { parse as parseHtml, NodeType, type HTMLElement, type Node } from 'node-html-parser';

/** HTML beyond this is not turned into text; the text of a real request is far smaller. */
export const MAX_HTML_TO_TEXT_CHARS = 2 * 1024 * 1024;

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
  if (source.length > MAX_HTML_TO_TEXT_CHARS) {
    defects?.push('HTML body too large: only its first 2 MB read');
    source = source.slice(0, MAX_HTML_TO_TEXT_CHARS);
  }
  let root: HTMLElement;
  try {
    root = parseHtml(source, { comment: false, blockTextElements: { script: false, style: false, pre: true } });
  } catch {
    return source.replace(/<[^>]*>/g, ' ');
  }
  return nodeToText(root);
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
    if (tag === 'tr') {
      flush();
      const cells = element.childNodes
        .filter((child): child is HTMLElement => child.nodeType === NodeType.ELEMENT_NODE)
        .filter((child) => ['td', 'th'].includes(child.rawTagName?.toLowerCase() ?? ''))
        .map((cell) => nodeToText(cell).trim())
        .filter((cell) => cell !== '');
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
    const block = BLOCK_TAGS.has(tag);
    if (block) flush();
    for (const child of element.childNodes) walk(child);
    if (block) flush();
  };
  walk(top);
  flush();
  return lines.join('\n');
}
