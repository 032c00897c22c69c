/**
 * A PDF attachment (a letter of authorization, a port form, a bill copy) as text: its filled form
 * fields first, as "Field Name: value" lines, then each page's text as lines in reading order
 * (pdf-lines.ts), pages a blank line apart. Fields come first because the label reader keeps the
 * first value of a label: a form prints "Account Number:" beside the field that holds the number,
 * and the printed label alone must not win over the value typed into the field.
 *
 * pdf.js (through unpdf) runs in this thread. Pages, fields, text and time are capped (caps.ts);
 * a document that cannot be read (encrypted, broken, a scan, too long) says why in `unreadable`.
 */
import { getResolvedPDFJS } from 'unpdf';
import { cutText, formatCount } from '../limits.js';
import { MAX_ATTACHMENT_TEXT_CHARS, MAX_PDF_ITEMS_PER_PAGE, MAX_PDF_PAGES, MAX_PDF_READ_MS } from './caps.js';
import { fieldLines } from './pdf-fields.js';
import { layoutLines, placeBoxText, placeItem, type Matrix, type PlacedText } from './pdf-lines.js';

export interface PdfReading {
  text: string;
  source: 'form' | 'text';
  unreadable?: string;
  notes: string[];
}

/** The text pdf.js shows for a dynamic XFA form in place of the form itself. */
const XFA_PLACEHOLDER = /your PDF viewer may not be able to display this type of document/i;
type PdfDocument = Awaited<ReturnType<Awaited<ReturnType<typeof getResolvedPDFJS>>['getDocument']>['promise']>;

class TimeUp extends Error {}

export async function readPdf(name: string, content: Buffer): Promise<PdfReading> {
  const notes: string[] = [];
  const deadline = Date.now() + MAX_PDF_READ_MS;
  const unreadable = (why: string): PdfReading => ({ text: '', source: 'text', unreadable: why, notes });
  let task: ReturnType<Awaited<ReturnType<typeof getResolvedPDFJS>>['getDocument']> | undefined;
  try {
    const pdfjs = await getResolvedPDFJS();
    task = pdfjs.getDocument({
      // A copy: pdf.js may take over the bytes it is given.
      data: new Uint8Array(content),
      verbosity: 0,
      isEvalSupported: false,
      useSystemFonts: false,
      disableFontFace: true,
      enableXfa: false,
      useWasm: false,
      stopAtErrors: false,
    });
    const doc = await beforeDeadline(task.promise, deadline);
    if (doc.numPages > MAX_PDF_PAGES) {
      return unreadable(`${name} has ${formatCount(doc.numPages)} pages; only PDFs up to ${MAX_PDF_PAGES} pages are read`);
    }
    return await readDocument(name, doc, deadline, notes);
  } catch (error) {
    const err = error as { name?: string; message?: string };
    if (err.name === 'PasswordException') return unreadable(`${name} is encrypted: it needs a password to open`);
    if (error instanceof TimeUp) return unreadable(`${name} took longer than ${MAX_PDF_READ_MS / 1000} s to read: open it and enter the request by hand`);
    const why = (err.message ?? String(error)).replace(/\s+/g, ' ').slice(0, 200);
    const what = err.name === 'InvalidPDFException' ? 'is not a readable PDF' : 'could not be read as a PDF';
    return unreadable(`${name} ${what} (${why}): open it and enter the request by hand`);
  } finally {
    await task?.destroy().catch(() => undefined);
  }
}

