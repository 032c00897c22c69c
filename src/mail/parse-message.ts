/**
 * Raw bytes to an InboundMessage, with mailparser's simpleParser, never throwing.
 *
 * Whatever is wrong with a message is written into `defects` and the message is still returned,
 * because a message that cannot be parsed must still be logged, moved to Review and told to
 * support (SPEC §10). Known mailparser traps are worked around here: leading blank lines make it
 * see no headers at all, and a multipart whose boundary never occurs gives an empty body.
 */
import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type EmailAddress, type HeaderValue, type ParsedMail } from 'mailparser';
import { htmlToText } from './text/html-to-text.js';
import type { InboundAttachment, InboundMessage, Mailbox } from './types.js';

/** Attachments above this are dropped (name and size kept): no port request needs them. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
/** A forwarded original may itself forward one; deeper nesting is not read. */
const MAX_EMBEDDED_DEPTH = 3;

export async function parseMessage(raw: Buffer): Promise<InboundMessage> {
  return parseAtDepth(raw, 0);
}

async function parseAtDepth(raw: Buffer, depth: number): Promise<InboundMessage> {
  const key = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  const defects: string[] = [];
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
    defects.push(`unreadable MIME: ${error instanceof Error ? error.message : String(error)}`);
  }

  if (parsed) {
    const repaired = await repairBoundary(source, parsed, defects);
    if (repaired) parsed = repaired;
  }

  for (const charset of findUnknownCharsets(source)) defects.push(`unknown charset ${charset}`);

  const message = parsed
    ? await buildMessage(parsed, key, raw.length, defects, depth)
    : fallbackMessage(source, key, raw.length, defects);

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
  });
}

