/**
 * What an attachment is, from its first bytes, its name and its content type, in that order:
 * mail clients label attachments loosely (a CSV sent as application/vnd.ms-excel, a PDF as
 * application/octet-stream), while a file's own signature rarely lies.
 */
import type { InboundAttachment } from '../types.js';
import { listZip, readZipEntry, type ZipEntry } from './zip.js';

export type SniffedKind =
  | { kind: 'pdf' }
  /** `zip`: the parts of an xlsx or ods; 'unlisted' when a zip's directory does not read. */
  | { kind: 'spreadsheet'; zip?: ZipEntry[] | 'unlisted' }
  | { kind: 'csv' }
  | { kind: 'text' }
  | { kind: 'html' }
  | { kind: 'image' }
  | { kind: 'archive' }
  /** A document the desk does not read (Word, PowerPoint, Outlook's wrappers), in words. */
  | { kind: 'document'; what: string }
  /** Not part of a request: a signature, a calendar invitation, a forwarded message read elsewhere. */
  | { kind: 'ignored' }
  | { kind: 'unknown' };

const SPREADSHEET_NAME = /\.(?:xlsx|xlsm|xlsb|xls|ods)$/i;
const SPREADSHEET_TYPE =
  /^application\/(?:vnd\.ms-excel|vnd\.openxmlformats-officedocument\.spreadsheetml\.|vnd\.oasis\.opendocument\.spreadsheet|x-excel|excel)/i;
const CSV_NAME = /\.(?:csv|tsv|tab)$/i;
const CSV_TYPE = /^(?:text|application)\/(?:csv|x-csv|comma-separated-values|tab-separated-values)$/i;
const ARCHIVE_NAME = /\.(?:zip|rar|7z|gz|tgz|tar|bz2|xz|zst|cab|arj|lzh)$/i;
const ARCHIVE_TYPE =
  /^application\/(?:zip|x-zip(?:-compressed)?|x-rar(?:-compressed)?|vnd\.rar|x-7z-compressed|gzip|x-gzip|x-tar|x-gtar|x-bzip2?|x-xz|zstd|vnd\.ms-cab-compressed)$/i;
const IMAGE_NAME = /\.(?:png|jpe?g|gif|bmp|tiff?|webp|heic|heif|svg)$/i;
const WORD_NAME = /\.(?:docx?|docm|rtf|odt|pages)$/i;
const WORD_TYPE = /^(?:text\/rtf|application\/(?:msword|rtf|vnd\.openxmlformats-officedocument\.wordprocessingml\.|vnd\.oasis\.opendocument\.text))/i;
/** Parts that ride along with mail and never carry a request's fields. */
const IGNORED_TYPE =
  /^(?:message\/|text\/(?:calendar|x?-?vcard|rfc822-headers)$|application\/(?:pkcs7-signature|x-pkcs7-signature|pgp-signature|pgp-encrypted|pgp-keys|ics)$)/i;

export function sniff(attachment: InboundAttachment): SniffedKind {
  const content = attachment.content;
  const name = attachment.filename ?? '';
  const type = attachment.contentType.toLowerCase().split(';')[0]?.trim() ?? '';
  if (IGNORED_TYPE.test(type)) return { kind: 'ignored' };

  const head = content.subarray(0, 1024).toString('latin1');
  if (/%PDF-\d/.test(head)) return { kind: 'pdf' };
  if (content.length >= 4 && content.readUInt32LE(0) === 0x04034b50) return sniffZip(content, name, type);
  if (head.startsWith('\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1')) return sniffOle(name, type);
  if (isImage(head)) return { kind: 'image' };
  if (isArchive(content, head)) return { kind: 'archive' };

  if (/^application\/(?:ms-tnef|vnd\.ms-tnef)$/.test(type) || /^winmail\.dat$/i.test(name)) {
    return { kind: 'document', what: "an Outlook wrapper (winmail.dat); what it wraps is not opened" };
  }
  if (/\.pdf$/i.test(name) || type === 'application/pdf') return { kind: 'pdf' };
  if (CSV_NAME.test(name)) return { kind: 'csv' };
  // A file named .xls that is text is an HTML or CSV export: SheetJS reads those too.
  if (SPREADSHEET_NAME.test(name)) return { kind: 'spreadsheet' };
  if (/\.html?$/i.test(name)) return { kind: 'html' };
  if (/\.(?:txt|text|log)$/i.test(name)) return textOrUnknown(content);
  if (IMAGE_NAME.test(name)) return { kind: 'image' };
  if (ARCHIVE_NAME.test(name)) return { kind: 'archive' };
  if (WORD_NAME.test(name) || WORD_TYPE.test(type)) return { kind: 'document', what: 'a word-processor document' };

  if (CSV_TYPE.test(type)) return { kind: 'csv' };
  if (SPREADSHEET_TYPE.test(type)) return looksLikeText(content) ? { kind: 'csv' } : { kind: 'spreadsheet' };
  if (type === 'text/html') return { kind: 'html' };
  if (type.startsWith('image/')) return { kind: 'image' };
  if (ARCHIVE_TYPE.test(type)) return { kind: 'archive' };
  if (type.startsWith('text/') || looksLikeText(content)) return textOrUnknown(content);
  return { kind: 'unknown' };
}

