/**
 * Delivers the events to each endpoint (SPEC §14): until a 2xx, the same `webhook-id` on every
 * try, an order's events one after the other in the order they were written. Each endpoint runs
 * on its own, so one that is down never holds up another, and nothing here is in the desk's way:
 * the desk only commits events; this reads them and records outcomes in small commits of its own.
 *
 * When an endpoint fails it is paused (1 s, doubling, at most 5 minutes) and then tried with one
 * event at a time until one goes through; then everything that waited on the outage is sent at
 * once. An event the endpoint refuses while it takes others waits its own backoff, so one event
 * it cannot take never blocks the others — except the later events of the same order, which
 * must not overtake it. Support is told once when an endpoint has refused an event for an hour.
 */
import { createHash } from 'node:crypto';
import { computeBackoff, type BackoffOptions } from '../domain/backoff.js';
import type { OutboxEntry, WebhookDelivery, WebhookEvent } from '../domain/records.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import type { WebhookSender } from '../ports/webhook-sender.js';

/** From 1 s, doubling, at most 5 minutes between tries (SPEC §14); a little jitter spreads endpoints. */
export const WEBHOOK_BACKOFF: Omit<BackoffOptions, 'random'> = { baseMs: 1_000, maxMs: 300_000, jitter: 0.1 };
export const WEBHOOK_ALERT_AFTER_MS = 3_600_000;

export interface WebhookDeliveryOptions {
  store: Pick<Store, 'listPendingEvents' | 'getEvent' | 'getOutbox' | 'commit' | 'flush' | 'mayAct'>;
  sender: WebhookSender;
  /**
   * Where to send: the address, and the key its deliveries are recorded under (the address with
   * its password and query masked, so neither is stored or logged). A string is both.
   */
  endpoints: readonly (string | { url: string; key: string })[];
  clock: Clock;
  log: Logger;
  /**
   * The support alert for an endpoint that has refused events for an hour (built by the caller
   * with the desk's templates). `id` is derived from the outage, so it is queued once.
   */
  alert?: (a: { id: string; endpoint: string; since: string; pending: number; lastError: string }) => OutboxEntry | undefined;
  /** After an alert is committed (the outbox is asked to send it). */
  onAlert?: () => void;
  backoff?: Partial<Omit<BackoffOptions, 'random'>>;
  alertAfterMs?: number;
  /** Events in flight at once per endpoint (default 4). */
  concurrency?: number;
  /** How often each endpoint looks for work without a kick (default 1 s). */
  tickMs?: number;
  random?: () => number;
}

export interface WebhookDeliveryRunner {
  /** New events were written: every endpoint looks now. */
  kick(): void;
  /** Runs one pass on every endpoint and resolves when they are done (tests, `jobs run`). */
  deliverDue(): Promise<{ delivered: number; failed: number }>;
  /** Stops the timers and waits for passes in flight. */
  stop(): Promise<void>;
}

interface EndpointState {
  url: string;
  /** What its deliveries are recorded, and it is logged, under. */
  key: string;
  healthy: boolean;
  /**
   * What the last outage held back: deliveries last tried within it are due at once when it ends,
   * except the one whose failure began it (the endpoint may refuse that event itself: it keeps
   * its own backoff). At start, everything tried before.
   */
  released: { from: number; to: number; except?: string };
  /** The current outage: when it began and with which event. */
  outage?: { from: number; starter: string };
  failures: number;
  pausedUntil: number;
  /** When the timer last looked for an hour of refusals (once a minute is enough for an hour's alert). */
  outageCheckedAt: number;
  running?: Promise<{ delivered: number; failed: number }>;
  again: boolean;
}

