import type { WebhookEvent } from '../domain/records.js';

/** The outcome of one POST of an event to an endpoint: a 2xx, or why not. */
export type WebhookResult = { ok: true; status: number } | { ok: false; error: string; status?: number };

/**
 * Posts an event, signed, to one endpoint (SPEC §14). Never throws: a failure is a result. The
 * signature's timestamp is the wall clock's at the request (receivers refuse one far from theirs).
 */
export interface WebhookSender {
  send(endpoint: string, event: Pick<WebhookEvent, 'id' | 'type' | 'timestamp' | 'data'>): Promise<WebhookResult>;
  /** Closes the connections kept open between requests. */
  close?(): void;
}
