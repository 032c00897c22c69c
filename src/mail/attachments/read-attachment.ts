/**
 * What a carrier attached to a port-out request, as text the label reader and the number reader
 * take: a PDF's form fields and page text, a workbook's or CSV's rows, a text or HTML file's text.
 * What cannot be read (a scan, an image, an archive, an encrypted or broken file) comes back with
 * `unreadable` saying why, for a person to look at; what holds nothing for a request (a signature
 * logo, a calendar invitation, an S/MIME signature) comes back as undefined.
 *
 * Never throws: every reader's failure is a reason in `unreadable`.
 */
import { cutText, formatMegabytes, MAX_ATTACHMENT_BYTES, MAX_HTML_CHARS } from '../limits.js';
import { htmlToText } from '../text/html-to-text.js';
import type { AttachmentReading, InboundAttachment } from '../types.js';
import { MAX_ATTACHMENT_TEXT_CHARS, MAX_LOGO_BYTES } from './caps.js';
import { decodeText } from './decode.js';
import { readDelimited } from './delimited.js';
import { readPdf } from './pdf.js';
import { sniff } from './sniff.js';
import { readSpreadsheet } from './spreadsheet.js';

export type { AttachmentReading };

type Kind = AttachmentReading['kind'];

/** A filename in notes; a real one is a few dozen characters. */
const MAX_NAME_CHARS = 200;

/**
 * An inline picture as mail clients name it (Outlook's image001.png, Apple Mail's unnamed parts):
 * under MAX_LOGO_BYTES it is a signature logo, not a scan (a scanned page is hundreds of KB).
 */
const LOGO_NAME = /^(?:image\d{1,4}|outlook-[\w-]{1,60}|~wrl\d{1,6})\.(?:png|jpe?g|gif|bmp)$/i;

export async function readAttachment(attachment: InboundAttachment): Promise<AttachmentReading | undefined> {
  const name = printable(attachment.filename ?? '') || printable(attachment.contentType) || 'attachment';
  try {
    return await read(attachment, name);
  } catch (error) {
    // The readers catch their own failures; this is the last guard.
    const why = error instanceof Error ? error.message.slice(0, 200) : String(error);
    return reading(name, 'other', '', 'text', [], `${name} could not be read (${why}): open it and enter the request by hand`);
  }
}

async function read(attachment: InboundAttachment, name: string): Promise<AttachmentReading | undefined> {
  const sniffed = sniff(attachment);
  if (sniffed.kind === 'ignored') return undefined;
  const kind: Kind = sniffed.kind === 'document' || sniffed.kind === 'unknown' ? 'other' : sniffed.kind;
  const content = attachment.content;

  if (attachment.dropped) {
    return reading(name, kind, '', 'text', [], `${name} (${formatMegabytes(attachment.size)}) was not kept: attachments over ${formatMegabytes(MAX_ATTACHMENT_BYTES)} are not read`);
  }
  if (content.length === 0) {
    // An empty text part is a mail client's leftover; an empty document is a failed upload.
    if (kind === 'text' || kind === 'html' || kind === 'other') return undefined;
    return reading(name, kind, '', 'text', [], `${name} is empty (0 bytes): ask the carrier to send it again`);
  }

  switch (sniffed.kind) {
    case 'pdf': {
      const pdf = await readPdf(name, content);
      return reading(name, 'pdf', pdf.text, pdf.source, pdf.notes, pdf.unreadable);
    }
    case 'spreadsheet': {
      const sheet = readSpreadsheet(name, content, sniffed.zip);
      return reading(name, 'spreadsheet', capped(sheet.text, name, sheet.notes), 'table', sheet.notes, sheet.unreadable);
    }
    case 'csv': {
      const text = decodeText(content, content.length);
      const tabSeparated = /\.(?:tsv|tab)$/i.test(name) || /tab-separated/i.test(attachment.contentType);
      const csv = readDelimited(text, tabSeparated);
      return reading(name, 'csv', capped(csv.text, name, csv.notes), csv.parsed ? 'table' : 'text', csv.notes);
    }
    case 'text': {
      const notes: string[] = [];
      const text = capped(decodeText(content, 4 * MAX_ATTACHMENT_TEXT_CHARS), name, notes);
      if (content.length > 4 * MAX_ATTACHMENT_TEXT_CHARS) notes.push(`${name} is ${formatMegabytes(content.length)}: only its beginning read`);
      return text.trim() ? reading(name, 'text', text, 'text', notes) : undefined;
    }
    case 'html': {
      const notes: string[] = [];
      const text = capped(htmlToText(decodeText(content, MAX_HTML_CHARS), notes), name, notes);
      return text.trim() ? reading(name, 'html', text, 'text', notes) : undefined;
    }
    case 'image':
      if (isLogo(attachment)) return undefined;
      return reading(name, 'image', '', 'text', [], `${name} is an image (a scan or a photo): read it and enter the request by hand`);
    case 'archive':
      return reading(name, 'archive', '', 'text', [], `${name} is an archive; archives are not opened: ask the carrier for the files themselves`);
    case 'document':
      return reading(name, 'other', '', 'text', [], `${name} is ${sniffed.what}, which is not read: open it and enter the request by hand`);
    case 'unknown':
      return reading(name, 'other', '', 'text', [], `${name} (${attachment.contentType}) is not a kind of file the desk reads: open it and enter the request by hand`);
  }
}

/** A name fit for a note: no control or direction characters (a name can hide "fdp.exe"), not too long. */
function printable(name: string): string {
  const clean = name.replace(/[\p{Cc}\p{Cf}]+/gu, ' ').replace(/\s+/g, ' ').trim();
  return clean.length > MAX_NAME_CHARS ? `${clean.slice(0, MAX_NAME_CHARS)}…` : clean;
}

function isLogo(attachment: InboundAttachment): boolean {
  if (attachment.content.length >= MAX_LOGO_BYTES) return false;
  const filename = attachment.filename?.trim() ?? '';
  return filename === '' || LOGO_NAME.test(filename);
}

function capped(text: string, name: string, notes: string[]): string {
  return cutText(text, MAX_ATTACHMENT_TEXT_CHARS, `the text of ${name}`, notes);
}

function reading(name: string, kind: Kind, text: string, source: AttachmentReading['source'], notes: string[], unreadable?: string): AttachmentReading {
  return { name, kind, text: unreadable ? '' : text, source, ...(unreadable ? { unreadable } : {}), notes };
}
