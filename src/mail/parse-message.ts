/**
 * Raw bytes to an InboundMessage, with mailparser's simpleParser, never throwing.
 *
 * Whatever is wrong with a message is written into `defects` and the message is still returned,
 * because a message that cannot be parsed must still be logged, moved to Review and told to
 * support (SPEC §10). Known mailparser traps are worked around here: leading blank lines make it
 * see no headers at all, and a multipart whose boundary never occurs gives an empty body.
 *
 * Reading is capped early (src/mail/limits.ts): mailparser is given the header and part limits
 * before it reads a byte, and the subject, header values, address lists, text and HTML are cut
 * to their caps. Where a cap left part of the message unread it says so in `limits`, and the
 * pipeline parks the message (TOO_LARGE) instead of acting on part of what its sender wrote.
 */
import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type EmailAddress, type HeaderValue, type ParsedMail } from 'mailparser';
import {
  cutText,
  formatCount,
  formatMegabytes,
  MAX_ATTACHMENT_BYTES,
  MAX_EMBEDDED_DEPTH,
  MAX_HEADER_BYTES,
  MAX_HEADER_VALUE_CHARS,
  MAX_HTML_CHARS,
  MAX_MAILBOXES_PER_FIELD,
  MAX_MIME_PARTS,
  MAX_REFERENCES,
  MAX_SUBJECT_CHARS,
  MAX_TEXT_CHARS,
} from './limits.js';
import { readAttachment } from './attachments/read-attachment.js';
import { countLeadingBlankBytes, findUnknownCharsets, looksBinary, repairBoundary, splitHeaderBlock } from './mime-repairs.js';
import { htmlToText } from './text/html-to-text.js';
import type { InboundAttachment, InboundMessage, Mailbox } from './types.js';

export async function parseMessage(raw: Buffer): Promise<InboundMessage> {
  try {
    return await parseAtDepth(raw, 0);
  } catch (err) {
    // Nothing above should throw; if a parser still does, the message is kept and parked.
    return fallbackMessage(raw, contentKey(raw), raw.length, [`the parser failed: ${(err as Error).message}`], []);
  }
}

async function parseAtDepth(raw: Buffer, depth: number): Promise<InboundMessage> {
  const key = contentKey(raw);
  const defects: string[] = [];
  const limits: string[] = [];
  let source = raw;

  if (looksBinary(raw)) defects.push('binary content: not a mail message');

  const leading = countLeadingBlankBytes(source);
  if (leading > 0) {
    defects.push('leading blank lines');
    source = source.subarray(leading);
  }

  let parsed: ParsedMail | undefined;
  try {
    parsed = await parseWithMailparser(source);
  } catch (error) {
    const err = error as Error & { code?: string };
    if (err.code === 'EMAXLEN') limits.push(capWording(err.message));
    else defects.push(`unreadable MIME: ${err instanceof Error ? err.message : String(err)}`);
  }

  if (parsed) {
    const repaired = await repairBoundary(source, parsed, defects, parseWithMailparser);
    if (repaired) parsed = repaired;
  }

  for (const charset of findUnknownCharsets(source)) defects.push(`unknown charset ${charset}`);

  const message = parsed
    ? await buildMessage(parsed, key, raw.length, defects, limits, depth)
    : fallbackMessage(source, key, raw.length, defects, limits);
  if (limits.length > 0) message.limits = limits;

  if (!message.from) defects.push('no From header');
  if (!message.messageId) defects.push('no Message-ID');
  if (!message.text.trim() && !message.html?.trim() && message.attachments.length === 0 && !message.embedded?.length) {
    defects.push('no body');
  }
  return message;
}

function parseWithMailparser(source: Buffer): Promise<ParsedMail> {
  return simpleParser(source, {
    // Our own HTML-to-text keeps table rows on one line (label and value side by side).
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipImageLinks: true,
    skipTextLinks: true,
    maxHeadSize: MAX_HEADER_BYTES,
    maxChildNodes: MAX_MIME_PARTS,
  });
}

/** mailsplit's EMAXLEN messages, in the desk's words. */
function capWording(message: string): string {
  if (/child nodes/i.test(message)) return `more than ${MAX_MIME_PARTS} MIME parts: not read`;
  if (/header size/i.test(message)) return `a header block over ${MAX_HEADER_BYTES / 1024} KB: not read`;
  return `${message}: not read`;
}

