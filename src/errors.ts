/**
 * Every error code the desk raises, in one table (the shape of nodemailer's lib/errors.js), each
 * with whether it is transient and what it means. Transient: the same work may succeed later —
 * retry with capped backoff, or leave the message where it is (in the mailbox, or a 451 to the
 * sending MTA). Permanent: retrying changes nothing — the message goes to Review with the reason,
 * the command fails, and the loop moves on.
 *
 * A code is part of the interface: it is logged, sent over the control socket, printed by the
 * command line and matched by tests and scripts. Renaming one breaks all of them; add instead.
 *
 * Not here, on purpose: the review reasons (src/domain/review-reasons.ts) and the carrier-facing
 * reason codes (src/domain/reason-codes.ts) are outcomes of a message, not errors; node's and
 * nodemailer's own codes (ECONNREFUSED, EAUTH, ENOTFOUND…) are kept as they come, so the people
 * and libraries that know them still do.
 */

interface ErrorKind {
  readonly transient: boolean;
  readonly text: string;
}

const permanent = (text: string): ErrorKind => ({ transient: false, text });
const transient = (text: string): ErrorKind => ({ transient: true, text });

export const ERRORS = {
  // Configuration: the desk does not start (exit code 2).
  CONFIG_INVALID: permanent('the configuration is invalid'),
  DNS_CONFIG_INVALID: permanent('a resolver in MAIL_AUTH_DNS is not host[:port]'),

  // The data directory and the store.
  NO_DATA_DIR: permanent('there is no data directory (set DATA_DIR, or import accounts first)'),
  STORE_CORRUPT: permanent('a data file cannot be read; it was left untouched for a person to look at'),
  STORE_VERSION: permanent('a data file was written by a newer portdesk'),
  STORE_INVALID: permanent('a record does not match its schema and was not stored'),
  STORE_READ_ONLY: permanent('the store was opened read-only'),
  // Another process holds DATA_DIR: the same command works once it stops.
  STORE_LOCKED: transient('another process holds the data directory'),
  // The desk could not record anything: the message in hand is not at fault and stays where it is.
  STORE_IO: transient('the store could not write its journal'),
  STORE_CLOSED: transient('the store is closed'),
  // PostgreSQL (SPEC §13): another daemon took the lease; this one must stop acting at once.
  STORE_FENCED: permanent('another daemon is active on the database; this one may no longer write'),
  // The database cannot be reached or refused the statement; tried again, then the desk stops.
  STORE_DB: transient('the database could not be reached or refused the write'),

  // Templates: the same data fails the same way.
  TEMPLATE_ERROR: permanent('a template is missing or failed to render'),

  // Outgoing mail (SMTP answers themselves are classed by classifySmtpError: 5xx permanent).
  SMTP_THREAD_FAILED: transient('the SMTP thread failed; it is started again for the next e-mail'),
  SMTP_CHECK_FAILED: transient('the SMTP server refused the connection or the login'),

  // The embedded SMTP listener's refusals, each sent to the client with its SMTP code.
  SMTP_IN_TOO_LARGE: permanent('the message is over the size limit'),
  SMTP_IN_CLOSING: transient('the desk is shutting down'),
  SMTP_IN_BUSY: transient('the listener holds as much mail as it may; try again later'),
  SMTP_IN_DEFERRED: transient('the sender could not be verified yet'),
  SMTP_IN_NOT_RECORDED: transient('the desk could not record the message'),

  // Reading messages on the reader threads (parse-pool.ts): the message is not at fault.
  PARSER_STOPPED: transient('the desk is stopping; the message is read at the next start'),
  PARSER_FAILED: transient('the message reader thread could not start'),

  // The IMAP source: the session ends and the loop reconnects.
  IMAP_MOVE_FAILED: transient('a handled message could not be moved to its folder'),
  IMAP_SEARCH_FAILED: transient('the mailbox could not be searched'),
  IMAP_WATCHDOG_TIMEOUT: transient('the IMAP server stopped answering'),
  IMAP_HANDLER_RETRY: transient('the desk could not record a message; it stays in the mailbox'),

  // Support actions and account import: what was asked cannot be done as asked.
  ORDER_NOT_FOUND: permanent('no such order'),
  ACCOUNT_NOT_FOUND: permanent('no such account'),
  INVALID_TRANSITION: permanent('the order is not in a state that allows this'),
  BAD_REASON_CODE: permanent('not a reason code'),
  IMPORT_INVALID: permanent('the accounts cannot be imported; nothing was changed'),
  FILE_UNREADABLE: permanent('the file cannot be read'),

  // Review (portdesk review …).
  REVIEW_NOT_FOUND: permanent('nothing in Review has that id'),
  REVIEW_ALREADY_RESOLVED: permanent('the item was already dismissed or handled again'),
  REVIEW_NOTE_MISSING: permanent('a dismissal needs a note'),
  REVIEW_MAIL_MISSING: permanent('the parked message was not kept, so it cannot be handled again'),

  // The console and one-click links (SPEC §12).
  LINK_SECRET_INVALID: permanent('the key that signs answer links cannot be used'),
  USER_INVALID: permanent('a console user name or password is not acceptable'),
  USER_EXISTS: permanent('a console user of that name exists'),
  USER_NOT_FOUND: permanent('no such console user'),
  INPUT_INVALID: permanent('a value given is not acceptable'),
  HTTP_LISTEN_FAILED: permanent('the console could not listen on HTTP_HOST:HTTP_PORT'),

  // The control socket between a command and the running daemon.
  CONTROL_BAD_REQUEST: permanent('the daemon did not understand the request'),
  CONTROL_UNSUPPORTED: permanent('the daemon does not offer this'),
  CONTROL_TIMEOUT: transient('the daemon did not answer in time'),
  CONTROL_BAD_RESPONSE: transient('the daemon sent no readable answer'),

  // Anything else that reached a boundary without a code of its own: a bug.
  UNEXPECTED: permanent('an unexpected error'),
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERRORS, code);
}

/** An error of the desk: a stable code, transient or permanent by that code, and a message. */
export class DeskError<C extends ErrorCode = ErrorCode> extends Error {
  readonly transient: boolean;
  constructor(
    readonly code: C,
    message: string = ERRORS[code].text,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeskError';
    this.transient = ERRORS[code].transient;
  }
}

export function isDeskError<C extends ErrorCode>(err: unknown, code?: C): err is DeskError<C> {
  return err instanceof DeskError && (code === undefined || err.code === code);
}

/** True for a desk error that may succeed when tried again; false for anything else. */
export function isTransient(err: unknown): boolean {
  return err instanceof DeskError && err.transient;
}

/** The code and message of any error, for a log line or an answer over the control socket. */
export function summarizeError(err: unknown): { code: string; message: string } {
  if (err instanceof DeskError) return { code: err.code, message: err.message };
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return { code: typeof e?.code === 'string' ? e.code : 'UNEXPECTED', message };
}
