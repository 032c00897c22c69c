/**
 * One inbound message, from raw bytes to recorded effects:
 *   dedupe → authenticate → classify → HANDLERS[kind] → throttle support alerts → one commit.
 * The inbound entry, the order changes and the e-mails are saved in one write; the returned
 * disposition decides the IMAP folder (Processed, Review, Ignored) or, when the desk cannot tell
 * yet who sent it, leaves the message to be handed over again (deferred).
 */
import { AUTH_OFF, isAuthPending, type AuthResult } from '../../domain/mail-auth.js';
import type { Effect } from '../../domain/effects.js';
import type { InboundEntry } from '../../domain/records.js';
import { classifyMessage } from '../../mail/classify-message.js';
import { formatMegabytes, MAX_MESSAGE_BYTES } from '../../mail/limits.js';
import { parseMessage, unreadMessage } from '../../mail/parse-message.js';
import type { InboundMessage } from '../../mail/types.js';
import type { Disposition, SourceMeta } from '../../ports/mail-source.js';
import { isDeskError } from '../../errors.js';
import type { DeskCore } from '../desk-core.js';
import { review, type Handled, type InboundInput } from './handled.js';
import { AUTHENTICATED_KINDS, HANDLERS } from './handlers.js';

/**
 * How long a message waits for DNS before it is judged without the answer (SPEC §11: a DNS
 * time-out is a temporary error, retried later). Long enough to ride out a resolver outage, short
 * enough that a sender whose name servers never answer cannot keep a message waiting for ever.
 */
export const AUTH_DEFER_LIMIT_MS = 3_600_000;

/** Templates that go to support about a message; the throttle counts them. */
const SUPPORT_TEMPLATES = new Set(['support-alert', 'csr-needs-review']);

/**
 * Parses and authenticates the message, decides in the desk's queue and resolves with its
 * disposition once the decision is durable. Callers may hand over several messages at once: each
 * takes its place in the queue when it is handed over (so they are decided in that order) and
 * parsing, mail authentication and the disk write overlap with the decisions on the others.
 */
export async function handleMessage(core: DeskCore, raw: Buffer, meta: SourceMeta, reprocess?: Reprocess): Promise<Disposition> {
  const started = performance.now();
  // Over the size the source reads, only the message's first bytes are here: nothing to check.
  const oversize = meta.oversize;
  const parsing =
    oversize !== undefined
      ? Promise.resolve(unreadMessage(raw, `the message is ${formatMegabytes(oversize)}, over the ${formatMegabytes(MAX_MESSAGE_BYTES)} the desk reads`))
      : core.deps.parser
        ? core.deps.parser.parse(raw)
        : parseMessage(raw);
  const authenticating =
    core.deps.authenticator && oversize === undefined ? core.deps.authenticator.authenticate(raw, meta.envelope) : Promise.resolve(AUTH_OFF);
  // Awaited when the message's turn comes; a failure meanwhile is not an unhandled rejection.
  parsing.catch(() => undefined);
  authenticating.catch(() => undefined);
  const decided = core.queue.run(async () => decide(core, await parsing, await authenticating, meta, reprocess));
  const { disposition, durable, key } = await decided;
  await durable;
  core.deps.onHandled?.(core.deps.store.getInbound(key)?.kind ?? 'other', disposition, (performance.now() - started) / 1000);
  await keepParked(core, key, raw, disposition, reprocess !== undefined);
  return disposition;
}

/** Support asked for a message in Review to be handled again (`portdesk review reprocess`). */
export interface Reprocess {
  by?: string;
}

interface Decision {
  disposition: Disposition;
  /** Resolves once the records behind the disposition are on disk. */
  durable: Promise<void>;
  key: string;
}

/**
 * A message parked in Review is kept (parked-mail port) so support can have it handled again;
 * one handled again and no longer parked is let go. Neither may fail the message: its decision is
 * already recorded, and the IMAP copy sits in PortDesk/Review anyway.
 */
async function keepParked(core: DeskCore, key: string, raw: Buffer, disposition: Disposition, reprocessed: boolean): Promise<void> {
  const parked = core.deps.parkedMail;
  if (!parked) return;
  try {
    if (disposition === 'review') await parked.save(key, raw);
    else if (reprocessed) await parked.remove(key);
  } catch (err) {
    core.deps.log.warn({ messageKey: key, err: { message: (err as Error).message } }, 'could not keep the parked message for reprocessing');
  }
}

