/**
 * The raw bytes of the messages parked in Review, kept so support can have them handled again
 * (`portdesk review reprocess`) once an account is fixed. Mail from the embedded listener exists
 * nowhere else once it was answered 250; an IMAP copy is in PortDesk/Review, but a command cannot
 * fetch it without the mailbox's credentials and session.
 */
export interface ParkedMail {
  /** Keeps the message under its inbound key; resolves once it is on disk. */
  save(key: string, raw: Buffer): Promise<void>;
  /** The message, or undefined when none was kept under that key. */
  load(key: string): Promise<Buffer | undefined>;
  /** Forgets it (after it was dismissed or handled again). */
  remove(key: string): Promise<void>;
}
