/**
 * The timed jobs (SPEC §8). Each finds what is due from the records and the clock alone, so a
 * run after downtime catches up, and a second run finds nothing left to do. Orders are handled
 * in batches, one commit per batch, inside the desk's serial queue so inbound mail interleaves.
 */
import type { Effect } from '../domain/effects.js';
import { isExpired, isOverdue, isReminderDue, transition, type DeskContext, type OrderEvent } from '../domain/order-machine.js';
import { ORDER_STATES, type Account, type PortOrder } from '../domain/records.js';
import { maskSecrets } from '../domain/secret-text.js';
import type { DeliveryResult, OutboxDelivery } from './deliver-outbox.js';
import type { Desk } from './desk.js';
import type { DeskCore } from './desk-core.js';

const BATCH = 500;
/** The digest lists this many held alerts and counts the rest. */
const MAX_HELD_LISTED = 200;

export interface JobResult {
  job: string;
  changed: number;
  detail?: Record<string, number>;
}

async function runOrderJob(
  core: DeskCore,
  job: string,
  due: (order: PortOrder, ctx: DeskContext) => boolean,
  event: OrderEvent,
): Promise<JobResult> {
  const log = core.deps.log.child({ job });
  const store = core.deps.store;
  const candidates = store.listOpenOrders().filter((o) => due(o, core.context()));
  const detail: Record<string, number> = {};
  let changed = 0;
  for (let i = 0; i < candidates.length; i += BATCH) {
    const ids = candidates.slice(i, i + BATCH).map((o) => o.id);
    await core.queue.run(async () => {
      const now = core.deps.clock.now();
      const ctx = core.context(now);
      const orders: PortOrder[] = [];
      const effects: Effect[] = [];
      const accounts = new Map<string, Account>();
      for (const id of ids) {
        // Re-read inside the queue: a reply may have decided the order since the scan.
        const order = store.getOrder(id);
        if (!order || !due(order, ctx)) continue;
        const account = accounts.get(order.accountId) ?? store.getAccount(order.accountId);
        if (!account) {
          log.error({ orderId: id, accountId: order.accountId }, 'order refers to a missing account; skipped');
          continue;
        }
        const outcome = transition(order, account, event, ctx);
        if (outcome.refused) continue;
        orders.push(outcome.order);
        detail[outcome.order.state] = (detail[outcome.order.state] ?? 0) + 1;
        for (const e of outcome.effects) {
          if (e.kind === 'account') accounts.set(e.account.id, e.account);
          else effects.push(e);
        }
      }
      if (!orders.length) return;
      await core.commit({ orders }, [...effects, ...[...accounts.values()].map((account) => ({ kind: 'account' as const, account }))], now);
      changed += orders.length;
    });
  }
  if (changed) log.info({ changed, ...detail }, 'job done');
  else log.debug('nothing due');
  return { job, changed, detail };
}

export interface JobsRun {
  jobs: JobResult[];
  outbox: DeliveryResult;
}

/**
 * Every order job once, then an outbox pass: what the schedule runs and `portdesk jobs run` asks
 * for. A failure rejects (after the jobs before it had their effect): a command reports it and
 * exits 1; the schedule logs it and runs again at its next tick.
 */
export async function runJobsOnce(desk: Pick<Desk, 'runOrderJobs'>, delivery: Pick<OutboxDelivery, 'deliverDue'>): Promise<JobsRun> {
  const jobs = await desk.runOrderJobs();
  const outbox = await delivery.deliverDue();
  return { jobs, outbox };
}

/** Rule 6: verifications whose window ran out are auto-matched. */
export function expireVerifications(core: DeskCore): Promise<JobResult> {
  return runOrderJob(core, 'expire-verifications', isExpired, { type: 'expire' });
}

/** Rule 2: one reminder at REMINDER_AFTER. */
export function sendReminders(core: DeskCore): Promise<JobResult> {
  return runOrderJob(core, 'send-reminders', isReminderDue, { type: 'remind' });
}

/** Rule 9: approved orders not completed by focDate + COMPLETION_GRACE are canceled. */
export function cancelOverdue(core: DeskCore): Promise<JobResult> {
  return runOrderJob(core, 'cancel-overdue', isOverdue, { type: 'cancel-overdue' });
}

/**
 * The daily digest to support. At most one per calendar day in TIMEZONE, so a second run (or a
 * restart) the same day sends nothing.
 */
export async function sendDigest(core: DeskCore, { onlyIfMissedSince }: { onlyIfMissedSince?: number } = {}): Promise<JobResult> {
  return core.queue.run(async () => {
    const store = core.deps.store;
    const now = core.deps.clock.now();
    const ctx = core.context(now);
    const today = ctx.calendar.today(now);
    const digests = store.listOutbox().filter((e) => e.template === 'daily-digest');
    const last = digests.reduce<string | undefined>((max, e) => (!max || e.createdAt > max ? e.createdAt : max), undefined);
    if (last && ctx.calendar.today(new Date(last)) === today) return { job: 'daily-digest', changed: 0 };
    if (onlyIfMissedSince !== undefined && (!last || now.getTime() - Date.parse(last) < onlyIfMissedSince)) {
      return { job: 'daily-digest', changed: 0 };
    }
    const since = now.getTime() - 86_400_000;
    const orders = store.listOrders();
    const counts = ORDER_STATES.map((state) => ({ state, count: orders.filter((o) => o.state === state).length })).filter((c) => c.count > 0);
    const opened = orders.filter((o) => Date.parse(o.createdAt) >= since).length;
    const decided = orders
      .filter((o) => o.decision && Date.parse(o.decision.at) >= since)
      .map((o) => ({ id: o.id, state: o.state, by: o.decision!.by }));
    const awaiting = orders
      .filter((o) => o.state === 'pending_verification' && o.verification)
      .map((o) => ({ id: o.id, expiresAt: ctx.calendar.formatInstant(new Date(o.verification!.expiresAt)) }));
    const failedEmails = store
      .listOutbox()
      .filter((e) => e.status === 'failed' && Date.parse(e.createdAt) >= since)
      .map((e) => ({ id: e.id, to: e.to.join(', '), error: e.lastError ?? '' }));
    // Alerts the throttle held back since the last digest (or the last day, for the first one).
    const heldSince = last ? Date.parse(last) : since;
    const held = store
      .listInbound()
      .filter((e) => e.alert === 'held' && Date.parse(e.at) >= heldSince)
      .sort((a, b) => a.at.localeCompare(b.at));
    const heldAlerts = held.slice(0, MAX_HELD_LISTED).map((e) => ({
      at: ctx.calendar.formatInstant(new Date(e.at)),
      from: e.from ?? '(no sender)',
      subject: maskSecrets((e.subject ?? '').slice(0, 120)),
      reason: `${e.reviewReason ?? e.outcome}: ${(e.reason ?? '').slice(0, 200)}`,
    }));
    await core.commit(
      {},
      [
        {
          kind: 'email',
          template: 'daily-digest',
          to: [core.deps.config.supportEmail],
          data: { date: ctx.calendar.formatDate(today), counts, opened, decided, awaiting, failedEmails, heldAlerts, heldMore: held.length - heldAlerts.length },
          autoSubmitted: 'auto-generated',
        },
      ],
      now,
    );
    return { job: 'daily-digest', changed: 1 };
  });
}
