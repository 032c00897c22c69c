/**
 * Delivers the outbox (SPEC §7): every e-mail is stored before it is sent, and this is the only
 * code that sends. A transient failure is retried with capped, jittered exponential backoff; a
 * permanent one (or the last allowed attempt) marks the entry failed and queues an alert to
 * support in the same commit, so a failure is never silent and nothing is dropped.
 *
 * Passes never overlap: two overlapping passes could both read an entry as queued and send it
 * twice. A crash between send and commit can still resend an entry once; its Message-ID is
 * fixed, so receivers see the same message again, not a new one.
 */
import type { Logger } from '../logger.js';
import { computeBackoff, type BackoffOptions } from '../domain/backoff.js';
import type { OutboxEntry } from '../domain/records.js';
import type { Clock } from '../ports/clock.js';
import type { Ids } from '../ports/ids.js';
import type { Mailer, SendResult } from '../ports/mailer.js';
import type { RenderedMail, Renderer } from '../ports/renderer.js';
import type { Store } from '../ports/store.js';
import type { DeskInfo } from './template-names.js';

/**
 * After the first failed attempt an e-mail waits 30 s, doubling with each further attempt up to an
 * hour, jittered down by up to half so that entries that failed together spread out.
 */
export const OUTBOX_BACKOFF: Omit<BackoffOptions, 'random'> = { baseMs: 30_000, maxMs: 3_600_000, jitter: 0.5 };

export interface OutboxDeliveryOptions {
  store: Pick<Store, 'listQueuedOutbox' | 'getOutbox' | 'commit' | 'flush' | 'claimOutbox' | 'mayAct'>;
  mailer: Mailer;
  clock: Clock;
  log: Logger;
  /**
   * Transient failures are retried without limit (nothing is dropped); after this many attempts
   * support is told once that the e-mail is still waiting (default 10).
   */
  alertAfterAttempts?: number;
  /** Overrides OUTBOX_BACKOFF, field by field (the randomness is `random` below). */
  backoff?: Partial<Omit<BackoffOptions, 'random'>>;
  /** Renders the support alert about a failed e-mail; without it the failure is only logged. */
  renderer?: Renderer;
  /** The desk's facts: the alert goes to `supportEmail`, from `from`. */
  desk?: DeskInfo;
  /** Message-IDs for the alerts, the same the desk's own e-mails get. */
  ids?: Pick<Ids, 'messageId'>;
  /** A random number in [0, 1) for jitter; tests pass a fixed one. */
  random?: () => number;
  /** E-mails in flight at once (default 5, as many as the SMTP pool has connections). */
  concurrency?: number;
  /**
   * Outcomes are recorded once this many are waiting (default 50) or the oldest has waited
   * `commitAfterMs` (default 1 s): a crash resends at most that many e-mails, or that second's.
   */
  commitEvery?: number;
  commitAfterMs?: number;
  /** When a claim could not be asked (the database unreachable), the next pass is this much later (default 2 s). */
  claimRetryMs?: number;
}

export interface DeliveryResult {
  sent: number;
  retried: number;
  failed: number;
}

export interface OutboxDelivery {
  /** Sends every queued entry that is due. A call during a pass returns that pass's promise. */
  deliverDue(): Promise<DeliveryResult>;
  /** Asks for a pass now, after a commit queued e-mails. Kicks during a pass coalesce into one more pass. */
  kick(): void;
  /** Resolves when no pass is running or asked for (for a clean stop). */
  idle(): Promise<void>;
}

