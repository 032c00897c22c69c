/**
 * The new text of a reply: what the customer typed, with the quoted history and the signature
 * removed. The decision on a port-out is read from this text alone (SPEC §3 rule 5), so every rule
 * here errs toward removing too much: a lost "yes" makes the reply unclear and the customer is asked
 * again, while a kept quote would let the verification's own instructions decide.
 */
import EmailReplyParser from 'email-reply-parser';
import { parse, type HTMLElement, type Node } from 'node-html-parser';

export interface ReplyBody {
  text: string;
  html?: string;
}

export interface NewTextExtraction {
  newText: string;
  /** What was removed and why, for inspect and Review. */
  notes: string[];
}

interface Stripped extends NewTextExtraction {
  /** Whether quoted history (not merely a signature) was found and removed. */
  quoteFound: boolean;
}

/**
 * "On … wrote:" and its translations. `wraps` marks headers that start with a fixed word, so a
 * header broken over two or three lines by the sender's client can be recognised by joining the
 * lines; headers recognised only by their closing verb are tested on one line, because joining
 * would swallow the customer's last line of new text into the header.
 */
const QUOTE_HEADERS: readonly { language: string; pattern: RegExp; wraps: boolean }[] = [
  // Also Apple Mail's "On 10 Mar 2025, at 10:14, Porting Desk <…> wrote:".
  { language: 'English', pattern: /^On\s.{4,300}\swrote\s*:?$/i, wraps: true },
  { language: 'French', pattern: /^Le\s.{4,300}\sa\s+écrit\s*:?$/i, wraps: true },
  { language: 'German', pattern: /^Am\s.{4,300}\sschrieb(?:\s.{0,300})?:$/i, wraps: true },
  { language: 'Spanish', pattern: /^El\s.{4,300}\sescribió\s*:?$/i, wraps: true },
  { language: 'Dutch', pattern: /^Op\s.{4,300}\sschreef(?:\s.{0,300})?:$/i, wraps: true },
  { language: 'Italian', pattern: /^(?:Il|In\s+data)\s.{4,300}\sha\s+scritto\s*:?$/i, wraps: true },
  { language: 'Portuguese', pattern: /^(?:Em|Às|No\s+dia)\s.{4,300}\sescreveu\s*:?$/i, wraps: true },
  { language: 'Swedish/Danish/Norwegian', pattern: /^Den\s.{4,300}\sskrev(?:\s.{0,300})?:$/i, wraps: true },
  { language: 'Finnish', pattern: /^(?:ma|ti|ke|to|pe|la|su)\s+\d.{2,300}\skirjoitti\s*:?$/i, wraps: true },
  { language: 'Polish', pattern: /^(?:W\s+dniu|Dnia)\s.{4,300}\s(?:napisał\(a\)|napisała|napisał|pisze)\s*:?$/i, wraps: true },
  { language: 'ISO date', pattern: /^\d{4}-\d{2}-\d{2}\s.{0,300}<[^<>\s]+@[^<>\s]+>\s*:$/, wraps: true },
  { language: 'English', pattern: /^.{1,200}\swrote\s*:$/i, wraps: false },
  { language: 'German', pattern: /^.{1,200}\sschrieb(?:\s.{0,200})?:$/i, wraps: false },
  { language: 'Dutch', pattern: /^.{1,200}\sschreef(?:\s.{0,200})?:$/i, wraps: false },
  { language: 'Swedish/Danish/Norwegian', pattern: /^.{1,200}\sskrev(?:\s.{0,200})?:$/i, wraps: false },
  { language: 'Finnish', pattern: /^.{1,200}\skirjoitti\s*:$/i, wraps: false },
  { language: 'French', pattern: /^.{1,200}\sa\s+écrit\s*:$/i, wraps: false },
  { language: 'Spanish', pattern: /^.{1,200}\sescribió\s*:$/i, wraps: false },
  { language: 'Italian', pattern: /^.{1,200}\sha\s+scritto\s*:$/i, wraps: false },
  { language: 'Portuguese', pattern: /^.{1,200}\sescreveu\s*:$/i, wraps: false },
  { language: 'Russian', pattern: /^.{1,200}\sнаписал(?:а)?\s*:$/i, wraps: false },
];