async function decide(core: DeskCore, msg: InboundMessage, auth: AuthResult, meta: SourceMeta, reprocess?: Reprocess): Promise<Decision> {
  const log = core.deps.log.child({ messageKey: msg.key, uid: meta.uid });
  const store = core.deps.store;
  const seen = store.getInbound(msg.key);
  // Handled again on support's word: the message waits in Review, and only then.
  const again = reprocess !== undefined && seen?.outcome === 'review' && !seen.resolution;
  if (seen && seen.outcome !== 'deferred' && !again) {
    log.info({ outcome: seen.outcome }, 'message seen before; not handled again');
    // Seen before, possibly by a commit still on its way to the disk.
    const durable = store.flush();
    durable.catch(() => undefined); // awaited by handleMessage once the queue lets go
    return { disposition: seen.outcome, durable, key: msg.key };
  }
  const now = core.deps.clock.now();
  const classification = classifyMessage(msg, { deskAddresses: core.deskAddresses });
  const kind = classification.kind;
  const entry: InboundEntry = {
    key: msg.key,
    ...(msg.messageId ? { messageId: msg.messageId } : {}),
    ...(meta.mailbox ? { mailbox: meta.mailbox } : {}),
    ...(meta.uid !== undefined ? { uid: meta.uid } : {}),
    ...(meta.uidValidity ? { uidValidity: meta.uidValidity } : {}),
    ...(msg.from?.address ? { from: msg.from.address } : {}),
    ...(msg.subject ? { subject: msg.subject.slice(0, 300) } : {}),
    kind,
    outcome: 'processed',
    auth,
    orderIds: [],
    at: now.toISOString(),
  };

  // DNS did not answer: who sent it cannot be told yet. It waits (the IMAP source leaves it in
  // the mailbox, the SMTP listener answers 451) until an answer comes or the limit passes.
  if (core.authMode === 'enforce' && isAuthPending(auth) && AUTHENTICATED_KINDS.has(kind)) {
    const deferredSince = seen?.deferredSince ?? entry.at;
    if (now.getTime() - Date.parse(deferredSince) < AUTH_DEFER_LIMIT_MS) {
      log.info({ kind, deferredSince }, 'mail authentication waits on DNS; message deferred');
      return { disposition: 'deferred', durable: core.stage({ inbound: [{ ...entry, outcome: 'deferred', deferredSince }] }, [], now), key: msg.key };
    }
  }

  const arrivedAt = arrivalTime(meta, seen?.receivedAt, now);
  const input: InboundInput = { core, msg, auth, ctx: core.context(now), log, arrivedAt, ...(meta.envelope ? { envelope: meta.envelope } : {}) };
  let handled: Handled;
  try {
    handled = dispatch(input, kind);
  } catch (err) {
    // A reader or rule that throws on one message must not stop the desk.
    log.error({ err, kind }, 'message could not be handled');
    handled = review(input, 'INTERNAL_ERROR', `internal error while handling a ${kind}: ${(err as Error).message}`);
  }
  // Every request counts toward its sender's hourly limit, whatever became of it (the inbound log,
  // which seeds the count after a restart, holds them all alike).
  if (kind === 'port_request' && msg.from?.address) core.usage.recordRequest(msg.from.address, arrivedAt.getTime());
  const { effects, alert } = throttleAlerts(core, msg, handled, now);
  const final: InboundEntry = {
    ...entry,
    outcome: handled.outcome,
    ...(handled.reason ? { reason: handled.reason } : {}),
    ...(handled.reviewReason ? { reviewReason: handled.reviewReason } : {}),
    ...(alert ? { alert } : {}),
    ...(arrivedAt.getTime() < now.getTime() ? { receivedAt: arrivedAt.toISOString() } : {}),
    ...(again && handled.outcome !== 'review'
      ? { resolution: { action: 'reprocessed' as const, at: entry.at, ...(reprocess.by ? { by: reprocess.by } : {}), previous: `${seen.reviewReason ?? 'OTHER'}: ${seen.reason ?? ''}` } }
      : {}),
    orderIds: handled.orderIds ?? [],
  };
  const changes = { ...(handled.changes ?? {}), inbound: [final] };
  let durable: Promise<void>;
  try {
    durable = core.stage(changes, effects, now);
  } catch (err) {
    if (!isDeskError(err, 'TEMPLATE_ERROR')) throw err;
    const e = err;
    // A broken template override must not lose the message: park it and say why.
    log.error({ err, kind }, 'message effects could not be prepared; parked for review');
    const parked = review(input, 'TEMPLATE_ERROR', `the desk could not prepare its answer (${e.code}: ${e.message}); nothing was changed`);
    const withAlert = throttleAlerts(core, msg, parked, now);
    const parkedEntry: InboundEntry = { ...entry, outcome: 'review', reviewReason: 'TEMPLATE_ERROR', reason: parked.reason!, ...(withAlert.alert ? { alert: withAlert.alert } : {}) };
    let parkedDurable: Promise<void>;
    try {
      parkedDurable = core.stage({ inbound: [parkedEntry] }, withAlert.effects, now);
    } catch {
      // Even the alert cannot be rendered: the Review folder and the log carry the reason.
      parkedDurable = core.stage({ inbound: [parkedEntry] }, [], now);
    }
    return { disposition: 'review', durable: parkedDurable, key: msg.key };
  }
  log.info({ kind, outcome: handled.outcome, reviewReason: handled.reviewReason, reason: handled.reason, orderIds: final.orderIds }, 'message handled');
  return { disposition: handled.outcome, durable, key: msg.key };
}