/** The inbound log's key for a message without a Message-ID. */
function contentKey(raw: Buffer): string {
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

/**
 * A message the desk did not read (the reader's time or memory limit, see adapters/parse-pool.ts):
 * its key, subject and Message-ID from the first lines of its header block, and why, in `limits`.
 * Nothing in it is acted on; it is there to be logged and parked in Review.
 */
export function unreadMessage(raw: Buffer, why: string): InboundMessage {
  const head = raw.subarray(0, 64 * 1024).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const header = (end >= 0 ? head.slice(0, end) : head).replace(/\r?\n[ \t]+/g, ' ');
  const messageId = /^message-id:[ \t]*<([^<>\s]{1,250})>/im.exec(header)?.[1];
  const subject = /^subject:[ \t]*(.{0,300})/im.exec(header)?.[1]?.trim() ?? '';
  const message: InboundMessage = {
    key: messageId ?? contentKey(raw),
    to: [],
    cc: [],
    subject,
    references: [],
    headers: {},
    contentType: 'text/plain',
    text: '',
    attachments: [],
    defects: [],
    limits: [why],
    size: raw.length,
  };
  if (messageId) message.messageId = messageId;
  return message;
}

async function buildMessage(
  parsed: ParsedMail,
  key: string,
  size: number,
  defects: string[],
  limits: string[],
  depth: number,
): Promise<InboundMessage> {
  const headers = collectHeaders(parsed, limits);
  const messageId = firstMessageId(parsed.messageId);
  const html = typeof parsed.html === 'string' && parsed.html.trim() ? cutText(parsed.html, MAX_HTML_CHARS, 'the HTML body', limits) : undefined;
  let text = parsed.text ?? '';
  if (!text.trim() && html) text = htmlToText(html, defects);
  text = cutText(text, MAX_TEXT_CHARS, 'the text', limits);

  const attachments: InboundAttachment[] = [];
  const embedded: InboundMessage[] = [];
  for (const attachment of parsed.attachments) {
    const content = Buffer.isBuffer(attachment.content) ? attachment.content : Buffer.alloc(0);
    const name = attachment.filename ?? attachment.contentType;
    if (content.length > MAX_ATTACHMENT_BYTES) {
      limits.push(`attachment ${name} (${formatMegabytes(content.length)}) dropped: over ${MAX_ATTACHMENT_BYTES / (1024 * 1024)} MB`);
      attachments.push({
        ...(attachment.filename ? { filename: attachment.filename } : {}),
        contentType: attachment.contentType,
        size: content.length,
        content: Buffer.alloc(0),
        dropped: true,
      });
      continue;
    }
    if (attachment.contentType.toLowerCase() === 'message/rfc822') {
      if (depth < MAX_EMBEDDED_DEPTH) {
        const inner = await parseAtDepth(content, depth + 1);
        // What was left unread inside a forwarded message was left unread in this one.
        for (const limit of inner.limits ?? []) if (!limits.includes(limit)) limits.push(limit);
        embedded.push(inner);
      } else limits.push(`forwarded messages nested more than ${MAX_EMBEDDED_DEPTH} deep: the innermost not read`);
    }
    const kept: InboundAttachment = {
      ...(attachment.filename ? { filename: attachment.filename } : {}),
      contentType: attachment.contentType,
      size: content.length,
      content,
    };
    // Read here, on the reader thread and within its time limit: a PDF or a workbook is the
    // heaviest thing a message can carry (SPEC §15).
    const reading = await readAttachment(kept);
    if (reading) kept.reading = reading;
    attachments.push(kept);
  }

  const from = firstMailbox(parsed.from);
  const senderProblem = findSenderProblem(parsed);
  const replyTo = firstMailbox(parsed.replyTo);
  const inReplyTo = firstMessageId(parsed.inReplyTo);
  const message: InboundMessage = {
    key: messageId ?? key,
    to: capList(allMailboxes(parsed.to), 'To', limits),
    cc: capList(allMailboxes(parsed.cc), 'Cc', limits),
    subject: cutText(parsed.subject ?? '', MAX_SUBJECT_CHARS, 'the subject', limits),
    references: trimReferences(messageIds(parsed.references)),
    headers,
    contentType: headers['content-type'] ?? 'text/plain',
    text,
    attachments,
    defects,
    size,
  };
  if (messageId) message.messageId = messageId;
  if (from) message.from = from;
  if (senderProblem) message.senderProblem = senderProblem;
  if (replyTo) message.replyTo = replyTo;
  if (parsed.date && !Number.isNaN(parsed.date.getTime())) message.date = parsed.date;
  if (inReplyTo) message.inReplyTo = inReplyTo;
  if (html) message.html = html;
  if (embedded.length > 0) message.embedded = embedded;
  return message;
}

/** Addresses beyond MAX_MAILBOXES_PER_FIELD in one field make a list, not a carrier's message. */
function capList(boxes: Mailbox[], field: string, limits: string[]): Mailbox[] {
  if (boxes.length <= MAX_MAILBOXES_PER_FIELD) return boxes;
  limits.push(`${formatCount(boxes.length)} addresses in ${field}: only the first ${MAX_MAILBOXES_PER_FIELD} read`);
  return boxes.slice(0, MAX_MAILBOXES_PER_FIELD);
}

/** The first Message-ID of a thread and the most recent ones, as RFC 5322 §3.6.4 trims References. */
function trimReferences(ids: string[]): string[] {
  return ids.length <= MAX_REFERENCES ? ids : [ids[0]!, ...ids.slice(ids.length - (MAX_REFERENCES - 1))];
}

/** When mailparser itself gave up: keep what can be read of the bytes so a person can look. */
function fallbackMessage(source: Buffer, key: string, size: number, defects: string[], limits: string[]): InboundMessage {
  const body = cutText(splitHeaderBlock(source.subarray(0, 4 * MAX_TEXT_CHARS).toString('utf8')).body, MAX_TEXT_CHARS, 'the text', limits);
  return {
    key,
    to: [],
    cc: [],
    subject: '',
    references: [],
    headers: {},
    contentType: 'text/plain',
    text: body,
    attachments: [],
    defects,
    size,
  };
}

/* ------------------------------------------------------------------ headers and addresses */

function collectHeaders(parsed: ParsedMail, limits: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of parsed.headers) {
    const text = headerText(value);
    if (text !== undefined && headers[name] === undefined) {
      // The subject has its own cap, applied where it is read.
      headers[name] = name === 'subject' ? text : cutText(text, MAX_HEADER_VALUE_CHARS, `the ${name.slice(0, 40)} header`, limits);
    }
  }
  return headers;
}

