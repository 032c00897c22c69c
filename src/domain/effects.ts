/**
 * What a decision of the core asks the outside world to do, as plain values. The app renders each
 * e-mail, stores it in the outbox together with the record changes, and only then sends.
 */
import type { Account } from './records.js';
import type { TemplateDataMap, TemplateName } from './template-data.js';

export type { TemplateName };

/** An e-mail to send with template N, its data typed by that template. */
export interface EmailEffectOf<N extends TemplateName> {
  kind: 'email';
  template: N;
  to: string[];
  cc?: string[];
  /** Template data; the app adds the desk's own fields (`desk`). */
  data: TemplateDataMap[N];
  orderId?: string;
  /** Fixed in advance when the core must remember it (the verification's id, for threading). */
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  /** Reply-To carries this order's token as a subaddress (verification, reminder, clarification). */
  replyToToken?: string;
  /** RFC 3834: answers to a message are auto-replied, everything else auto-generated. */
  autoSubmitted: 'auto-replied' | 'auto-generated';
}

/** An e-mail with any template, its data matching that template. */
export type EmailEffect = { [N in TemplateName]: EmailEffectOf<N> }[TemplateName];

/** An account changed as a consequence (numbers marked ported-out). */
export interface AccountEffect {
  kind: 'account';
  account: Account;
}

export type Effect = EmailEffect | AccountEffect;

export function isEmail(e: Effect): e is EmailEffect {
  return e.kind === 'email';
}