async function buildMessage(
  parsed: ParsedMail,
  key: string,
  size: number,
  defects: string[],
  depth: number,
): Promise<InboundMessage> {
  const headers = collectHeaders(parsed);
  const messageId = firstMessageId(parsed.messageId);
  const html = typeof parsed.html === 'string' && parsed.html.trim() ? parsed.html : undefined;
  let text = parsed.text ?? '';
  if (!text.trim() && html) text = htmlToText(html, defects);

  const attachments: InboundAttachment[] = [];
  const embedded: InboundMessage[] = [];
  for (const attachment of parsed.attachments) {
    const content = Buffer.isBuffer(attachment.content) ? attachment.content : Buffer.alloc(0);
    const name = attachment.filename ?? attachment.contentType;
    if (content.length > MAX_ATTACHMENT_BYTES) {
      defects.push(`attachment ${name} (${formatMegabytes(content.length)}) dropped: over 10 MB`);
      attachments.push({
        ...(attachment.filename ? { filename: attachment.filename } : {}),
        contentType: attachment.contentType,
        size: content.length,
        content: Buffer.alloc(0),
        dropped: true,
      });
      continue;
    }
    if (attachment.contentType.toLowerCase() === 'message/rfc822' && depth < MAX_EMBEDDED_DEPTH) {
      embedded.push(await parseAtDepth(content, depth + 1));
    }
    attachments.push({
      ...(attachment.filename ? { filename: attachment.filename } : {}),
      contentType: attachment.contentType,
      size: content.length,
      content,
    });
  }

  const from = firstMailbox(parsed.from);
  const senderProblem = findSenderProblem(parsed);
  const replyTo = firstMailbox(parsed.replyTo);
  const inReplyTo = firstMessageId(parsed.inReplyTo);
  const message: InboundMessage = {
    key: messageId ?? key,
    to: allMailboxes(parsed.to),
    cc: allMailboxes(parsed.cc),
    subject: parsed.subject ?? '',
    references: messageIds(parsed.references),
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

/** When mailparser itself gave up: keep what can be read of the bytes so a person can look. */
function fallbackMessage(source: Buffer, key: string, size: number, defects: string[]): InboundMessage {
  const body = splitHeaderBlock(source.toString('utf8')).body;
  return {
    key,
    to: [],
    cc: [],
    subject: '',
    references: [],
    headers: {},
    contentType: 'text/plain',
    text: body.slice(0, 1_000_000),
    attachments: [],
    defects,
    size,
  };
}

/* ------------------------------------------------------------------ headers and addresses */

function collectHeaders(parsed: ParsedMail): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of parsed.headers) {
    const text = headerText(value);
    if (text !== undefined && headers[name] === undefined) headers[name] = text;
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
  const ids: string[] = [];
  for (const item of values) {
    const bracketed = item.match(/<[^<>\s]+>/g);
    const found = bracketed ? bracketed.map((id) => id.slice(1, -1)) : item.split(/\s+/).filter(Boolean);
    for (const id of found) if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

function firstMessageId(value: string | undefined): string | undefined {
  return messageIds(value)[0];
}

/* ------------------------------------------------------------------ repairs and checks */

/** Bytes of blank lines before the first header; mailparser would read no headers at all. */
function countLeadingBlankBytes(raw: Buffer): number {
  const head = raw.subarray(0, 4096).toString('latin1');
  const match = /^(?:[ \t]*\r?\n)+/.exec(head);
  return match ? match[0].length : 0;
}

/** Control bytes other than tab, CR, LF and form feed in the first 4 KB mean it is not text. */
function looksBinary(raw: Buffer): boolean {
  const sample = raw.subarray(0, 4096);
  if (sample.length === 0) return false;
  let control = 0;
  for (const byte of sample) {
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c) || byte === 0x7f) {
      control += 1;
    }
  }
  return control / sample.length > 0.05;
}

function splitHeaderBlock(source: string): { header: string; body: string } {
  const match = /\r?\n\r?\n/.exec(source);
  if (!match) return { header: source, body: '' };
  return { header: source.slice(0, match.index), body: source.slice(match.index + match[0].length) };
}

/**
 * A multipart whose declared boundary never appears gives an empty body. When the body does use
 * one other boundary, parse again with that one; otherwise keep the body as plain text.
 */
async function repairBoundary(source: Buffer, parsed: ParsedMail, defects: string[]): Promise<ParsedMail | undefined> {
  const contentType = parsed.headers.get('content-type');
  if (!contentType || typeof contentType !== 'object' || !('value' in contentType) || Array.isArray(contentType)) {
    return undefined;
  }
  const structured = contentType as { value: string; params?: Record<string, string> };
  if (!/^multipart\//i.test(structured.value)) return undefined;
  const boundary = structured.params?.boundary;
  const text = source.toString('latin1');
  const { header, body } = splitHeaderBlock(text);
  if (boundary && body.includes(`--${boundary}`)) {
    const hasContent = (parsed.text ?? '').trim() || parsed.html || parsed.attachments.length > 0;
    if (!hasContent && !/\S/.test(body.split(`--${boundary}`).slice(1).join('').replace(/--\s*$/, ''))) {
      defects.push('multipart with no parts');
    }
    return undefined;
  }
  if (!/\S/.test(body)) {
    defects.push('multipart with no parts');
    return undefined;
  }
  defects.push(boundary ? `broken MIME boundary: "${boundary}" never occurs` : 'broken MIME boundary: none declared');

  const candidate = /^--([^\s]{1,200}?)(?:--)?[ \t]*\r?$/m.exec(body)?.[1];
  if (candidate) {
    const fixedHeader = /boundary\s*=/i.test(header)
      ? header.replace(/boundary\s*=\s*(?:"[^"]*"|[^;\s]+)/i, `boundary="${candidate}"`)
      : header.replace(/^(content-type:[^\r\n]*)/im, `$1; boundary="${candidate}"`);
    try {
      const reparsed = await parseWithMailparser(Buffer.from(fixedHeader + text.slice(header.length), 'latin1'));
      if ((reparsed.text ?? '').trim() || reparsed.html || reparsed.attachments.length > 0) {
        defects.push(`read with the boundary the body uses ("${candidate}")`);
        return reparsed;
      }
    } catch {
      // fall through to the plain-text reading below
    }
  }
  if (/\S/.test(body) && !(parsed.text ?? '').trim()) {
    defects.push('body kept as plain text');
    return { ...parsed, text: Buffer.from(body, 'latin1').toString('utf8') };
  }
  return undefined;
}

/** Charsets named in Content-Type parameters and encoded words that no decoder here knows. */
function findUnknownCharsets(source: Buffer): string[] {
  const text = source.toString('latin1');
  const names = new Set<string>();
  for (const match of text.matchAll(/charset\s*=\s*"?([^"';\s]+)/gi)) if (match[1]) names.add(match[1]);
  for (const match of text.matchAll(/=\?([^?*\s]+)(?:\*[^?]*)?\?[BQ]\?/gi)) if (match[1]) names.add(match[1]);
  const unknown: string[] = [];
  for (const name of names) {
    if (!isKnownCharset(name)) unknown.push(name);
  }
  return unknown;
}

function isKnownCharset(name: string): boolean {
  const normal = name.toLowerCase();
  if (['utf8', 'utf-8', 'ascii', 'us-ascii', 'binary', '7bit', '8bit'].includes(normal)) return true;
  try {
    new TextDecoder(normal);
    return true;
  } catch {
    return false;
  }
}

function formatMegabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
