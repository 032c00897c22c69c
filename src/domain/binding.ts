/**
 * What ties a message to an order, as a fraudster would test it (SPEC §3 rule 4, §11).
 *
 * A customer's decision counts only when it carries a secret that only the verification carried:
 * the order's token in the reply address, or the Message-ID of an e-mail the desk sent to the
 * customer about the order (verification, reminder, "please answer clearly"). The order id is no
 * secret — the requesting carrier has it in its acknowledgement — and neither is any e-mail the
 * desk sent to the carrier, so neither binds a decision.
 *
 * A carrier's notice names an order of that carrier (by order id, PON, or a number with that
 * carrier's one open order); whether it counts is judged in mail-auth.ts from the thread and the
 * mail authentication.
 */
import { domainOf, isFreeMailDomain } from './free-mail.js';
import { isOpen } from './order-machine.js';
import type { PortOrder } from './records.js';

/** The secrets a reply may carry: subaddress tokens and the Message-IDs it answers. */
export interface ReplySecrets {
  tokens: readonly string[];
  threadIds: readonly string[];
}

export interface BindingView {
  findOrderByToken(token: string): PortOrder | undefined;
  /** The order whose verification, reminder or clarification e-mail had this Message-ID. */
  findOrderByCustomerMessageId(messageId: string): PortOrder | undefined;
}

export type ReplyBinding =
  | { kind: 'bound'; order: PortOrder; via: 'reply-address token' | 'threading headers' | 'reply-address token and threading headers' }
  | { kind: 'ambiguous'; orders: PortOrder[] }
  | { kind: 'unbound' };

/** The Message-IDs of e-mails the desk sent to the customer about this order: they bind replies. */
export function customerThreadIds(order: PortOrder): string[] {
  const v = order.verification;
  return v ? [v.messageId, ...(v.followUpIds ?? [])] : [];
}

export function bindReply(secrets: ReplySecrets, view: BindingView): ReplyBinding {
  const byToken = uniqueOrders(secrets.tokens.map((t) => view.findOrderByToken(t.toLowerCase())));
  // The lookup is by the customer's thread only; the ids are re-checked on the order itself, so a
  // store whose index also knew other e-mails could not widen what binds.
  const byThread = uniqueOrders(
    secrets.threadIds.map((id) => {
      const order = view.findOrderByCustomerMessageId(id);
      return order && customerThreadIds(order).includes(id) ? order : undefined;
    }),
  );
  const all = uniqueOrders([...byToken, ...byThread]);
  if (all.length === 0) return { kind: 'unbound' };
  if (all.length > 1) return { kind: 'ambiguous', orders: all };
  const via = byToken.length && byThread.length ? 'reply-address token and threading headers' : byToken.length ? 'reply-address token' : 'threading headers';
  return { kind: 'bound', order: all[0]!, via };
}

/** The orders found, each once, in the order first found. */
export function uniqueOrders(orders: readonly (PortOrder | undefined)[]): PortOrder[] {
  const seen = new Map<string, PortOrder>();
  for (const o of orders) if (o) seen.set(o.id, o);
  return [...seen.values()];
}

// ---------------------------------------------------------------------------------------------
// Carriers

/** The carrier writes from a free-mail domain: only its exact address can speak for it. */
export function carrierUsesFreeMail(order: PortOrder): boolean {
  return isFreeMailDomain(domainOf(order.carrier.email));
}

/**
 * The sender speaks for the carrier that placed the order: its exact address, or another address
 * at its own mail domain (carriers send notices from systems other than their LNP desk) — never
 * at a free-mail domain, where a shared domain proves nothing.
 */
export function isCarrierOf(order: PortOrder, sender: string): boolean {
  const address = sender.trim().toLowerCase();
  if (order.carrier.email.trim().toLowerCase() === address) return true;
  return !carrierUsesFreeMail(order) && domainOf(order.carrier.email) === domainOf(address);
}

/** The message answers an e-mail the desk sent to this order's carrier about it. */
export function answersCarrierThread(order: PortOrder, threadIds: readonly string[]): boolean {
  const ours = order.carrierMessageIds ?? [];
  return threadIds.some((id) => ours.includes(id));
}

export interface CarrierView {
  getOrder(id: string): PortOrder | undefined;
  listOpenOrders(): PortOrder[];
  openOrdersForDid(did: string): PortOrder[];
}

export interface NamedOrders {
  /** Orders of the sender's carrier the message names. */
  orders: PortOrder[];
  /** Orders it names by id that another carrier placed. */
  foreign: PortOrder[];
}

/**
 * The orders of the sender's carrier a notice names: by order id; failing that by PON; failing
 * that by numbers, each with exactly one open order of that carrier. A number alone never reaches
 * another carrier's order, and a number with two open orders of this carrier names neither.
 */
export function findCarrierOrders(
  named: { orderIds: readonly string[]; pon?: string; dids: readonly string[] },
  sender: string,
  view: CarrierView,
): NamedOrders {
  const byId = uniqueOrders(named.orderIds.map((id) => view.getOrder(id)));
  if (byId.length) {
    return { orders: byId.filter((o) => isCarrierOf(o, sender)), foreign: byId.filter((o) => !isCarrierOf(o, sender)) };
  }
  const pon = named.pon?.trim().toUpperCase();
  if (pon) {
    const byPon = view.listOpenOrders().filter((o) => o.carrier.pon?.trim().toUpperCase() === pon && isCarrierOf(o, sender));
    if (byPon.length) return { orders: byPon, foreign: [] };
  }
  const byNumber: PortOrder[] = [];
  for (const did of named.dids) {
    const mine = view.openOrdersForDid(did).filter((o) => isOpen(o) && isCarrierOf(o, sender));
    if (mine.length === 1) byNumber.push(mine[0]!);
  }
  return { orders: uniqueOrders(byNumber), foreign: [] };
}