function headerText(value: HeaderValue): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (Array.isArray(value)) {
    const first = value[0];
    return first === undefined ? undefined : headerText(first);
  }
  if ('text' in value && typeof value.text === 'string') return value.text;
  if ('value' in value && typeof value.value === 'string') {
    const params = 'params' in value && value.params ? Object.entries(value.params as Record<string, string>) : [];
    return value.value + params.map(([k, v]) => `; ${k}=${v}`).join('');
  }
  return undefined;
}

function flattenAddresses(list: EmailAddress[]): Mailbox[] {
  const out: Mailbox[] = [];
  for (const entry of list) {
    if (entry.group) out.push(...flattenAddresses(entry.group));
    else if (entry.address && entry.address.includes('@')) {
      out.push(entry.name ? { address: entry.address, name: entry.name } : { address: entry.address });
    }
  }
  return out;
}

function allMailboxes(field: AddressObject | AddressObject[] | undefined): Mailbox[] {
  if (!field) return [];
  const objects = Array.isArray(field) ? field : [field];
  return objects.flatMap((object) => flattenAddresses(object.value));
}

/** Anything that looks like an address, in a display name or a raw header value. */
const ADDRESS_LIKE_RE = /[^\s<>"'(),;:[\]]+@[^\s<>"'(),;:[\]]+\.[^\s<>"'(),;:[\]]+/g;

/**
 * Whether the From line names one sender. mailparser reads `Name <a@x> <b@y>` as a@x with the
 * name "Name b@y", and a mail client may show either address: a sender is only taken when every
 * address-like string in the field, the parsed display name included, is the same address.
 */
function findSenderProblem(parsed: ParsedMail): string | undefined {
  // mailparser keeps header lines as latin1 text; an RFC 6532 address is UTF-8 on the wire.
  const raw = parsed.headerLines.filter((h) => h.key === 'from').map((h) => Buffer.from(h.line, 'latin1').toString('utf8').replace(/^from\s*:/i, ''));
  if (raw.length > 1) return `${raw.length} From header fields`;
  const found = new Set<string>();
  for (const box of allMailboxes(parsed.from)) {
    found.add(box.address.toLowerCase());
    for (const m of (box.name ?? '').matchAll(ADDRESS_LIKE_RE)) found.add(m[0].toLowerCase());
  }
  for (const line of raw) for (const m of line.matchAll(ADDRESS_LIKE_RE)) found.add(m[0].toLowerCase());
  return found.size > 1 ? `the From line names ${found.size} addresses (${[...found].slice(0, 3).join(', ')})` : undefined;
}

function firstMailbox(field: AddressObject | undefined): Mailbox | undefined {
  return allMailboxes(field)[0];
}

function messageIds(value: string | string[] | undefined): string[] {
  if (!value) return [];
  const values = Array.isArray(value) ? value : [value];
  const ids = new Set<string>();
  for (const item of values) {
    const bracketed = item.match(/<[^<>\s]+>/g);
    const found = bracketed ? bracketed.map((id) => id.slice(1, -1)) : item.split(/\s+/).filter(Boolean);
    for (const id of found) ids.add(id);
  }
  return [...ids];
}

function firstMessageId(value: string | undefined): string | undefined {
  return messageIds(value)[0];
}