/** "-----Original Message-----" and its translations, as the clients write them between dashes. */
const ORIGINAL_MESSAGE_LABELS: readonly string[] = [
  'Original Message', "Message d'origine", 'Ursprüngliche Nachricht', 'Mensaje original', 'Oorspronkelijk bericht',
  'Messaggio originale', 'Mensagem original', 'Ursprungligt meddelande', 'Alkuperäinen viesti', 'Oprindelig meddelelse',
  'Opprinnelig melding', 'Forwarded message', 'Message transféré', 'Weitergeleitete Nachricht', 'Mensaje reenviado',
  'Doorgestuurd bericht',
];

/** Lines after which everything is the previous message (Outlook and most desktop clients). */
const HISTORY_SEPARATORS: readonly RegExp[] = [
  new RegExp(`^-{2,}\\s*(?:${ORIGINAL_MESSAGE_LABELS.join('|')})\\s*-*$`, 'i'),
  // Outlook's rule line above its From:/Sent: block.
  /^_{10,}$/,
];

/** Field names of the header block Outlook puts above the quoted message, in several languages. */
const OUTLOOK_FROM_NAMES = ['From', 'De', 'Von', 'Van', 'Da', 'Från', 'Fra', 'Lähettäjä', 'Od', 'Expéditeur', 'Remitente', 'От'];
const OUTLOOK_FIELD_NAMES = [
  'Sent', 'Date', 'To', 'Cc', 'Subject', // English
  'Envoyé', 'À', 'Objet', // French
  'Gesendet', 'An', 'Betreff', 'Datum', // German
  'Enviado', 'Fecha', 'Para', 'Asunto', 'Assunto', // Spanish, Portuguese
  'Verzonden', 'Aan', 'Onderwerp', // Dutch
  'Inviato', 'Data', 'A', 'Oggetto', // Italian
  'Skickat', 'Till', 'Ämne', 'Sendt', 'Til', 'Emne', // Swedish, Danish, Norwegian
  'Lähetetty', 'Vastaanottaja', 'Aihe', 'Kopio', // Finnish
];
const OUTLOOK_FROM = new RegExp(`^\\*?\\s*(?:${OUTLOOK_FROM_NAMES.join('|')})\\s*:\\*?\\s*\\S`, 'i');
const OUTLOOK_FIELD = new RegExp(`^\\*?\\s*(?:${OUTLOOK_FIELD_NAMES.join('|')})\\s*:`, 'i');

/**
 * Lines that open a signature. Everything after one, up to the next quoted block, is dropped.
 * Mobile footers are limited in length so that a sentence starting "Sent from…" is not taken.
 */
const SIGNATURE_STARTS: readonly RegExp[] = [
  /^--\s*$/,
  /^(?:Sent from|Sent with|Sent via|Get Outlook for|Envoyé de|Envoyé depuis|Envoyé à partir de|Von meinem|Gesendet von|Enviado desde|Enviado do|Enviado de|Enviado a partir do|Verzonden vanaf|Verstuurd vanaf|Verzonden met|Inviato da|Skickat från|Sendt fra|Lähetetty)\b.{0,80}$/i,
];

/** HTML elements that hold quoted history or a signature; removed with their content. */
const HTML_QUOTE_SELECTORS: readonly string[] = [
  'blockquote',
  '[type=cite]',
  '.gmail_quote',
  '.gmail_extra',
  '.yahoo_quoted',
  'div.moz-cite-prefix',
  '.protonmail_quote',
];
const HTML_SIGNATURE_SELECTORS: readonly string[] = ['.gmail_signature', '.moz-signature', '#Signature'];
/** HTML elements where the quoted history begins; they and everything after them are removed. */
const HTML_HISTORY_STARTS: readonly string[] = [
  '#divRplyFwdMsg',
  '#appendonsend',
  '#mail-editor-reference-message-container',
  'div.OutlookMessageHeader',
];

const replyParser = new EmailReplyParser();

/**
 * How much of a part is read. A customer's answer sits near the top (or under a quote of one
 * e-mail); reading megabytes of a runaway body would only stall the daemon.
 */
const MAX_PART_CHARS = 200_000;

/**
 * Returns the new text of a reply. The plain text part is read unless it shows no quote while the
 * HTML part marks one: then the text part is the HTML flattened by the sender (or by the parser),
 * and the HTML's structure is the better guide.
 */