/** A file said to be text that holds binary bytes is not read as text. */
function textOrUnknown(content: Buffer): SniffedKind {
  return content.length === 0 || looksLikeText(content) ? { kind: 'text' } : { kind: 'unknown' };
}

/** xlsx and ods are zip files; so are Word documents and plain archives. */
function sniffZip(content: Buffer, name: string, type: string): SniffedKind {
  const entries = listZip(content);
  if (!entries) return SPREADSHEET_NAME.test(name) || SPREADSHEET_TYPE.test(type) ? { kind: 'spreadsheet', zip: 'unlisted' } : { kind: 'archive' };
  const names = new Set(entries.map((entry) => entry.name));
  if (names.has('xl/workbook.xml') || names.has('xl/workbook.bin')) return { kind: 'spreadsheet', zip: entries };
  const mimetypeEntry = entries.find((entry) => entry.name === 'mimetype');
  const mimetype = mimetypeEntry ? readZipEntry(content, mimetypeEntry, 200) : undefined;
  const opendocument = Buffer.isBuffer(mimetype) ? mimetype.toString('latin1') : '';
  if (opendocument.startsWith('application/vnd.oasis.opendocument.spreadsheet')) return { kind: 'spreadsheet', zip: entries };
  if (names.has('word/document.xml') || opendocument.startsWith('application/vnd.oasis.opendocument.text')) {
    return { kind: 'document', what: 'a word-processor document' };
  }
  if (names.has('ppt/presentation.xml') || opendocument.startsWith('application/vnd.oasis.opendocument.presentation')) {
    return { kind: 'document', what: 'a presentation' };
  }
  return { kind: 'archive' };
}

/** The OLE2 container holds old Excel workbooks, but also Word documents and Outlook messages. */
function sniffOle(name: string, type: string): SniffedKind {
  if (/\.xl[st]$/i.test(name) || SPREADSHEET_TYPE.test(type)) return { kind: 'spreadsheet' };
  if (/\.msg$/i.test(name) || type === 'application/vnd.ms-outlook') return { kind: 'document', what: 'an Outlook message (.msg)' };
  if (/\.(?:doc|dot)$/i.test(name) || type === 'application/msword') return { kind: 'document', what: 'a word-processor document' };
  return { kind: 'document', what: 'an Office file of an unknown kind' };
}

function isImage(head: string): boolean {
  return (
    head.startsWith('\x89PNG\r\n\x1a\n') ||
    head.startsWith('\xff\xd8\xff') ||
    head.startsWith('GIF87a') ||
    head.startsWith('GIF89a') ||
    head.startsWith('II*\x00') ||
    head.startsWith('MM\x00*') ||
    (head.startsWith('BM') && head.length > 26 && head.charCodeAt(14) >= 12 && head.charCodeAt(15) === 0) ||
    (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') ||
    /^....ftyp(?:heic|heix|mif1|avif)/s.test(head)
  );
}

function isArchive(content: Buffer, head: string): boolean {
  return (
    head.startsWith('\x1f\x8b') ||
    head.startsWith('Rar!\x1a\x07') ||
    head.startsWith("7z\xbc\xaf'\x1c") ||
    /^BZh[1-9]/.test(head) ||
    head.startsWith('\xfd7zXZ\x00') ||
    head.startsWith('\x28\xb5\x2f\xfd') ||
    head.startsWith('MSCF') ||
    (content.length >= 262 && content.toString('latin1', 257, 262) === 'ustar')
  );
}

/** No NUL bytes and no other control characters than tabs and line ends in the first 8 KB. */
export function looksLikeText(content: Buffer): boolean {
  if (content.length >= 2 && ((content[0] === 0xff && content[1] === 0xfe) || (content[0] === 0xfe && content[1] === 0xff))) return true;
  const sample = content.subarray(0, 8192);
  for (const byte of sample) {
    if (byte < 0x09 || (byte > 0x0d && byte < 0x20 && byte !== 0x1b)) return false;
  }
  return sample.length > 0;
}
