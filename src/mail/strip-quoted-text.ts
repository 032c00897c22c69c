/**
 * The new text of a reply: what the customer typed, with the quoted history and the signature
 * removed. The decision on a port-out is read from this text alone (SPEC §3 rule 5), so every rule
 * here errs toward removing too much: a lost "yes" makes the reply unclear and the customer is asked
 * again, while a kept quote would let the verification's own instructions decide.
 *
 * The line rules (quote headers, Outlook blocks, signatures, in a dozen languages) are
 * text/quotes.ts's, shared with the readers of carrier mail; this file adds what only a reply
 * needs: the HTML part's structure, and email-reply-parser's second look at what is left.
 */
import EmailReplyParser from 'email-reply-parser';
import { parse, type HTMLElement, type Node } from 'node-html-parser';
import { MAX_HTML_DEPTH } from './limits.js';
import { htmlNestingDepth, htmlToText } from './text/html-to-text.js';
import { normalizeText, walkQuotedLines, type QuoteWalkOptions } from './text/quotes.js';

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

/** A rule line alone ends a reply's new text: what is under it is Outlook's quoted message. */
const REPLY_WALK: QuoteWalkOptions = { ruleStartsHistory: true };

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
/** email-reply-parser reads a reply's new text this long at most, with lines this long at most. */
const MAX_LIBRARY_CHARS = 16_384;
const MAX_LIBRARY_LINE_CHARS = 500;

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
  const own = walkQuotedLines(normalizeText(text).split('\n'), REPLY_WALK);
  const ownText = tidy(own.kept);
  // email-reply-parser's patterns backtrack on long lines ("^(.*)[0-9]{4}(.*)from(.*)<(.*)>:$"):
  // a reply too long for it is read by the desk's own rules alone.
  if (ownText.length > MAX_LIBRARY_CHARS || ownText.split('\n').some((line) => line.length > MAX_LIBRARY_LINE_CHARS)) {
    return { newText: ownText, notes: [...own.notes, 'too long for email-reply-parser: read by the quote rules alone'], quoteFound: own.quoteFound };
  }
  const email = replyParser.read(ownText);
  const libraryQuote = email.getFragments().some((fragment) => fragment.isQuoted() && fragment.getContent().trim() !== '');
  const newText = tidy(normalizeText(email.getVisibleText()).split('\n'));
  const notes = [...own.notes];
  if (newText !== ownText) notes.push('email-reply-parser removed further quoted or signature lines');
  return { newText, notes, quoteFound: own.quoteFound || libraryQuote };
}

function stripHtml(html: string): Stripped {
  // The parser's cost grows with the square of the nesting depth; a document nested deeper than
  // any mail client writes is read as text, by the quote rules alone.
  const depth = htmlNestingDepth(html);
  if (depth > MAX_HTML_DEPTH) {
    const asText = stripPlainText(htmlToText(html));
    return { ...asText, notes: [`HTML nested ${depth} elements deep: read as text`, ...asText.notes] };
  }
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
  const text = walkQuotedLines(normalizeText(root.structuredText).split('\n'), REPLY_WALK);
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

/** Trims the kept lines and folds runs of blank lines. */
function tidy(lines: readonly string[]): string {
  return lines
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
