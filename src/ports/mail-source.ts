/** What the SMTP session said about a message: SPF is checked against the client and MAIL FROM. */
export interface SmtpEnvelope {
  /** The connecting client's IP address. */
  clientIp: string;
  /** The name the client gave in HELO/EHLO. */
  helo?: string;
  /** The MAIL FROM address; empty for a bounce (`MAIL FROM:<>`). */
  mailFrom?: string;
  rcptTo: string[];
}

/** Where a message came from; IMAP fills the mailbox fields, the SMTP listener the envelope. */
export interface SourceMeta {
  mailbox?: string;
  uid?: number;
  uidValidity?: string;
  envelope?: SmtpEnvelope;
  /** When the provider's mail server took the message (IMAP INTERNALDATE); unset: just now. */
  receivedAt?: Date;
  /**
   * The message's size when it is over what the source reads (src/mail/limits.ts
   * MAX_MESSAGE_BYTES): `raw` then holds only its first bytes, and the desk parks it unread.
   */
  oversize?: number;
}

/**
 * What happened to a message, which decides the IMAP folder it is moved to. `deferred`: the desk
 * cannot decide yet (mail authentication is waiting on DNS) — the IMAP source leaves the message
 * in the mailbox and hands it over again later, the SMTP listener answers 451.
 */
export type Disposition = 'processed' | 'review' | 'ignored' | 'deferred';

/**
 * Handles one raw message; resolves once its effects are durably recorded. A transient error
 * (src/errors.ts: the store could not write) means the desk could not record anything: the source
 * leaves the message where it is, to be handed over again. Any other error parks it in Review.
 */
export type MessageHandler = (raw: Buffer, meta: SourceMeta) => Promise<Disposition>;

/** A stream of inbound mail: IMAP, or the embedded SMTP listener. */
export interface MailSource {
  start(handler: MessageHandler): Promise<void>;
  /** Stops taking messages, lets the one in hand finish, then closes. */
  stop(): Promise<void>;
}