export function extractNewText(body: ReplyBody): NewTextExtraction {
  const limitNotes: string[] = [];
  const limit = (part: string, label: string): string => {
    if (part.length <= MAX_PART_CHARS) return part;
    limitNotes.push(`read only the first ${MAX_PART_CHARS} characters of the ${label} (${part.length} in all)`);
    return part.slice(0, MAX_PART_CHARS);
  };
  const text = limit(body.text, 'plain text part');
  const html = body.html === undefined ? undefined : limit(body.html, 'HTML part');
  const hasText = text.trim() !== '';
  const hasHtml = html !== undefined && html.trim() !== '';
  const fromText = hasText ? stripPlainText(text) : undefined;
  const fromHtml = hasHtml && html !== undefined ? stripHtml(html) : undefined;

  if (fromText === undefined && fromHtml === undefined) {
    return { newText: '', notes: ['the message has no body'] };
  }
  if (fromText !== undefined && (fromHtml === undefined || fromText.quoteFound || !fromHtml.quoteFound)) {
    return { newText: fromText.newText, notes: ['read the plain text part', ...limitNotes, ...fromText.notes] };
  }
  if (fromHtml !== undefined) {
    const why = hasText
      ? 'read the HTML part: the plain text part shows no quoted history but the HTML marks some'
      : 'read the HTML part: the message has no plain text part';
    return { newText: fromHtml.newText, notes: [why, ...limitNotes, ...fromHtml.notes] };
  }
  return { newText: '', notes: ['the message has no body'] };
}

function stripPlainText(text: string): Stripped {
  // Our own pass goes first: it knows where a quoted block ends, so text after it (bottom-posting,
  // inline answers) stays. The library's output loses that structure (it keeps a quote header once
  // the quote under it is gone), so it only gets the new text, to catch headers and signatures that
  // our rules miss.
  const own = stripLines(normalizeText(text).split('\n'));
  const ownText = tidy(own.kept);
  const email = replyParser.read(ownText);
  const libraryQuote = email.getFragments().some((fragment) => fragment.isQuoted() && fragment.getContent().trim() !== '');
  const newText = tidy(normalizeText(email.getVisibleText()).split('\n'));
  const notes = [...own.notes];
  if (newText !== ownText) notes.push('email-reply-parser removed further quoted or signature lines');
  return { newText, notes, quoteFound: own.quoteFound || libraryQuote };
}

/** Walks the lines top to bottom, keeping new text before, between and after quoted blocks. */
function stripLines(lines: readonly string[]): { kept: string[]; notes: string[]; quoteFound: boolean } {
  const kept: string[] = [];
  const notes: string[] = [];
  let quoteFound = false;
  const noteQuote = (note: string): void => {
    quoteFound = true;
    if (!notes.includes(note)) notes.push(note);
  };
  let inSignature = false;
  let index = 0;
  while (index < lines.length) {
    const line = lines[index] ?? '';
    const trimmed = line.trim();

    if (isQuoteLine(trimmed)) {
      noteQuote('removed lines quoted with ">"');
      inSignature = false;
      index += 1;
      continue;
    }

    const header = findQuoteHeader(lines, index);
    if (header !== undefined) {
      let next = index + header.lineCount;
      while (next < lines.length && (lines[next] ?? '').trim() === '') next += 1;
      if (next < lines.length && isQuoteLine((lines[next] ?? '').trim())) {
        // A header over a ">" block: the block ends the quote, and text after it is new (bottom-posting).
        noteQuote(`removed a quote header (${header.language})`);
        inSignature = false;
        index = next;
        continue;
      }
      noteQuote(`removed a quote header (${header.language}) and everything after it`);
      break;
    }

    if (HISTORY_SEPARATORS.some((pattern) => pattern.test(trimmed))) {
      noteQuote(`removed the quoted history after "${trimmed.slice(0, 40)}"`);
      break;
    }

    if (isOutlookHeaderBlock(lines, index)) {
      noteQuote('removed an Outlook "From: / Sent: / To: / Subject:" block and everything after it');
      break;
    }

    // Rules left by flattened HTML (<hr>) carry nothing; dropping them keeps the new text clean.
    if (/^[-_=~*]{3,}$/.test(trimmed) && !/^--$/.test(trimmed)) {
      index += 1;
      continue;
    }

    if (SIGNATURE_STARTS.some((pattern) => pattern.test(trimmed))) {
      const note = `removed a signature starting "${trimmed.slice(0, 40)}"`;
      if (!notes.includes(note)) notes.push(note);
      inSignature = true;
      index += 1;
      continue;
    }

    if (!inSignature) kept.push(line);
    index += 1;
  }
  return { kept, notes, quoteFound };
}

