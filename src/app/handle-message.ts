/**
 * One inbound message, from raw bytes to recorded effects: de-duplicate through the inbound log,
 * classify, act, and save the inbound entry, the order changes and the e-mails in one commit.
 * The returned disposition decides the IMAP folder (Processed, Review, Ignored).
 */
import type { Effect, EmailEffect } from '../domain/effects.js';
import { intakePortRequest } from '../domain/intake.js';
import { normalizeCompany, normalizePersonName } from '../domain/normalize.js';
import { transition, type DeskContext, type OrderEvent } from '../domain/order-machine.js';
import { formatNumber } from '../domain/phone.js';
import type { CsrRequest, InboundEntry, MessageKind, PortOrder } from '../domain/records.js';
import type { Logger } from '../logger.js';
import { classifyMessage, readsAsCancellation, readsAsCompletion } from '../mail/classify-message.js';
import { extractNewText } from '../mail/strip-quoted-text.js';
import { findOrderRefs } from '../mail/find-order-refs.js';
import { parseMessage } from '../mail/parse-message.js';
import { readCarrierNotice } from '../mail/read-carrier-notice.js';
import { readCsrRequest } from '../mail/read-csr-request.js';
import { readPortRequest } from '../mail/read-port-request.js';
import { readReply } from '../mail/read-reply.js';
import type { InboundMessage } from '../mail/types.js';
import type { Disposition, SourceMeta } from '../ports/mail-source.js';
import type { Changes } from '../ports/store.js';
import type { DeskCore } from './desk-core.js';

interface Handled {
  outcome: Disposition;
  reason?: string;
  orderIds?: string[];
  changes?: Changes;
  effects?: Effect[];
}

/** Beyond this a request is a bulk (project) port: support handles it by hand. */
export const MAX_NUMBERS_PER_REQUEST = 1000;

const APPROVAL_CLAIM = /\b(already|has|have|previously)\s+(been\s+)?(approved|authori[sz]ed|confirmed)\b|\bpre-?approved\b/i;

/**
 * Whether the carrier's own words claim the customer already approved. Quote-stripping costs more
 * than the rest of reading a request, so it runs only when the whole message makes the claim
 * somewhere (the new text is part of it), to tell the carrier's words from a quoted e-mail.
 */