export function createOutboxDelivery(options: OutboxDeliveryOptions): OutboxDelivery {
  const { store, mailer, clock, log, renderer, desk, ids } = options;
  const alertAfter = Math.max(1, options.alertAfterAttempts ?? 10);
  const backoff: BackoffOptions = { ...OUTBOX_BACKOFF, ...options.backoff, random: options.random ?? Math.random };
  const concurrency = Math.max(1, options.concurrency ?? 5);
  const commitEvery = Math.max(1, options.commitEvery ?? 50);
  const commitAfterMs = Math.max(0, options.commitAfterMs ?? 1000);
  if (!renderer || !desk || !ids) log.warn('outbox delivery has no renderer, desk or ids: support will not be e-mailed about failed e-mails');

  let running: Promise<DeliveryResult> | undefined;
  let again = false;
  const claimRetryMs = options.claimRetryMs ?? 2_000;
  let retryTimer: NodeJS.Timeout | undefined;
  /** A claim failed for a passing reason: another pass soon, not at the next job run. */
  const retrySoon = () => {
    if (retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      delivery.kick();
    }, claimRetryMs);
    retryTimer.unref();
  };

  function start(): Promise<DeliveryResult> {
    const pass = runPass().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        start().catch((err: unknown) => log.error({ err }, 'outbox pass failed'));
      }
    });
    running = pass;
    return pass;
  }

  async function runPass(): Promise<DeliveryResult> {
    const result: DeliveryResult = { sent: 0, retried: 0, failed: 0 };
    const now = clock.now().getTime();
    const due = store.listQueuedOutbox().filter((e) => Date.parse(e.nextAttemptAt) <= now);
    if (due.length === 0) return result;
    // An entry may be in memory before it is on disk: nothing is sent before the change that
    // queued it is durable, or a crash could leave an e-mail out that the desk never decided.
    await store.flush();
    // `concurrency` sends in flight at once (the SMTP pool's connections), outcomes recorded a
    // group at a time while the next sends go on: one commit per e-mail would pay a journal
    // fsync per e-mail. A crash before a group's commit resends that group with the same
    // Message-IDs.
    let next = 0;
    let settled: OutboxEntry[] = [];
    let oldestSettledAt = 0;
    const commits: Promise<void>[] = [];
    const record = (force: boolean) => {
      if (settled.length === 0) return;
      if (!force && settled.length < commitEvery && performance.now() - oldestSettledAt < commitAfterMs) return;
      const commit = store.commit({ outbox: settled });
      // Awaited with the others at the end of the pass; until then a failure must not count as
      // an unhandled rejection (which would end the process).
      commit.catch(() => undefined);
      commits.push(commit);
      settled = [];
    };
    const worker = async () => {
      while (next < due.length) {
        // Re-read: a command working on the same data may have sent or changed it since the list.
        const entry = store.getOutbox(due[next++]!.id);
        if (!entry || entry.status !== 'queued') continue;
        if (store.claimOutbox) {
          const claimed = await store.claimOutbox(entry.id).catch((err: unknown) => {
            log.warn({ outboxId: entry.id, err: { message: (err as Error).message } }, 'could not claim an e-mail to send; trying again shortly');
            retrySoon();
            return false;
          });
          if (!claimed) continue;
        }
        const outcome = await attempt(entry);
        const change = settle(entry, outcome, clock.now());
        if (settled.length === 0) oldestSettledAt = performance.now();
        settled.push(...change.entries);
        result[change.counted] += 1;
        record(false);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
    record(true);
    await Promise.all(commits);
    log.debug({ ...result }, 'outbox pass done');
    return result;
  }

  async function attempt(entry: OutboxEntry): Promise<SendResult> {
    // A process paused since its claim (its lease ended meanwhile, by its own clock) sends nothing:
    // another daemon has taken over and sends it. Reported as a passing failure, never recorded
    // (this process can no longer write).
    if (store.mayAct && !store.mayAct()) return { ok: false, permanent: false, error: 'this daemon is no longer the active one' };
    try {
      return await mailer.send(entry);
    } catch (err) {
      // A mailer should return its failures; one that throws is treated as a passing problem.
      return { ok: false, permanent: false, error: err instanceof Error ? err.message : String(err) };
    }
  }

  function settle(entry: OutboxEntry, sent: SendResult, at: Date): { entries: OutboxEntry[]; counted: keyof DeliveryResult } {
    // A server may quote the message's own Message-ID in its refusal; a verification's binds the
    // customer's answer, and the error is shown to support and sent to other systems.
    const outcome: SendResult = sent.ok ? sent : { ...sent, error: sent.error.split(entry.messageId).join('(this e-mail)') };
    const attempts = entry.attempts + 1;
    const logFields = { outboxId: entry.id, orderId: entry.orderId, template: entry.template, attempts };
    if (outcome.ok) {
      const { lastError: _dropped, ...rest } = entry;
      return { entries: [{ ...rest, status: 'sent', attempts, sentAt: at.toISOString() }], counted: 'sent' };
    }
    if (!outcome.permanent) {
      // The first retry follows the first failed attempt.
      const delay = computeBackoff(attempts - 1, backoff);
      const nextAttemptAt = new Date(at.getTime() + delay).toISOString();
      log.warn({ ...logFields, error: outcome.error, nextAttemptAt }, 'e-mail not sent, will retry');
      const retried: OutboxEntry = { ...entry, attempts, lastError: outcome.error, nextAttemptAt };
      // A long outage is worth a person's attention once; the e-mail itself keeps waiting.
      const alert = attempts === alertAfter ? buildFailureAlert(retried, at, 'delayed') : undefined;
      return { entries: alert ? [retried, alert] : [retried], counted: 'retried' };
    }
    const failed: OutboxEntry = { ...entry, status: 'failed', attempts, lastError: outcome.error };
    log.error({ ...logFields, error: outcome.error, permanent: outcome.permanent }, 'e-mail failed for good');
    const alert = buildFailureAlert(failed, at, 'failed');
    return { entries: alert ? [failed, alert] : [failed], counted: 'failed' };
  }

  function buildFailureAlert(failed: OutboxEntry, at: Date, kind: 'failed' | 'delayed'): OutboxEntry | undefined {
    if (!renderer || !desk || !ids) return undefined;
    // An alert about an alert would loop: mail to support that cannot be delivered is only logged.
    const support = normaliseAddress(desk.supportEmail);
    if (failed.to.every((to) => normaliseAddress(to) === support)) return undefined;
    try {
      const rendered = renderer.render('support-alert', {
        desk,
        title: kind === 'failed' ? 'An e-mail could not be delivered' : 'An e-mail is still waiting to be delivered',
        lines: [
          `To: ${failed.to.join(', ')}`,
          ...(failed.cc.length ? [`Cc: ${failed.cc.join(', ')}`] : []),
          `Subject: ${failed.subject}`,
          `Template: ${failed.template}`,
          // Never the Message-ID: a verification's binds the customer's reply, and support must not hold it.
          `Outbox id: ${failed.id}`,
          `Attempts: ${failed.attempts}`,
          `Last error: ${failed.lastError ?? 'unknown'}`,
          ...(kind === 'delayed' ? ['The desk keeps retrying; nothing is dropped. Please check the SMTP server.'] : []),
        ],
        ...(failed.orderId ? { orderId: failed.orderId } : {}),
      });
      return buildOutboxEntry({
        // Derived from the failed entry, so committing the same failure twice cannot alert twice.
        id: kind === 'failed' ? `${failed.id}.alert` : `${failed.id}.delayed`,
        messageId: ids.messageId(),
        template: 'support-alert',
        rendered,
        from: desk.from,
        to: desk.supportEmail,
        autoSubmitted: 'auto-generated',
        ...(failed.orderId ? { orderId: failed.orderId } : {}),
        now: at,
      });
    } catch (err) {
      log.error({ err, outboxId: failed.id }, 'could not build the support alert for a failed e-mail');
      return undefined;
    }
  }

  const delivery: OutboxDelivery = {
    deliverDue() {
      return running ?? start();
    },
    kick() {
      if (running) {
        again = true;
        return;
      }
      start().catch((err: unknown) => log.error({ err }, 'outbox pass failed'));
    },
    async idle() {
      clearTimeout(retryTimer);
      retryTimer = undefined;
      while (running) await running.catch(() => undefined);
    },
  };
  return delivery;
}

export interface OutboxEntryInput {
  id: string;
  messageId: string;
  template: string;
  rendered: RenderedMail;
  from: string;
  to: string | string[];
  cc?: string[];
  replyTo?: string;
  inReplyTo?: string;
  references?: string[];
  autoSubmitted: OutboxEntry['autoSubmitted'];
  orderId?: string;
  now: Date;
}

/** A queued outbox entry, due at once. Pure: the caller stores it with the change that caused it. */
export function buildOutboxEntry(input: OutboxEntryInput): OutboxEntry {
  const at = input.now.toISOString();
  return {
    id: input.id,
    messageId: input.messageId,
    template: input.template,
    from: input.from,
    to: Array.isArray(input.to) ? [...input.to] : [input.to],
    cc: input.cc ? [...input.cc] : [],
    ...(input.replyTo ? { replyTo: input.replyTo } : {}),
    subject: input.rendered.subject,
    text: input.rendered.text,
    html: input.rendered.html,
    ...(input.inReplyTo ? { inReplyTo: input.inReplyTo } : {}),
    references: input.references ? [...input.references] : [],
    autoSubmitted: input.autoSubmitted,
    ...(input.orderId ? { orderId: input.orderId } : {}),
    status: 'queued',
    attempts: 0,
    nextAttemptAt: at,
    createdAt: at,
  };
}

function normaliseAddress(address: string): string {
  const angle = /<([^>]+)>/.exec(address);
  return (angle ? angle[1]! : address).trim().toLowerCase();
}