function isQuoteLine(line: string): boolean {
  return /^\s*>/.test(line);
}

/** The quote header that starts at `index`, possibly wrapped over up to three lines. */
function findQuoteHeader(
  lines: readonly string[],
  index: number,
): { language: string; lineCount: number } | undefined {
  const first = cleanHeaderLine(lines[index] ?? '');
  if (first === '') return undefined;
  let candidate = first;
  for (let lineCount = 1; lineCount <= 3; lineCount += 1) {
    if (lineCount > 1) {
      const more = cleanHeaderLine(lines[index + lineCount - 1] ?? '');
      if (more === '') return undefined;
      candidate = `${candidate} ${more}`;
    }
    for (const header of QUOTE_HEADERS) {
      if (lineCount > 1 && !header.wraps) continue;
      if (!header.wraps && !/[@\d]/.test(candidate)) continue;
      if (header.pattern.test(candidate)) return { language: header.language, lineCount };
    }
  }
  return undefined;
}

/** Removes the bold markers and rules some clients put around a header line. */
function cleanHeaderLine(line: string): string {
  return line
    .trim()
    .replace(/^[-*_\s]+/, '')
    .replace(/[-*_\s]+$/, '')
    .replace(/\s+/g, ' ');
}

/** A From: line followed, within a few lines, by at least two more header fields. */
function isOutlookHeaderBlock(lines: readonly string[], index: number): boolean {
  if (!OUTLOOK_FROM.test((lines[index] ?? '').trim())) return false;
  let fields = 0;
  for (let next = index + 1; next < Math.min(lines.length, index + 8); next += 1) {
    const line = (lines[next] ?? '').trim();
    if (OUTLOOK_FIELD.test(line)) fields += 1;
  }
  return fields >= 2;
}

function stripHtml(html: string): Stripped {
  const notes: string[] = [];
  const root = parse(html, { comment: false });
  for (const element of root.querySelectorAll('head, style, script, title')) element.remove();

  let quoteFound = false;
  for (const selector of HTML_HISTORY_STARTS) {
    const start = root.querySelector(selector);
    if (start !== null) {
      removeFromHereOn(start, root);
      notes.push(`removed HTML ${selector} and everything after it`);
      quoteFound = true;
    }
  }
  for (const selector of HTML_QUOTE_SELECTORS) {
    const found = root.querySelectorAll(selector);
    if (found.length === 0) continue;
    for (const element of found) element.remove();
    notes.push(`removed HTML ${selector}`);
    quoteFound = true;
  }
  for (const selector of HTML_SIGNATURE_SELECTORS) {
    const found = root.querySelectorAll(selector);
    if (found.length === 0) continue;
    for (const element of found) element.remove();
    notes.push(`removed HTML signature ${selector}`);
  }

  // Quote headers, Outlook blocks and signatures outside any marked container are still plain text.
  const text = stripLines(normalizeText(root.structuredText).split('\n'));
  notes.push(...text.notes);
  return { newText: tidy(text.kept), notes, quoteFound: quoteFound || text.quoteFound };
}

/** Removes an element, its following siblings, and the following siblings of each ancestor. */
function removeFromHereOn(element: HTMLElement, root: HTMLElement): void {
  let node: Node = element;
  let parent = node.parentNode;
  let removeSelf = true;
  while (parent !== null) {
    const position = parent.childNodes.indexOf(node);
    if (position >= 0) parent.childNodes.splice(removeSelf ? position : position + 1);
    if (parent === root) break;
    removeSelf = false;
    node = parent;
    parent = node.parentNode;
  }
}

function normalizeText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u00a0\u2007\u202f]/g, ' ')
    .replace(/[\u200b-\u200d\u2060\ufeff]/g, '');
}

/** Trims the kept lines and folds runs of blank lines. */
function tidy(lines: readonly string[]): string {
  return lines
    .map((line) => line.replace(/\s+$/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
