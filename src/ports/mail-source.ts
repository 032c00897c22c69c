/** Where a message came from; IMAP fills every field, the SMTP listener none of them. */
export interface SourceMeta {
  mailbox?: string;
  uid?: number;
  uidValidity?: string;
}

/** What happened to a message, which decides the IMAP folder it is moved to. */
export type Disposition = 'processed' | 'review' | 'ignored';

/** Handles one raw message; resolves once its effects are durably recorded. */
export type MessageHandler = (raw: Buffer, meta: SourceMeta) => Promise<Disposition>;

/** A stream of inbound mail: IMAP, or the embedded SMTP listener. */
export interface MailSource {
  start(handler: MessageHandler): Promise<void>;
  /** Stops taking messages, lets the one in hand finish, then closes. */
  stop(): Promise<void>;
}
