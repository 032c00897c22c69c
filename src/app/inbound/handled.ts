/**
 * What every inbound handler gets and gives back. A handler decides from the message, its mail
 * authentication and the records alone, and returns the outcome with the record changes and the
 * effects as values; the pipeline commits them in one write.
 */
import type { Effect, EmailEffect } from '../../domain/effects.js';
import type { AuthResult } from '../../domain/mail-auth.js';
import type { DeskContext } from '../../domain/order-machine.js';
import type { HistoryEvent, PortOrder } from '../../domain/records.js';
import { REVIEW_TEXT, type ReviewReason } from '../../domain/review-reasons.js';
import { supportAlert } from '../../domain/support-alert.js';
import type { Logger } from '../../logger.js';
import type { InboundMessage } from '../../mail/types.js';
import type { Disposition, SmtpEnvelope } from '../../ports/mail-source.js';
import type { Changes } from '../../ports/store.js';
import { maskSecrets } from '../../domain/secret-text.js';
import type { DeskCore } from '../desk-core.js';

export interface InboundInput {
  core: DeskCore;
  msg: InboundMessage;
  /** Who really sent it (SPEC §11). */
  auth: AuthResult;
  ctx: DeskContext;
  log: Logger;
  /** The SMTP envelope, when the embedded listener received it. */
  envelope?: SmtpEnvelope;
  /**
   * When the message reached the provider (IMAP INTERNALDATE, never later than now): the limits
   * per sender count requests at this pace, so a backlog read after an outage is not a flood.
   */
  arrivedAt: Date;
}

export interface Handled {
  outcome: Exclude<Disposition, 'deferred'>;
  /** Set with outcome `review`: why, as a code. */
  reviewReason?: ReviewReason;
  /** Why, in words, for the inbound log and support. */
  reason?: string;
  orderIds?: string[];
  changes?: Changes;
  effects?: Effect[];
  /**
   * The message carried a secret only the desk's own e-mail had, so nobody else could have
   * written it: support alerts it causes are never held back by the throttle.
   */
  bound?: boolean;
  /** Support must hear of it whatever the throttle says (an account under a PIN-guessing attack). */
  urgent?: boolean;
}

export type InboundHandler = (input: InboundInput) => Handled;

/** The support alert a message causes; to support, and only support. */
export function alertSupport(core: DeskCore, title: string, lines: string[], orderId?: string): EmailEffect {
  return supportAlert(core.deps.config.supportEmail, title, lines, orderId);
}

/**
 * The message as support sees it in an alert. Its threading headers are left out on purpose: a
 * customer's reply carries the Message-ID of the verification, a secret support must not hold.
 */
export function describeMessage(msg: InboundMessage, auth?: AuthResult): string[] {
  return [
    `From: ${msg.from?.address ?? '(none)'}`,
    `Subject: ${maskSecrets(msg.subject.slice(0, 200)) || '(none)'}`,
    `Message-ID: ${msg.messageId ?? '(none)'}`,
    ...(auth ? [`Authentication: ${describeAuthForSupport(auth)}`] : []),
  ];
}

function describeAuthForSupport(auth: AuthResult): string {
  if (auth.by === 'off') return 'not checked (MAIL_AUTH=off)';
  return `dkim=${auth.dkim} spf=${auth.spf} dmarc=${auth.dmarc}${auth.dmarcPolicy ? ` (p=${auth.dmarcPolicy})` : ''}${auth.aligned ? ', aligned' : ''}`;
}

/** Parked for a person: the message goes to Review with its reason, and support is told. */
export function review(
  input: Pick<InboundInput, 'core' | 'msg' | 'auth'>,
  reason: ReviewReason,
  detail: string,
  opts: { effects?: Effect[]; orderIds?: string[]; changes?: Changes; bound?: boolean } = {},
): Handled {
  const { core, msg, auth } = input;
  const orderId = opts.orderIds?.[0];
  return {
    outcome: 'review',
    reviewReason: reason,
    reason: detail,
    ...(opts.orderIds ? { orderIds: opts.orderIds } : {}),
    ...(opts.changes ? { changes: opts.changes } : {}),
    ...(opts.bound ? { bound: true } : {}),
    effects: [
      ...(opts.effects ?? []),
      alertSupport(core, `Needs review: ${REVIEW_TEXT[reason]}`, [...describeMessage(msg, auth), `Reason: ${reason} — ${detail}`], orderId),
    ],
  };
}

/** Adds words to the order's newest history event (how a reply was bound, what authentication said). */
export function annotateLastEvent(order: PortOrder, words: string): PortOrder {
  const history: HistoryEvent[] = [...order.history];
  const last = history.pop();
  if (!last) return order;
  history.push({ ...last, detail: `${last.detail ?? ''} (${words})`.replace(/^ /, '') });
  return { ...order, history };
}
