/** Where a message came from; IMAP fills every field, the SMTP listener none of them. */
export interface SourceMeta {
  mailbox?: string;
  uid?: number;
  uidValidity?: string;
}

/** What happened to a message, which decides the IMAP folder it is moved to. */
export type Disposition = 'processed' | 'review' | 'ignored';

/**
 * Handles one raw message; resolves once its effects are durably recorded. An error whose
 * `retry` property is true means the desk could not record anything: the source leaves the
 * message where it is, to be handed over again. Any other error parks the message in Review.
 */
export type MessageHandler = (raw: Buffer, meta: SourceMeta) => Promise<Disposition>;

/** A stream of inbound mail: IMAP, or the embedded SMTP listener. */
export interface MailSource {
  start(handler: MessageHandler): Promise<void>;
  /** Stops taking messages, lets the one in hand finish, then closes. */
  stop(): Promise<void>;
}