/**
 * When the message reached the provider: the IMAP server's INTERNALDATE (its own clock, not the
 * sender's Date header), or what the inbound log kept of it; never later than now, and never
 * more than a week earlier (a mailbox restored from a backup is not that old a flood).
 */
function arrivalTime(meta: SourceMeta, kept: string | undefined, now: Date): Date {
  const candidate = meta.receivedAt ?? (kept ? new Date(kept) : undefined);
  if (!candidate || Number.isNaN(candidate.getTime())) return now;
  const earliest = now.getTime() - 7 * 24 * 3_600_000;
  return new Date(Math.min(now.getTime(), Math.max(earliest, candidate.getTime())));
}

function dispatch(input: InboundInput, kind: InboundEntry['kind']): Handled {
  const { msg } = input;
  // Read only in part: what was left unread may change what it asks, whatever it is.
  if (msg.limits?.length) return review(input, 'TOO_LARGE', `the desk read only part of the message (${msg.limits.join('; ')}); not acted on`);
  if (kind === 'auto_reply' || kind === 'bounce') return HANDLERS[kind](input);
  if (!msg.from?.address) return review(input, 'NO_SENDER', 'the message has no sender address, so it cannot be answered');
  // Parsers disagree on who sent `Name <a@x> <b@y>`: such a message speaks for nobody.
  if (msg.senderProblem) return review(input, 'NO_SENDER', `${msg.senderProblem}; the sender cannot be told, so nothing was acted on`);
  // A message the parser had to repair may not say what its sender wrote (a misread charset, a
  // lost part or attachment): a port-out is not decided on it. A missing Message-ID is harmless.
  const repairs = msg.defects.filter((d) => d !== 'no Message-ID');
  if (repairs.length) return review(input, 'PARSE_REPAIRED', `the message had to be repaired to be read (${repairs.join('; ')}); not acted on`);
  return HANDLERS[kind](input);
}

/**
 * Support hears about a message at most once per sender an hour and ten times an hour in all
 * (SPEC §10); what is held back is listed in the daily digest. A message bound by the desk's own
 * secret cannot be part of a forged flood, and its alert may be the one that matters: never held.
 */
function throttleAlerts(core: DeskCore, msg: InboundMessage, handled: Handled, now: Date): { effects: Effect[]; alert?: 'sent' | 'held' } {
  const effects = handled.effects ?? [];
  const support = core.deps.config.supportEmail.toLowerCase();
  const isAlert = (e: Effect) => e.kind === 'email' && SUPPORT_TEMPLATES.has(e.template) && e.to.every((to) => to.toLowerCase() === support);
  if (!effects.some(isAlert)) return { effects };
  if (handled.bound || handled.urgent) return { effects, alert: 'sent' };
  if (core.alerts.admit(msg.from?.address ?? '(no sender)', now.getTime())) return { effects, alert: 'sent' };
  return { effects: effects.filter((e) => !isAlert(e)), alert: 'held' };
}