function claimsApproval(msg: InboundMessage): boolean {
  const inHtml = msg.html !== undefined && APPROVAL_CLAIM.test(msg.html.replace(/<[^>]*>/g, ' ').replace(/&nbsp;|&#160;/gi, ' '));
  if (!inHtml && !APPROVAL_CLAIM.test(msg.text)) return false;
  return APPROVAL_CLAIM.test(extractNewText(msg).newText);
}

function sameAddress(a: string | undefined, b: string | undefined): boolean {
  return !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** A display name as it may appear in our e-mails: one line, no links, not too long. */
function cleanName(name: string | undefined): string | undefined {
  const clean = (name ?? '')
    .replace(/\b(?:https?:\/\/|www\.)\S+/gi, '')
    .replace(/[\r\n\t<>"]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 60)
    .trim();
  return clean || undefined;
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

function supportAlert(core: DeskCore, title: string, lines: string[], orderId?: string): EmailEffect {
  return {
    kind: 'email',
    template: 'support-alert',
    to: [core.deps.config.supportEmail],
    data: { title, lines, orderId },
    ...(orderId ? { orderId } : {}),
    autoSubmitted: 'auto-generated',
  };
}

function describe(msg: InboundMessage): string[] {
  return [
    `From: ${msg.from?.address ?? '(none)'}`,
    `Subject: ${msg.subject || '(none)'}`,
    `Message-ID: ${msg.messageId ?? '(none)'}`,
  ];
}

/** Parked for a person: the message goes to Review and support is told why. */
function review(core: DeskCore, msg: InboundMessage, reason: string, extra: Effect[] = [], orderId?: string): Handled {
  return {
    outcome: 'review',
    reason,
    effects: [...extra, supportAlert(core, `Needs review: ${reason}`, [...describe(msg), `Reason: ${reason}`], orderId)],
  };
}

/**
 * Parses the message, decides in the desk's queue and resolves with its disposition once the
 * decision is durable. Callers may hand over several messages at once: each takes its place in
 * the queue when it is handed over (so they are decided in that order) and parsing and the disk
 * write overlap with the decisions on the others.
 */
export async function handleMessage(core: DeskCore, raw: Buffer, meta: SourceMeta): Promise<Disposition> {
  const parsing = parseMessage(raw);
  // Awaited when the message's turn comes; a failure meanwhile is not an unhandled rejection.
  parsing.catch(() => undefined);
  const decided = core.queue.run(() => parsing.then((msg) => decide(core, msg, meta)));
  const { disposition, durable } = await decided;
  await durable;
  return disposition;
}

interface Decision {
  disposition: Disposition;
  /** Resolves once the records behind the disposition are on disk. */
  durable: Promise<void>;
}

async function decide(core: DeskCore, msg: InboundMessage, meta: SourceMeta): Promise<Decision> {
  const log = core.deps.log.child({ messageKey: msg.key, uid: meta.uid });
  const seen = core.deps.store.getInbound(msg.key);
  if (seen) {
    log.info({ outcome: seen.outcome }, 'message seen before; not handled again');
    // Seen before, possibly by a commit still on its way to the disk.
    const durable = core.deps.store.flush();
    durable.catch(() => undefined); // awaited by handleMessage once the queue lets go
    return { disposition: seen.outcome, durable };
  }
  const now = core.deps.clock.now();
  const ctx = core.context(now);
  const classification = classifyMessage(msg, { deskAddresses: core.deskAddresses });
  let handled: Handled;
  try {
    handled = dispatch(core, msg, classification.kind, ctx, log);
  } catch (err) {
    // A reader or rule that throws on one message must not stop the desk.
    log.error({ err, kind: classification.kind }, 'message could not be handled');
    handled = review(core, msg, `internal error while handling a ${classification.kind}: ${(err as Error).message}`);
  }
  const entry: InboundEntry = {
    key: msg.key,
    ...(msg.messageId ? { messageId: msg.messageId } : {}),
    ...(meta.mailbox ? { mailbox: meta.mailbox } : {}),
    ...(meta.uid !== undefined ? { uid: meta.uid } : {}),
    ...(meta.uidValidity ? { uidValidity: meta.uidValidity } : {}),
    ...(msg.from?.address ? { from: msg.from.address } : {}),
    ...(msg.subject ? { subject: msg.subject.slice(0, 300) } : {}),
    kind: classification.kind,
    outcome: handled.outcome,
    ...(handled.reason ? { reason: handled.reason } : {}),
    orderIds: handled.orderIds ?? [],
    at: now.toISOString(),
  };
  const changes = handled.changes ?? {};
  changes.inbound = [entry];
  let durable: Promise<void>;
  try {
    durable = core.stage(changes, handled.effects ?? [], now);
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code !== 'TEMPLATE_ERROR') throw err;
    // A broken template override must not lose the message: park it and say why.
    log.error({ err, kind: classification.kind }, 'message effects could not be prepared; parked for review');
    const reason = `the desk could not prepare its answer (${e.code ?? 'ERROR'}: ${e.message}); nothing was changed`;
    const parked: InboundEntry = { ...entry, outcome: 'review', reason };
    const alert = supportAlert(core, `Needs review: ${reason}`, [...describe(msg), `Reason: ${reason}`]);
    let parkedDurable: Promise<void>;
    try {
      parkedDurable = core.stage({ inbound: [parked] }, [alert], now);
    } catch {
      // Even the alert cannot be rendered: the Review folder and the log carry the reason.
      parkedDurable = core.stage({ inbound: [parked] }, [], now);
    }
    return { disposition: 'review', durable: parkedDurable };
  }
  log.info({ kind: classification.kind, outcome: handled.outcome, reason: handled.reason, orderIds: entry.orderIds }, 'message handled');
  return { disposition: handled.outcome, durable };
}

function dispatch(core: DeskCore, msg: InboundMessage, kind: MessageKind, ctx: DeskContext, log: Logger): Handled {
  if (kind === 'auto_reply' || kind === 'bounce') return handleAutomatic(core, msg, kind);
  if (!msg.from?.address) return review(core, msg, 'the message has no sender address, so it cannot be answered');
  // A message the parser had to repair may not say what its sender wrote (a misread charset, a
  // lost part or attachment): a port-out is not decided on it. A missing Message-ID is harmless.
  const repairs = msg.defects.filter((d) => d !== 'no Message-ID');
  if (repairs.length) return review(core, msg, `the message had to be repaired to be read (${repairs.join('; ')}); not acted on`);
  switch (kind) {
    case 'port_request':
      return handlePortRequest(core, msg, ctx, log);
    case 'verification_reply':
      return handleReply(core, msg, ctx);
    case 'completion_notice':
    case 'cancellation':
      return handleCarrierNotice(core, msg, kind, ctx);
    case 'csr_request':
      return handleCsrRequest(core, msg, ctx);
    default:
      return handleOther(core, msg, ctx);
  }
}

/** Auto-replies and bounces are never decisions and never answered (no loops). */
function handleAutomatic(core: DeskCore, msg: InboundMessage, kind: 'auto_reply' | 'bounce'): Handled {
  if (kind === 'bounce') {
    const refs = findOrderRefs(msg, { deskAddresses: core.deskAddresses });
    const order = refs.threadIds.map((id) => core.deps.store.findOrderByOutboundMessageId(id)).find(Boolean) ?? refs.orderIds.map((id) => core.deps.store.getOrder(id)).find(Boolean);
    if (order) {
      return {
        outcome: 'ignored',
        reason: 'bounce',
        orderIds: [order.id],
        effects: [supportAlert(core, `An e-mail about ${order.id} bounced`, [...describe(msg), 'A message the desk sent about this order could not be delivered. Please check the address on file.'], order.id)],
      };
    }
  }
  return { outcome: 'ignored', reason: kind === 'bounce' ? 'bounce' : 'auto-reply' };
}

function handlePortRequest(core: DeskCore, msg: InboundMessage, ctx: DeskContext, log: Logger): Handled {
  const reading = readPortRequest(msg);
  const f = reading.fields;
  if (f.dids.length > MAX_NUMBERS_PER_REQUEST) {
    return review(core, msg, `port request for ${f.dids.length} numbers; more than ${MAX_NUMBERS_PER_REQUEST} is a project port for a person to handle`);
  }
  const carrierEmail = f.carrierEmail ?? msg.from!.address;
  const result = intakePortRequest(
    {
      carrier: {
        name: cleanName(f.carrierName ?? msg.from!.name) ?? domainOf(carrierEmail),
        email: carrierEmail,
        ...(f.spid ? { spid: f.spid } : {}),
        ...(f.pon ? { pon: f.pon } : {}),
      },
      provided: {
        ...(f.name ? { name: f.name } : {}),
        ...(f.company ? { company: f.company } : {}),
        ...(f.street ? { street: f.street } : {}),
        ...(f.city ? { city: f.city } : {}),
        ...(f.state ? { state: f.state } : {}),
        ...(f.zip ? { zip: f.zip } : {}),
        ...(f.accountNumber ? { accountNumber: f.accountNumber } : {}),
        ...(f.btn ? { btn: f.btn } : {}),
        ...(f.pin ? { pin: f.pin } : {}),
        ...(f.authorizedName ? { authorizedName: f.authorizedName } : {}),
      },
      dids: f.dids,
      ...(f.requestedDate ? { requestedDate: f.requestedDate } : {}),
      missing: reading.missing,
      ...(msg.messageId ? { sourceMessageId: msg.messageId } : {}),
      claimsApproval: claimsApproval(msg),
    },
    core.deps.store,
    ctx,
  );
  const orders = [...result.created, ...result.resent];
  log.info({ created: result.created.map((o) => o.id), resent: result.resent.map((o) => o.id), unknown: result.unknownNumbers.length }, 'port request read');
  if (f.dids.length === 0) {
    return { ...review(core, msg, `port request without telephone numbers (missing: ${reading.missing.join(', ') || 'telephone numbers'})`, result.effects) };
  }
  return {
    outcome: 'processed',
    orderIds: orders.map((o) => o.id),
    ...(result.unknownNumbers.length ? { reason: `${result.unknownNumbers.length} number(s) on no account` } : {}),
    changes: { orders },
    effects: result.effects,
  };
}

/** Rule 4: tied to exactly one order, from the address the verification went to. */
function tieReply(core: DeskCore, msg: InboundMessage): { orders: PortOrder[]; how: string } {
  const store = core.deps.store;
  const refs = findOrderRefs(msg, { deskAddresses: core.deskAddresses });
  const byToken = refs.tokens.map((t) => store.findOrderByToken(t.toLowerCase())).filter((o): o is PortOrder => !!o);
  if (byToken.length) return { orders: unique(byToken), how: 'reply address token' };
  const byThread = refs.threadIds.map((id) => store.findOrderByOutboundMessageId(id)).filter((o): o is PortOrder => !!o);
  if (byThread.length) return { orders: unique(byThread), how: 'threading headers' };
  const bySubject = refs.orderIds.map((id) => store.getOrder(id)).filter((o): o is PortOrder => !!o);
  return { orders: unique(bySubject), how: 'order id in the subject' };
}

function unique(orders: PortOrder[]): PortOrder[] {
  const seen = new Map<string, PortOrder>();
  for (const o of orders) seen.set(o.id, o);
  return [...seen.values()];
}

function handleReply(core: DeskCore, msg: InboundMessage, ctx: DeskContext): Handled {
  const { orders, how } = tieReply(core, msg);
  const reading = readReply(msg);
  if (orders.length === 0) {
    // Rule 3: an approval of something we never asked about is no approval.
    if (reading.decision === 'approve') return preApprovalRefusal(core, msg, 'an approval that answers no verification of ours');
    return review(core, msg, 'a reply that is not tied to any order');
  }
  if (orders.length > 1) return review(core, msg, `a reply tied to several orders (${orders.map((o) => o.id).join(', ')})`);
  const order = orders[0]!;
  const account = core.deps.store.getAccount(order.accountId);
  if (!account) return review(core, msg, `order ${order.id} refers to account ${order.accountId}, which does not exist`, [], order.id);
  const expected = order.verification?.sentTo ?? account.email;
  const sender = msg.from!.address;
  if (!sameAddress(sender, expected) && isCarrierOf(order, sender)) {
    // The carrier answering in our thread: a notice or a corrected request, never a customer
    // decision. Only its own new words count (our quoted subject says "completion date").
    const own = extractNewText(msg).newText;
    if (readsAsCancellation(own)) return handleCarrierNotice(core, msg, 'cancellation', ctx, [order]);
    if (readsAsCompletion(own)) return handleCarrierNotice(core, msg, 'completion_notice', ctx, [order]);
    if (readPortRequest(msg).fields.dids.length) return handlePortRequest(core, msg, ctx, core.deps.log);
    return { ...review(core, msg, `message from carrier ${sender} about ${order.id} that is neither a completion, a cancellation nor a new request`, [], order.id), orderIds: [order.id] };
  }
  if (!sameAddress(sender, expected)) {
    return {
      ...review(core, msg, `reply to ${order.id} from ${msg.from!.address}, not from the address on file; not taken as a decision`, [], order.id),
      orderIds: [order.id],
    };
  }
  const outcome = transition(order, account, { type: 'customer-reply', decision: reading.decision, from: msg.from!.address, ...(msg.messageId ? { messageId: msg.messageId } : {}) }, ctx);
  const history = [...outcome.order.history];
  const last = history.pop();
  if (last) history.push({ ...last, detail: `${last.detail ?? ''} (reply read as ${reading.decision}; tied by ${how})`.trim() });
  const tied: PortOrder = { ...outcome.order, history };
  return {
    outcome: 'processed',
    orderIds: [order.id],
    reason: `reply read as ${reading.decision}`,
    changes: { orders: [tied] },
    effects: outcome.effects,
  };
}

function preApprovalRefusal(core: DeskCore, msg: InboundMessage, why: string): Handled {
  const refusal: EmailEffect = {
    kind: 'email',
    template: 'preapproval-refusal',
    to: [msg.from!.address],
    data: { numbers: [] },
    ...(msg.messageId ? { inReplyTo: msg.messageId, references: [msg.messageId] } : {}),
    autoSubmitted: 'auto-replied',
  };
  return { outcome: 'processed', reason: `pre-approval refused: ${why}`, effects: [refusal, supportAlert(core, 'Pre-approval refused', [...describe(msg), `Why: ${why}`])] };
}

/** Mailbox providers anyone can sign up to: a shared domain there proves nothing. */
const FREEMAIL = new Set(['gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'yahoo.com', 'icloud.com', 'me.com', 'aol.com', 'proton.me', 'protonmail.com', 'gmx.com', 'gmx.net', 'mail.com', 'zoho.com', 'yandex.com']);

/**
 * The carrier that placed the order: its exact address, or another address at its own mail
 * domain (carriers send notices from systems other than their LNP desk), never a free-mail domain.
 */
function isCarrierOf(order: PortOrder, sender: string): boolean {
  if (sameAddress(order.carrier.email, sender)) return true;
  const domain = domainOf(order.carrier.email);
  return domain === domainOf(sender) && !FREEMAIL.has(domain);
}

function handleCarrierNotice(
  core: DeskCore,
  msg: InboundMessage,
  kind: 'completion_notice' | 'cancellation',
  ctx: DeskContext,
  tied: PortOrder[] = [],
): Handled {
  const store = core.deps.store;
  const notice = readCarrierNotice(msg);
  const sender = msg.from!.address;
  let orders = tied.length ? tied : unique(notice.orderIds.map((id) => store.getOrder(id)).filter((o): o is PortOrder => !!o));
  if (!orders.length) {
    const refs = findOrderRefs(msg, { deskAddresses: core.deskAddresses });
    orders = unique(refs.threadIds.map((id) => store.findOrderByOutboundMessageId(id)).filter((o): o is PortOrder => !!o));
  }
  if (!orders.length && notice.pon) {
    orders = store.listOpenOrders().filter((o) => o.carrier.pon && o.carrier.pon.toUpperCase() === notice.pon!.toUpperCase() && sameAddress(o.carrier.email, sender));
  }
  if (!orders.length && notice.dids.length) {
    orders = unique(notice.dids.flatMap((d) => store.openOrdersForDid(d)));
  }
  const what = kind === 'completion_notice' ? 'completion notice' : 'cancellation';
  if (!orders.length) return review(core, msg, `carrier ${what} that matches no order`);
  // Only the carrier that placed an order may complete or cancel it.
  const foreign = orders.filter((o) => !isCarrierOf(o, sender));
  if (foreign.length) return review(core, msg, `${what} from ${sender} for order(s) placed by another carrier: ${foreign.map((o) => o.id).join(', ')}`, [], foreign[0]!.id);

  const changed: PortOrder[] = [];
  const effects: Effect[] = [];
  const refused: string[] = [];
  const changedAccounts = new Map<string, ReturnType<NonNullable<typeof store.getAccount>>>();
  for (const order of orders) {
    const account = changedAccounts.get(order.accountId) ?? store.getAccount(order.accountId);
    if (!account) {
      refused.push(`${order.id}: account ${order.accountId} missing`);
      continue;
    }
    const messageRef = msg.messageId ? { messageId: msg.messageId } : {};
    const event: OrderEvent =
      kind === 'completion_notice'
        ? { type: 'complete', by: 'carrier', ...messageRef }
        : { type: 'cancel', by: 'carrier', reasonCodes: ['CARRIER_CANCELED'], ...messageRef };
    const outcome = transition(order, account, event, ctx);
    if (outcome.refused) {
      refused.push(`${order.id}: ${outcome.refused.message}`);
      continue;
    }
    changed.push(outcome.order);
    for (const e of outcome.effects) {
      if (e.kind === 'account') changedAccounts.set(e.account.id, e.account);
      else effects.push(e);
    }
  }
  const accountEffects: Effect[] = [...changedAccounts.values()].filter((a) => a !== undefined).map((account) => ({ kind: 'account', account: account! }));
  const ids = orders.map((o) => o.id);
  if (refused.length) {
    const r = review(core, msg, `${what} could not be applied: ${refused.join('; ')}`, [...accountEffects, ...effects], ids[0]);
    return { ...r, orderIds: ids, changes: { orders: changed } };
  }
  return { outcome: 'processed', orderIds: ids, changes: { orders: changed }, effects: [...accountEffects, ...effects] };
}

/** SPEC §4: account data leaves only to the address on file, and only when everything matches. */
function handleCsrRequest(core: DeskCore, msg: InboundMessage, ctx: DeskContext): Handled {
  const store = core.deps.store;
  const reading = readCsrRequest(msg);
  const sender = msg.from!.address;
  const problems: string[] = [];
  const accounts = [...new Set(reading.dids.map((d) => store.findAccountByDid(d)?.id).filter((id): id is string => !!id))];
  let account = accounts.length === 1 ? store.getAccount(accounts[0]!) : undefined;
  if (!reading.dids.length) problems.push('no telephone numbers were given');
  if (accounts.length > 1) problems.push('the numbers belong to more than one account');
  if (reading.dids.length && !accounts.length) problems.push('none of the numbers is on any account');
  if (!account && !reading.dids.length) account = store.listAccounts().find((a) => sameAddress(a.email, sender));
  if (account) {
    if (!sameAddress(sender, account.email)) problems.push('the request did not come from the e-mail address on file');
    if (reading.email && !sameAddress(reading.email, account.email)) problems.push('the account e-mail given does not match');
    const same = (a: string, b: string) => a !== '' && a === b;
    const nameOk =
      !!reading.name &&
      (same(normalizePersonName(reading.name), normalizePersonName(account.name)) ||
        (!!account.company && same(normalizeCompany(reading.name), normalizeCompany(account.company))));
    if (!reading.name) problems.push('no account name was given');
    else if (!nameOk) problems.push('the name does not match the account');
    if (!reading.techPrefix) problems.push('no tech prefix was given');
    else if (reading.techPrefix.trim().toLowerCase() !== account.techPrefix.trim().toLowerCase()) problems.push('the tech prefix does not match');
    const notOnAccount = reading.dids.filter((d) => !account!.dids.some((x) => x.number === d));
    if (notOnAccount.length) problems.push(`${notOnAccount.length} number(s) are not on the account`);
  } else if (!problems.length) problems.push('no account could be identified');

  const at = ctx.now.toISOString();
  const record: CsrRequest = {
    id: ctx.ids.recordId('csr'),
    from: sender,
    provided: {
      ...(reading.name ? { name: reading.name } : {}),
      ...(reading.email ? { email: reading.email } : {}),
      ...(reading.techPrefix ? { techPrefix: reading.techPrefix } : {}),
      dids: reading.dids,
    },
    ...(account ? { accountId: account.id } : {}),
    outcome: problems.length ? 'needs-review' : 'sent',
    reasons: problems,
    ...(msg.messageId ? { sourceMessageId: msg.messageId } : {}),
    at,
  };
  const thread = msg.messageId ? { inReplyTo: msg.messageId, references: [msg.messageId] } : {};
  if (problems.length || !account) {
    return {
      outcome: 'review',
      reason: `CSR request needs review: ${problems.join('; ')}`,
      changes: { csrRequests: [record] },
      effects: [
        { kind: 'email', template: 'csr-received', to: [sender], data: {}, ...thread, autoSubmitted: 'auto-replied' },
        {
          kind: 'email',
          template: 'csr-needs-review',
          to: [core.deps.config.supportEmail],
          data: { from: sender, provided: { ...record.provided, numbers: reading.dids.map(formatNumber) }, problems },
          autoSubmitted: 'auto-generated',
        },
      ],
    };
  }
  return {
    outcome: 'processed',
    reason: 'CSR sent',
    changes: { csrRequests: [record] },
    effects: [
      {
        kind: 'email',
        template: 'csr',
        to: [account.email],
        cc: [core.deps.config.supportEmail],
        data: {
          account: { name: account.name, company: account.company, accountNumber: account.accountNumber, address: account.address },
          numbers: account.dids.map((d) => ({ number: formatNumber(d.number), status: d.status })),
          date: ctx.calendar.formatDate(ctx.calendar.today(ctx.now)),
        },
        ...thread,
        autoSubmitted: 'auto-replied',
      },
    ],
  };
}

/** Anything else: a customer's unsolicited "I approve" gets the pre-approval answer (rule 3). */
function handleOther(core: DeskCore, msg: InboundMessage, _ctx: DeskContext): Handled {
  const reading = readReply(msg);
  if (reading.decision === 'approve') return preApprovalRefusal(core, msg, 'an approval sent before any verification');
  return review(core, msg, 'not a port request, reply, notice or CSR request the desk can act on');
}