export function createWebhookDelivery(options: WebhookDeliveryOptions): WebhookDeliveryRunner {
  const { store, sender, clock, log } = options;
  const backoff: BackoffOptions = { ...WEBHOOK_BACKOFF, ...options.backoff, random: options.random ?? Math.random };
  const alertAfterMs = options.alertAfterMs ?? WEBHOOK_ALERT_AFTER_MS;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const started = clock.now().getTime();
  const endpoints: EndpointState[] = options.endpoints.map((e) => ({
    ...(typeof e === 'string' ? { url: e, key: e } : e),
    healthy: true,
    released: { from: -Infinity, to: started },
    failures: 0,
    pausedUntil: 0,
    outageCheckedAt: -Infinity,
    again: false,
  }));
  let stopped = false;
  /** Set once the deliveries to endpoints no longer configured have been dropped (at the first tick it may act). */
  let removedDropped = false;

  const timer = setInterval(() => {
    dropRemovedEndpoints();
    for (const ep of endpoints) {
      // Once a minute by the desk's clock, not per tick or kick: listing what waits for a dead
      // endpoint costs a sort of every pending event. Counted only when it could look: a desk
      // that may not act just now (PostgreSQL: its lease not yet renewed) looks at the next tick.
      const now = clock.now().getTime();
      if (now - ep.outageCheckedAt >= 60_000 && options.alert && active()) {
        ep.outageCheckedAt = now;
        checkOutage(ep, heads(ep), now);
      }
      void run(ep);
    }
  }, options.tickMs ?? 1_000);
  timer.unref();

  function run(ep: EndpointState): Promise<{ delivered: number; failed: number }> {
    if (stopped) return Promise.resolve({ delivered: 0, failed: 0 });
    if (ep.running) {
      ep.again = true;
      return ep.running;
    }
    const pass = runPass(ep)
      .catch((err: unknown) => {
        log.error({ err, endpoint: ep.key }, 'webhook pass failed');
        return { delivered: 0, failed: 0 };
      })
      .finally(() => {
        ep.running = undefined;
        if (ep.again) {
          ep.again = false;
          void run(ep);
        }
      });
    ep.running = pass;
    return pass;
  }

  /** The first pending event of each order for this endpoint, and every pending event without an order. */
  function heads(ep: EndpointState): { event: WebhookEvent; delivery: WebhookDelivery }[] {
    const seen = new Set<string>();
    const out: { event: WebhookEvent; delivery: WebhookDelivery }[] = [];
    for (const event of store.listPendingEvents()) {
      const delivery = event.deliveries.find((d) => d.endpoint === ep.key && d.status === 'pending');
      if (!delivery) continue;
      const key = event.orderId ?? `event:${event.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ event, delivery });
    }
    return out;
  }

  async function runPass(ep: EndpointState): Promise<{ delivered: number; failed: number }> {
    const result = { delivered: 0, failed: 0 };
    for (;;) {
      if (!active()) return result;
      const now = clock.now().getTime();
      // A paused endpoint costs nothing, however often new events kick it.
      if (!ep.healthy && now < ep.pausedUntil) return result;
      const all = heads(ep);
      let batch: typeof all;
      if (!ep.healthy) {
        // One probe: an event tried the fewest times (one the endpoint keeps refusing would say
        // nothing of the endpoint), the soonest due among them.
        const probe = all.sort((a, b) => a.delivery.attempts - b.delivery.attempts || Date.parse(a.delivery.nextAttemptAt) - Date.parse(b.delivery.nextAttemptAt))[0];
        batch = probe ? [probe] : [];
      } else {
        const { from, to, except } = ep.released;
        const heldBack = (event: WebhookEvent, d: WebhookDelivery) => {
          const last = d.lastAttemptAt ? Date.parse(d.lastAttemptAt) : undefined;
          return last !== undefined && last >= from && last < to && event.id !== except;
        };
        // Up to 200 a pass: each pass lists (and sorts) what is pending, which after a long outage is a lot.
        // Events never refused first: one the endpoint keeps refusing, due again, comes last, so the
        // pass it ends has sent the others.
        batch = all
          .filter(({ event, delivery: d }) => Date.parse(d.nextAttemptAt) <= now || heldBack(event, d))
          .slice(0, 200)
          .sort((a, b) => a.delivery.attempts - b.delivery.attempts);
      }
      if (batch.length === 0) return result;
      // An event is in memory before it is on disk: none is sent before the commit that wrote it is durable.
      await store.flush();
      // This endpoint's outcomes, by event: merged into the events as they are at the commit, so
      // another endpoint's outcome recorded meanwhile is kept.
      const settled = new Map<string, WebhookDelivery>();
      let failedInPass = false;
      let next = 0;
      const worker = async () => {
        // After a failure the rest of the batch waits for the probe: one outage costs one request.
        while (next < batch.length && !failedInPass && !stopped) {
          const { event, delivery } = batch[next++]!;
          const outcome = await sender.send(ep.url, event);
          const at = clock.now();
          settled.set(event.id, settle(delivery, outcome, at));
          if (outcome.ok) {
            result.delivered++;
            if (!ep.healthy) {
              log.info({ endpoint: ep.key, after: ep.failures }, 'webhook endpoint takes events again');
              ep.healthy = true;
              ep.released = { from: ep.outage?.from ?? at.getTime(), to: at.getTime(), ...(ep.outage ? { except: ep.outage.starter } : {}) };
              ep.outage = undefined;
            }
            ep.failures = 0;
          } else {
            result.failed++;
            log.warn({ endpoint: ep.key, eventId: event.id, type: event.type, error: outcome.error }, 'webhook not delivered, will retry');
            if (failedInPass) continue;
            failedInPass = true;
            ep.outage ??= { from: at.getTime(), starter: event.id };
            ep.healthy = false;
            ep.pausedUntil = at.getTime() + computeBackoff(ep.failures, backoff);
            ep.failures++;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, worker));
      const updated: WebhookEvent[] = [];
      for (const [id, delivery] of settled) {
        const current = store.getEvent(id);
        if (!current) continue;
        updated.push({ ...current, deliveries: current.deliveries.map((d) => (d.endpoint === ep.key ? delivery : d)) });
      }
      if (updated.length) await store.commit({ events: updated });
    }
  }

  function settle(d: WebhookDelivery, outcome: Awaited<ReturnType<WebhookSender['send']>>, at: Date): WebhookDelivery {
    const iso = at.toISOString();
    const attempts = d.attempts + 1;
    if (outcome.ok) {
      const { lastError: _e, firstFailedAt: _f, ...rest } = d;
      return { ...rest, status: 'delivered', attempts, lastAttemptAt: iso, deliveredAt: iso };
    }
    return {
      ...d,
      attempts,
      lastAttemptAt: iso,
      firstFailedAt: d.firstFailedAt ?? iso,
      lastError: outcome.error,
      nextAttemptAt: new Date(at.getTime() + computeBackoff(attempts - 1, backoff)).toISOString(),
    };
  }

  /** An hour of refusals: support is told once per outage (the alert's id names the outage's start). Never throws. */
  function checkOutage(ep: EndpointState, all: { event: WebhookEvent; delivery: WebhookDelivery }[], now: number): void {
    try {
      raiseOutageAlert(ep, all, now);
    } catch (err) {
      log.error({ err, endpoint: ep.key }, 'could not build the webhook alert');
    }
  }

  /**
   * Deliveries still pending to an endpoint that has left WEBHOOK_URL are marked dropped, once per
   * start: nothing would ever take them, and they would count as waiting forever. Logged with a
   * count; tried again at the next tick if the commit fails.
   */
  function dropRemovedEndpoints(): void {
    if (removedDropped || !active()) return;
    removedDropped = true;
    const keys = new Set(endpoints.map((ep) => ep.key));
    const at = clock.now().toISOString();
    const removed = new Set<string>();
    const updated: WebhookEvent[] = [];
    for (const event of store.listPendingEvents()) {
      if (!event.deliveries.some((d) => d.status === 'pending' && !keys.has(d.endpoint))) continue;
      const deliveries = event.deliveries.map((d) => {
        if (d.status !== 'pending' || keys.has(d.endpoint)) return d;
        removed.add(d.endpoint);
        return { ...d, status: 'dropped' as const, droppedAt: at };
      });
      updated.push({ ...event, deliveries });
    }
    if (updated.length === 0) return;
    store.commit({ events: updated }).then(
      () => log.warn({ endpoints: [...removed], events: updated.length }, 'events waiting for endpoints no longer in WEBHOOK_URL were dropped'),
      (err: unknown) => {
        removedDropped = false;
        log.error({ err }, 'could not drop the events waiting for removed endpoints; trying again');
      },
    );
  }

  /** Not stopped, and this process may act (on PostgreSQL: it holds a lease still valid by its clock). */
  function active(): boolean {
    return !stopped && (!store.mayAct || store.mayAct());
  }

  function raiseOutageAlert(ep: EndpointState, all: { event: WebhookEvent; delivery: WebhookDelivery }[], now: number): void {
    if (!options.alert || !active()) return;
    let oldest: WebhookDelivery | undefined;
    for (const { delivery: d } of all) if (d.firstFailedAt && (!oldest || d.firstFailedAt < oldest.firstFailedAt!)) oldest = d;
    if (!oldest?.firstFailedAt || now - Date.parse(oldest.firstFailedAt) < alertAfterMs) return;
    const id = `webhook-down.${createHash('sha256').update(ep.key).digest('hex').slice(0, 12)}.${Date.parse(oldest.firstFailedAt)}`;
    if (store.getOutbox(id)) return;
    const entry = options.alert({ id, endpoint: ep.key, since: oldest.firstFailedAt, pending: all.length, lastError: oldest.lastError ?? 'unknown' });
    if (!entry) return;
    log.error({ endpoint: ep.key, since: oldest.firstFailedAt }, 'a webhook endpoint has refused events for an hour; support is told');
    void store.commit({ outbox: [entry] }).then(
      () => options.onAlert?.(),
      (err: unknown) => log.error({ err }, 'could not queue the webhook alert'),
    );
  }

  return {
    kick() {
      for (const ep of endpoints) void run(ep);
    },
    async deliverDue() {
      dropRemovedEndpoints();
      for (const ep of endpoints) checkOutage(ep, heads(ep), clock.now().getTime());
      const results = await Promise.all(endpoints.map((ep) => run(ep)));
      return results.reduce((a, r) => ({ delivered: a.delivered + r.delivered, failed: a.failed + r.failed }), { delivered: 0, failed: 0 });
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.all(endpoints.map((ep) => ep.running?.catch(() => undefined)));
      sender.close?.();
    },
  };
}
