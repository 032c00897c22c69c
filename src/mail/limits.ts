/**
 * How much of a message the desk reads: every cap on parsing and reading, in one place (SPEC §10:
 * "every parser is linear and capped early"). Hostile mail is expected, so each cap sits where the
 * work starts, not where it ends: mailparser is told the header and part limits before it reads a
 * byte, text is cut before a reader walks it, numbers stop being collected once there are enough
 * to call the request a project port.
 *
 * A cap that changes what the desk sees of a message (a cut subject, a cut text, a dropped
 * attachment) is written into the message's defects, so the pipeline parks it in Review instead
 * of acting on part of what the sender wrote. A cap on what one reader reads says so in that
 * reader's notes.
 */

/**
 * A whole message: the embedded listener refuses a larger one (552); over IMAP only its first
 * MAX_OVERSIZE_PREFIX_BYTES are fetched, and it is parked unread.
 */
export const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;
/** What is fetched of a message over MAX_MESSAGE_BYTES: enough for its header block. */
export const MAX_OVERSIZE_PREFIX_BYTES = 64 * 1024;
/** The header block of one MIME node (mailsplit's maxHeadSize): a real one is a few KB. */
export const MAX_HEADER_BYTES = 256 * 1024;
/** MIME nodes in one message (mailsplit's maxChildNodes); it also bounds how deep they nest. */
export const MAX_MIME_PARTS = 100;
/** A forwarded original may itself forward one; deeper message/rfc822 nesting is not read. */
export const MAX_EMBEDDED_DEPTH = 3;
/** A subject longer than this is cut (and the cut is a defect): RFC 5322 lines stop at 998. */
export const MAX_SUBJECT_CHARS = 1_000;
/** Any other header value kept in `headers` is cut here (a defect too). */
export const MAX_HEADER_VALUE_CHARS = 16 * 1024;
/** Addresses kept per To, Cc or Reply-To field; more is a mailing list, not a carrier. */
export const MAX_MAILBOXES_PER_FIELD = 100;
/** Message-IDs kept from References: the first and the most recent, as RFC 5322 §3.6.4 trims. */
export const MAX_REFERENCES = 100;
/** The text handed to the readers; a request or a reply is a few KB. */
export const MAX_TEXT_CHARS = 256 * 1024;
/** The HTML part kept (and turned into text or searched for quotes). */
export const MAX_HTML_CHARS = 1024 * 1024;
/** Elements nested deeper than this are not given to the HTML parser (its cost grows with depth²). */
export const MAX_HTML_DEPTH = 200;
/** Attachments above this are not kept (name and size are): no port request needs them. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
/**
 * Distinct numbers one reading collects before it stops. Far above MAX_NUMBERS_PER_REQUEST (the
 * project-port bound of the port-request handler), so a request over that bound still reads as
 * one, with its count, up to here.
 */
export const MAX_NUMBERS = 10_000;
/** Number-like strings (valid or not, range members included) one reading examines at most. */
export const MAX_NUMBER_CANDIDATES = 2 * MAX_NUMBERS;
/** Labelled fields one reading collects; a form has a few dozen. */
export const MAX_LABELLED_FIELDS = 1_000;
/** A line longer than this is read only this far for labels, quote headers and signatures. */
export const MAX_LINE_CHARS = 2_000;

/**
 * The first `max` characters of `text`, and a note in `notes` when that is not all of it. Never
 * cuts a surrogate pair in two (a lone surrogate would become U+FFFD in every later step).
 */
export function cutText(text: string, max: number, what: string, notes?: string[]): string {
  if (text.length <= max) return text;
  notes?.push(`${what} is ${formatCount(text.length)} characters long: only the first ${formatCount(max)} read`);
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** 15728640 → "15.0 MB". */
export function formatMegabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** 262144 → "262,144": counts in notes read at a glance. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
