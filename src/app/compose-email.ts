/**
 * Turns the core's e-mail effects into outbox entries: renders the template with the desk's own
 * fields added, fixes a stable Message-ID, threading headers and the Reply-To. The entry is
 * stored before it is sent, so a resend after a crash sends the same bytes.
 */
import type { Effect, EmailEffect } from '../domain/effects.js';
import { describeDuration, type Duration } from '../domain/duration.js';
import type { Account, OutboxEntry } from '../domain/records.js';
import type { Ids } from '../ports/ids.js';
import type { Renderer } from '../ports/renderer.js';
import type { Changes } from '../ports/store.js';
import { buildOutboxEntry } from './deliver-outbox.js';
import type { DeskInfo } from './template-names.js';

export interface DeskIdentity {
  mailFrom: string;
  supportEmail: string;
  adminFee: string;
  verificationWindow: Duration;
  replySubaddress: boolean;
  /**
   * The one-click answer link of an order (SPEC §12), written into the e-mails that ask the
   * customer to answer; unset when the console is off (HTTP_PORT=0).
   */
  answerLink?: (orderId: string, orderToken: string) => string;
}

/** `porting@example.com` + token → `porting+token@example.com`. */
export function subaddress(address: string, token: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return address;
  return `${address.slice(0, at)}+${token}${address.slice(at)}`;
}

export function deskIdentity(c: DeskIdentity): DeskIdentity {
  return {
    mailFrom: c.mailFrom,
    supportEmail: c.supportEmail,
    adminFee: c.adminFee,
    verificationWindow: c.verificationWindow,
    replySubaddress: c.replySubaddress,
    ...(c.answerLink ? { answerLink: c.answerLink } : {}),
  };
}

export function deskData(desk: DeskIdentity): DeskInfo {
  return {
    name: 'Port-out desk',
    from: desk.mailFrom,
    supportEmail: desk.supportEmail,
    adminFee: desk.adminFee,
    verificationWindow: describeDuration(desk.verificationWindow),
  };
}

export function composeEmail(
  effect: EmailEffect,
  deps: { renderer: Renderer; ids: Ids; desk: DeskIdentity; now: Date },
): OutboxEntry {
  const { renderer, ids, desk, now } = deps;
  // Only an e-mail that asks the account holder to answer (it carries the order's reply token)
  // gets the link: it is a secret of that order, like the token.
  const answerLink = effect.replyToToken && effect.orderId && desk.answerLink ? desk.answerLink(effect.orderId, effect.replyToToken) : undefined;
  const rendered = renderer.render(effect.template, { ...effect.data, desk: deskData(desk), ...(answerLink ? { answerLink } : {}) });
  const replyTo = effect.replyToToken && desk.replySubaddress ? subaddress(desk.mailFrom, effect.replyToToken) : undefined;
  return buildOutboxEntry({
    id: ids.recordId('mail'),
    messageId: effect.messageId ?? ids.messageId(),
    template: effect.template,
    rendered,
    from: desk.mailFrom,
    to: effect.to,
    ...(effect.cc ? { cc: effect.cc } : {}),
    ...(replyTo ? { replyTo } : {}),
    ...(effect.inReplyTo ? { inReplyTo: effect.inReplyTo } : {}),
    ...(effect.references ? { references: effect.references } : {}),
    autoSubmitted: effect.autoSubmitted,
    ...(effect.orderId ? { orderId: effect.orderId } : {}),
    now,
  });
}

/** Adds the effects (rendered e-mails, changed accounts) to one set of changes. */
export function addEffects(
  changes: Changes,
  effects: readonly Effect[],
  deps: { renderer: Renderer; ids: Ids; desk: DeskIdentity; now: Date },
): Changes {
  const outbox = changes.outbox ?? [];
  const accounts: Account[] = changes.accounts ?? [];
  for (const e of effects) {
    if (e.kind === 'email') outbox.push(composeEmail(e, deps));
    else {
      const i = accounts.findIndex((a) => a.id === e.account.id);
      if (i >= 0) accounts[i] = e.account;
      else accounts.push(e.account);
    }
  }
  if (outbox.length) changes.outbox = outbox;
  if (accounts.length) changes.accounts = accounts;
  return changes;
}