async function readDocument(name: string, doc: PdfDocument, deadline: number, notes: string[]): Promise<PdfReading> {
  const fields = await beforeDeadline(doc.getFieldObjects(), deadline).catch((error: unknown) => {
    if (error instanceof TimeUp) throw error;
    notes.push('its form fields could not be read');
    return null;
  });
  const tooltips = new Map<string, string>();
  const pages: string[] = [];
  const blankPages: number[] = [];
  let length = 0;
  let pagesRead = 0;
  for (let number = 1; number <= doc.numPages; number += 1) {
    if (length > MAX_ATTACHMENT_TEXT_CHARS) break;
    const page = await beforeDeadline(doc.getPage(number), deadline);
    const viewport = toMatrix(page.getViewport({ scale: 1 }).transform) ?? PDF_TO_TOP_DOWN;
    const textContent = await beforeDeadline(page.getTextContent(), deadline);
    const placed: PlacedText[] = [];
    let items = textContent.items as unknown[];
    if (items.length > MAX_PDF_ITEMS_PER_PAGE) {
      notes.push(`page ${number} has ${formatCount(items.length)} pieces of text: only the first ${formatCount(MAX_PDF_ITEMS_PER_PAGE)} read`);
      items = items.slice(0, MAX_PDF_ITEMS_PER_PAGE);
    }
    for (const item of items) {
      const text = item as { str?: unknown; transform?: unknown; width?: unknown };
      const transform = toMatrix(text.transform);
      if (typeof text.str !== 'string' || !transform) continue;
      const run = placeItem(text.str, transform, Number(text.width) || 0, viewport);
      if (run) placed.push(run);
    }
    const annotations = await beforeDeadline(page.getAnnotations(), deadline).catch((error: unknown) => {
      if (error instanceof TimeUp) throw error;
      return [] as unknown[];
    });
    placed.push(...readAnnotations(annotations, viewport, tooltips));
    const lines = layoutLines(placed);
    page.cleanup();
    pagesRead = number;
    if (lines.length === 0) {
      blankPages.push(number);
      continue;
    }
    const block = lines.join('\n');
    pages.push(block);
    length += block.length;
  }
  if (pagesRead < doc.numPages) notes.push(`text read from the first ${pagesRead} of ${doc.numPages} pages only`);

  const form = fieldLines(fields, tooltips);
  if (form.hidden > 0) notes.push(`${form.hidden} hidden form field${form.hidden === 1 ? '' : 's'} not read`);
  if (form.cut) notes.push('more form fields than are read: only the first ones taken');
  // A dynamic XFA form carries only a "Please wait…" page for viewers other than Adobe's.
  if (form.lines.length === 0 && pages.some((page) => XFA_PLACEHOLDER.test(page))) {
    return { text: '', source: 'text', notes, unreadable: `${name} is an XFA form (made for Adobe Reader) whose fields cannot be read here: open it and enter the request by hand` };
  }
  if (form.lines.length === 0 && pages.length === 0) {
    return { text: '', source: 'text', notes, unreadable: `${name} has no text layer (a scan or a picture): read it and enter the request by hand` };
  }
  if (form.lines.length > 0) notes.push(`${form.lines.length} filled form field${form.lines.length === 1 ? '' : 's'}`);
  if (blankPages.length > 0 && pages.length > 0) {
    notes.push(`${blankPages.length === 1 ? 'page' : 'pages'} ${blankPages.join(', ')} of ${doc.numPages} ${blankPages.length === 1 ? 'has' : 'have'} no text (a scan or a picture?): look at ${blankPages.length === 1 ? 'it' : 'them'}`);
  }
  const text = [form.lines.join('\n'), ...pages].filter(Boolean).join('\n\n');
  return {
    text: cutText(text, MAX_ATTACHMENT_TEXT_CHARS, `the text of ${name}`, notes),
    source: form.lines.length > 0 ? 'form' : 'text',
    notes,
  };
}

/** The parts of a pdf.js annotation read here. */
interface Annotation {
  subtype?: unknown;
  id?: unknown;
  rect?: unknown;
  annotationFlags?: unknown;
  hidden?: unknown;
  alternativeText?: unknown;
  contentsObj?: { str?: unknown };
  fieldType?: unknown;
  fieldValue?: unknown;
  multiLine?: unknown;
  defaultAppearanceData?: { fontSize?: unknown };
}

/** Longer text in one box is not a field value or a note typed onto a form. */
const MAX_BOX_CHARS = 10_000;

/**
 * From a page's annotations: text typed onto the page (FreeText) and the values of text and
 * choice fields, placed like page text so a form reads "PIN:<TAB>4321" even when its fields are
 * named "Text7"; and the tooltips of form widgets, which name a field better than "Text7" does.
 */
function readAnnotations(annotations: unknown[], viewport: Matrix, tooltips: Map<string, string>): PlacedText[] {
  const placed: PlacedText[] = [];
  for (const entry of annotations) {
    if (typeof entry !== 'object' || entry === null) continue;
    const annotation = entry as Annotation;
    if (!Array.isArray(annotation.rect) || annotation.hidden === true || (Number(annotation.annotationFlags) & 2) !== 0) continue;
    const rect = annotation.rect as number[];
    const size = Number(annotation.defaultAppearanceData?.fontSize) || undefined;
    if (annotation.subtype === 'FreeText' && typeof annotation.contentsObj?.str === 'string') {
      placed.push(...placeBoxText(annotation.contentsObj.str.slice(0, MAX_BOX_CHARS), rect, size, viewport, false));
    }
    if (annotation.subtype !== 'Widget') continue;
    if (typeof annotation.id === 'string' && typeof annotation.alternativeText === 'string') tooltips.set(annotation.id, annotation.alternativeText);
    const value = Array.isArray(annotation.fieldValue) ? annotation.fieldValue.join(', ') : annotation.fieldValue;
    if ((annotation.fieldType === 'Tx' || annotation.fieldType === 'Ch') && typeof value === 'string' && value.trim()) {
      placed.push(...placeBoxText(value.slice(0, MAX_BOX_CHARS), rect, size, viewport, annotation.multiLine !== true));
    }
  }
  return placed;
}

/** A page's own viewport when pdf.js gives none: y flipped on a US Letter page. */
const PDF_TO_TOP_DOWN: Matrix = [1, 0, 0, -1, 0, 792];

function toMatrix(value: unknown): Matrix | undefined {
  if (!Array.isArray(value) || value.length !== 6 || !value.every((n) => typeof n === 'number')) return undefined;
  return value as unknown as Matrix;
}

/** `promise`, or TimeUp once the deadline passes. */
function beforeDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  const left = deadline - Date.now();
  if (left <= 0) return Promise.reject(new TimeUp());
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeUp()), left);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
