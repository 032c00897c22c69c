import type { OutboxEntry } from '../domain/records.js';

/** The outcome of one delivery attempt. */
export type SendResult =
  | { ok: true; response?: string }
  | { ok: false; permanent: boolean; error: string };

/** Delivers one rendered outbox entry (SMTP, or an .eml file). */
export interface Mailer {
  send(entry: OutboxEntry): Promise<SendResult>;
  close(): Promise<void>;
}
