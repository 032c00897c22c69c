/**
 * What ties a message to orders the desk already has: order ids (`PO-7K3F9Q`), the token of a
 * verification's reply address (`porting+TOKEN@example.test`), and the Message-IDs it answers.
 */
import type { InboundMessage, Mailbox } from './types.js';

export interface OrderRefs {
  orderIds: string[];
  tokens: string[];
  threadIds: string[];
}

export interface FindOrderRefsContext {
  deskAddresses: string[];
  /** Also look in the body (carrier notices quote the order id there, not only in the subject). */
  searchBody?: boolean;
  /** RCPT TO of the SMTP session, when known: the reply address a token came in on. */
  envelopeRecipients?: readonly string[];
}

/** The desk's order ids: `PO-` and six characters of 0-9A-Z (SPEC §2). */
const ORDER_ID_RE = /(?<![A-Za-z0-9])PO-([0-9A-Z]{6})(?![A-Za-z0-9])/gi;

export function findOrderIds(text: string): string[] {
  const ids = new Set<string>();
  for (const match of text.matchAll(ORDER_ID_RE)) ids.add(`PO-${(match[1] ?? '').toUpperCase()}`);
  return [...ids];
}

/** Tokens in `local+TOKEN@domain` recipients for each desk address `local@domain`. */
export function findReplyTokens(recipients: Mailbox[], deskAddresses: string[]): string[] {
  const desks = deskAddresses
    .map((address) => splitAddress(address))
    .filter((parts): parts is { local: string; domain: string } => parts !== undefined);
  const tokens: string[] = [];
  for (const recipient of recipients) {
    const parts = splitAddress(recipient.address);
    if (!parts) continue;
    const plus = parts.local.indexOf('+');
    if (plus <= 0) continue;
    const base = parts.local.slice(0, plus).toLowerCase();
    const token = parts.local.slice(plus + 1);
    if (!/^[A-Za-z0-9_-]+$/.test(token)) continue;
    const atDesk = desks.some((desk) => desk.local.toLowerCase() === base && desk.domain === parts.domain.toLowerCase());
    if (atDesk && !tokens.includes(token)) tokens.push(token);
  }
  return tokens;
}

export function findOrderRefs(msg: InboundMessage, ctx: FindOrderRefsContext): OrderRefs {
  const orderIds = findOrderIds(msg.subject);
  if (ctx.searchBody) {
    for (const id of findOrderIds(msg.text)) if (!orderIds.includes(id)) orderIds.push(id);
  }
  // Wherever the token shows, its sender knew it: To and Cc as written, the envelope, and what the
  // delivering server recorded of the envelope (Delivered-To, X-Original-To).
  const delivered = [msg.headers['delivered-to'], msg.headers['x-original-to'], ...(ctx.envelopeRecipients ?? [])]
    .filter((a): a is string => !!a)
    .map((address) => ({ address: address.replace(/^.*<([^>]*)>.*$/, '$1').trim() }));
  const tokens = findReplyTokens([...msg.to, ...msg.cc, ...delivered], ctx.deskAddresses);
  const threadIds: string[] = [];
  for (const id of [...(msg.inReplyTo ? [msg.inReplyTo] : []), ...msg.references]) {
    if (!threadIds.includes(id)) threadIds.push(id);
  }
  return { orderIds, tokens, threadIds };
}

function splitAddress(address: string): { local: string; domain: string } | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return undefined;
  return { local: address.slice(0, at).trim(), domain: address.slice(at + 1).trim().toLowerCase() };
}
