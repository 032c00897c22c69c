/**
 * What the pure mail readers produce. `parseMessage` turns raw bytes into an InboundMessage; the
 * classifier, the carrier-request reader and the reply reader work on that alone.
 */
import type { MessageKind } from '../domain/records.js';
import type { FieldConflict, FieldSource, MergedField } from './merge-fields.js';

export interface Mailbox {
  address: string;
  name?: string;
}

export interface InboundAttachment {
  filename?: string;
  contentType: string;
  size: number;
  content: Buffer;
  /** True when the content was not kept (too large); filename, type and size remain. */
  dropped?: boolean;
  /** What the attachment says as text, read when the message was parsed (src/mail/attachments). */
  reading?: AttachmentReading;
}

/** An attachment as text for the readers: a PDF's text and form fields, a sheet's rows. */
export interface AttachmentReading {
  /** The filename, or the content type. */
  name: string;
  kind: 'pdf' | 'spreadsheet' | 'csv' | 'text' | 'html' | 'image' | 'archive' | 'other';
  /** "Label: value" per form field or label/value row; a PDF's or text file's lines in reading order. */
  text: string;
  /** How the text was found: PDF form fields, a table's rows, or running text. */
  source: 'form' | 'table' | 'text';
  /** Set when a person must read it: a scan, an encrypted PDF, an archive… in words. */
  unreadable?: string;
  notes: string[];
}

export interface InboundMessage {
  /** Message-ID without angle brackets, when the message has one. */
  messageId?: string;
  /** Message-ID, or `sha256:<hex>` of the raw bytes; the inbound log's key. */
  key: string;
  from?: Mailbox;
  /**
   * Set when the From line does not name exactly one sender: two From fields, two addresses, or a
   * display name that is itself another address (`"ceo@bank.test" <x@evil.test>`). Such a message
   * never speaks for anyone: parsers disagree on which address is "the" sender.
   */
  senderProblem?: string;
  replyTo?: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  subject: string;
  date?: Date;
  inReplyTo?: string;
  /** Message-IDs from References (without angle brackets), oldest first. */
  references: string[];
  /** Lower-cased header names to their (first) value as text. */
  headers: Record<string, string>;
  /** The content type of the top-level part, e.g. multipart/report; report-type=delivery-status. */
  contentType: string;
  /** Plain text body (derived from HTML when the message has only HTML). */
  text: string;
  html?: string;
  attachments: InboundAttachment[];
  /** Problems found while parsing: no From, no body, unknown charset, broken MIME… */
  defects: string[];
  /**
   * Where reading stopped short of the whole message, in words: a cap of src/mail/limits.ts (a
   * subject, text or header cut, too many parts, an attachment over 10 MB) or the reader's time
   * or memory limit. A message with limits is parked (TOO_LARGE), never acted on.
   */
  limits?: string[];
  size: number;
  /** Messages attached as message/rfc822 (a forwarded original), parsed in turn. */
  embedded?: InboundMessage[];
}

export interface Classification {
  kind: MessageKind;
  /** Why it was classified so, for logs, inspect and Review. */
  notes: string[];
}

/** Fields a carrier's port-out request can carry (SPEC §9 inspect `request`). */
export interface PortRequestFields {
  dids: string[];
  pon?: string;
  name?: string;
  company?: string;
  street?: string;
  city?: string;
  state?: string;
  zip?: string;
  accountNumber?: string;
  btn?: string;
  pin?: string;
  authorizedName?: string;
  /** ISO date. */
  requestedDate?: string;
  /** Requesting carrier's name and SPID, when stated. */
  carrierName?: string;
  spid?: string;
  /** The carrier's address: the forwarded original's From when support forwarded it, else From. */
  carrierEmail?: string;
}

export interface PortRequestReading {
  fields: PortRequestFields;
  /** Where each field was read (SPEC §15): labelled text, a table, a PDF form, an attachment, sentences. */
  sources: Partial<Record<MergedField, FieldSource>>;
  /** The body and an attachment (or two attachments) disagree: a person decides. */
  conflicts: FieldConflict[];
  /** Attachments a person must read (a scan, an encrypted PDF…), in words. */
  unreadable: string[];
  /** Required items that were not found, in words ("telephone numbers", "account name"). */
  missing: string[];
  /** Number-like strings that are not valid US numbers. */
  invalidNumbers: string[];
  notes: string[];
}

export type ReplyDecision = 'approve' | 'reject' | 'unclear';

export interface ReplyReading {
  decision: ReplyDecision;
  /** The new text of the reply, quoted history and signature removed. */
  newText: string;
  notes: string[];
}

export interface CsrRequestReading {
  name?: string;
  email?: string;
  techPrefix?: string;
  dids: string[];
  notes: string[];
}

/** A carrier's completion or cancellation notice. */
export interface CarrierNoticeReading {
  orderIds: string[];
  dids: string[];
  pon?: string;
  notes: string[];
}
