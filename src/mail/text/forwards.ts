/**
 * The forwarded original inside a message: support passing a carrier's request on, or a carrier
 * forwarding its own. What is read from a forward is the original's text, sender and subject, not
 * the forwarder's note above it.
 */
import { extractNumbers } from '../extract-numbers.js';
import type { InboundAttachment, InboundMessage, Mailbox } from '../types.js';
import { parseMailbox } from './mailboxes.js';
import { FORWARDED_MESSAGE_LABELS, ORIGINAL_MESSAGE_LABELS } from './quotes.js';
import { hasForwardSubject, hasReplySubject } from './subject-prefixes.js';

export interface ForwardedPart {
  style: 'gmail' | 'apple' | 'outlook' | 'original-message' | 'attached';
  from?: Mailbox;
  subject?: string;
  text: string;
  html?: string;
  attachments: InboundAttachment[];
}

/**
 * The forwarded original inside a message: an attached message/rfc822, or an inline block after
 * a Gmail/Apple marker. Outlook's "From:/Sent:" block and "-----Original Message-----" also start
 * quoted replies, so they count as a forward only under a forward subject or when nothing of
 * substance (no number) comes before them.
 */
export function findForwardedPart(msg: InboundMessage): ForwardedPart | undefined {
  const attached = msg.embedded?.[0];
  if (attached) {
    return {
      style: 'attached',
      ...(attached.from ? { from: attached.from } : {}),
      subject: attached.subject,
      text: attached.text,
      ...(attached.html ? { html: attached.html } : {}),
      attachments: attached.attachments,
    };
  }
  const reply = !hasForwardSubject(msg.subject) && (hasReplySubject(msg.subject) || msg.inReplyTo !== undefined || msg.references.length > 0);
  const inline = findInlineForward(msg.text, hasForwardSubject(msg.subject), reply);
  if (!inline) return undefined;
  return { ...inline, attachments: msg.attachments };
}

/** Gmail's and Apple Mail's forward markers say "forward" and nothing else: strong. */
const GMAIL_MARKER = new RegExp(String.raw`^[ \t>]*-{5,}[ \t]*(?:${FORWARDED_MESSAGE_LABELS.join('|')})[ \t]*-{3,}[ \t]*$`, 'im');
const APPLE_MARKER = /^[ \t>]*begin forwarded message:[ \t]*$/im;
/** "-----Original Message-----" in the languages the quote reader knows, and Outlook's header block: weak. */
const ORIGINAL_MARKER = new RegExp(String.raw`^[ \t>]*-{3,}[ \t]*(?:${ORIGINAL_MESSAGE_LABELS.join('|')})[ \t]*-{3,}[ \t]*$`, 'im');
const OUTLOOK_BLOCK = /^[ \t>]*(?:\*\*|_)?from:(?:\*\*|_)?[ \t]+\S.*\r?\n[ \t>]*(?:\*\*|_)?(?:sent|date):(?:\*\*|_)?[ \t]+\S/im;

/**
 * A forward written into the text (not attached). `forwardSubject` lets the weak markers count
 * whatever precedes them; `reply` makes them quoted history, never a forward.
 */
export function findInlineForward(
  text: string,
  forwardSubject: boolean,
  reply = false,
): Omit<ForwardedPart, 'attachments'> | undefined {
  const strong: Array<[ForwardedPart['style'], RegExp]> = [
    ['gmail', GMAIL_MARKER],
    ['apple', APPLE_MARKER],
  ];
  for (const [style, re] of strong) {
    const match = re.exec(text);
    if (match) return readForwardBlock(style, text.slice(match.index + match[0].length));
  }
  const weak: Array<[ForwardedPart['style'], RegExp, boolean]> = [
    ['original-message', ORIGINAL_MARKER, true],
    ['outlook', OUTLOOK_BLOCK, false],
  ];
  for (const [style, re, skipMarker] of weak) {
    const match = re.exec(text);
    if (!match) continue;
    const before = text.slice(0, match.index);
    if (!forwardSubject && (reply || extractNumbers(before).dids.length > 0)) continue;
    return readForwardBlock(style, text.slice(skipMarker ? match.index + match[0].length : match.index));
  }
  return undefined;
}

/** Reads the "From: / Date: / Subject: / To:" lines of a forwarded block, then its body. */
function readForwardBlock(style: ForwardedPart['style'], block: string): Omit<ForwardedPart, 'attachments'> {
  const lines = dequote(block).split(/\r?\n/);
  let index = 0;
  while (index < lines.length && (lines[index] ?? '').trim() === '') index += 1;
  const headers: Record<string, string> = {};
  const headerRe = /^[ \t]*(?:\*\*|_)?(from|sent|date|to|cc|subject|reply-to)(?:\*\*|_)?:(?:\*\*|_)?[ \t]*(.*)$/i;
  for (; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const header = headerRe.exec(line);
    if (header) {
      const name = (header[1] ?? '').toLowerCase();
      if (headers[name] === undefined) headers[name] = (header[2] ?? '').trim();
      continue;
    }
    if (line.trim() === '' && Object.keys(headers).length > 0) {
      index += 1;
      break;
    }
    // A header value wrapped onto the next line (long To: lists).
    if (/^[ \t]+\S/.test(line) && Object.keys(headers).length > 0) continue;
    break;
  }
  const from = headers.from ? parseMailbox(headers.from) : undefined;
  return {
    style,
    ...(from ? { from } : {}),
    ...(headers.subject !== undefined ? { subject: headers.subject } : {}),
    text: lines.slice(index).join('\n'),
  };
}

/** A forwarded block quoted with "> " on every line is read without the quote marks. */
function dequote(block: string): string {
  const lines = block.split(/\r?\n/);
  const content = lines.filter((line) => line.trim() !== '');
  if (content.length === 0 || !content.every((line) => /^[ \t]*>/.test(line))) return block;
  return lines.map((line) => line.replace(/^[ \t]*> ?/, '')).join('\n');
}

/**
 * The innermost quoted message of `text`: its first block of "> " lines, one level of quoting
 * removed, its header lines (From:, Sent:, To:, Subject:) dropped, and again while what is left is
 * itself quoted. Undefined when the text quotes nothing.
 */
export function quotedOriginal(text: string): string | undefined {
  let lines = text.split(/\r?\n/);
  let found: string | undefined;
  for (let depth = 0; depth < 5; depth += 1) {
    const start = lines.findIndex((line) => /^\s*>/.test(line));
    if (start < 0) break;
    let end = start;
    while (end < lines.length && (/^\s*>/.test(lines[end] ?? '') || (lines[end] ?? '').trim() === '')) end += 1;
    lines = lines.slice(start, end).map((line) => line.replace(/^\s*>\s?/, ''));
    while (lines.length && (/^(?:from|sent|date|to|cc|subject)\s*:/i.test(lines[0] ?? '') || (lines[0] ?? '').trim() === '')) lines.shift();
    found = lines.join('\n');
  }
  return found;
}
