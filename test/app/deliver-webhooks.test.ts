/**
 * Delivering events to each endpoint (SPEC §14): the same webhook-id on every try, an order's
 * events in order, a failing endpoint paused and probed one event at a time, one endpoint never
 * holding up another, and support told once after an hour of refusals. Driven pass by pass with
 * deliverDue() on a clock the test moves; the timer never fires (tickMs 1e9).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookDelivery, type WebhookDeliveryOptions, type WebhookDeliveryRunner } from '../../src/app/deliver-webhooks.js';
import { createEventWriter } from '../../src/app/record-events.js';
import type { OutboxEntry, WebhookEvent, WebhookEventType } from '../../src/domain/records.js';
import { silentLogger } from '../../src/logger.js';
import type { WebhookResult, WebhookSender } from '../../src/ports/webhook-sender.js';
import { makeOutbox, T0 } from '../adapters/store-records.js';
import { FixedClock } from '../support/fixed-clock.js';
import { MemoryStore } from '../support/memory-store.js';

const HOOK = 'https://hooks.example.test/portdesk';
const TICKETS = 'https://tickets.example.test/in';
const OK: WebhookResult = { ok: true, status: 204 };
const DOWN: WebhookResult = { ok: false, error: 'connect ECONNREFUSED', status: 503 };
const REFUSED: WebhookResult = { ok: false, error: 'HTTP 400', status: 400 };

interface Call {
  endpoint: string;
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** Records every send and answers from a script (default: 204). Can hold sends until released. */
class FakeSender implements WebhookSender {
  readonly calls: Call[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** The answer to a send; `n` is how many times this event went to this endpoint before. */
  script: (endpoint: string, event: Call, n: number) => WebhookResult = () => OK;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((r) => (this.openGate = r));
  }
  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }
  async send(endpoint: string, event: Pick<WebhookEvent, 'id' | 'type' | 'timestamp' | 'data'>): Promise<WebhookResult> {
    const call: Call = { endpoint, id: event.id, type: event.type, timestamp: event.timestamp, data: structuredClone(event.data) };
    const n = this.calls.filter((c) => c.endpoint === endpoint && c.id === event.id).length;
    this.calls.push(call);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await (this.gate ?? Promise.resolve());
      return this.script(endpoint, call, n);
    } finally {
      this.inFlight--;
    }
  }
  /** Ids sent to an endpoint, in order. */
  sentTo(endpoint = HOOK): string[] {
    return this.calls.filter((c) => c.endpoint === endpoint).map((c) => c.id);
  }
}

const runners: WebhookDeliveryRunner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
});

function setup(opts: { endpoints?: string[]; store?: MemoryStore } & Partial<WebhookDeliveryOptions> = {}) {
  const endpoints = opts.endpoints ?? [HOOK];
  const clock = new FixedClock(T0);
  const store = opts.store ?? new MemoryStore();
  const sender = new FakeSender();
  const writer = createEventWriter(endpoints, clock);
  const runner = createWebhookDelivery({
    store,
    sender,
    endpoints,
    clock,
    log: silentLogger(),
    random: () => 0,
    tickMs: 1e9,
    ...opts,
  });
  runners.push(runner);
  /** Writes one event (of an order, or of a kind without one) as the desk would. */
  const write = async (orderId: string | undefined, type: WebhookEventType = 'order.approved'): Promise<WebhookEvent> => {
    const [event] = writer.build([{ type, ...(orderId ? { orderId } : {}), data: { id: orderId ?? null, secretless: true } }]);
    await store.commit({ events: [event!] });
    return store.getEvent(event!.id)!;
  };
  const delivery = (id: string, endpoint = HOOK) => store.getEvent(id)!.deliveries.find((d) => d.endpoint === endpoint)!;
  return { clock, store, sender, runner, write, delivery };
}

describe('deliver-webhooks: delivering', () => {
  it('sends each pending event and records it delivered in a commit of its own', async () => {
    const { store, sender, runner, write, delivery, clock } = setup();
    const a = await write('PO-000001');
    const b = await write(undefined, 'review.created');
    const commitsBefore = store.commits.length;
    clock.advance(250);
    expect(await runner.deliverDue()).toEqual({ delivered: 2, failed: 0 });
    expect(sender.calls).toEqual([
      { endpoint: HOOK, id: a.id, type: 'order.approved', timestamp: a.timestamp, data: a.data },
      { endpoint: HOOK, id: b.id, type: 'review.created', timestamp: b.timestamp, data: b.data },
    ]);
    const at = clock.now().toISOString();
    for (const id of [a.id, b.id]) {
      expect(delivery(id)).toEqual({ endpoint: HOOK, status: 'delivered', attempts: 1, nextAttemptAt: T0.toISOString(), lastAttemptAt: at, deliveredAt: at });
    }
    // Outcomes are committed (events only), and nothing is pending any more.
    const outcomes = store.commits.slice(commitsBefore);
    expect(outcomes.length).toBeGreaterThanOrEqual(1);
    for (const c of outcomes) expect(Object.keys(c)).toEqual(['events']);
    expect(store.listPendingEvents()).toEqual([]);
    // A second pass has nothing to do.
    expect(await runner.deliverDue()).toEqual({ delivered: 0, failed: 0 });
    expect(sender.calls).toHaveLength(2);
  });

  it('sends nothing before the store has made the events durable', async () => {
    const { store, sender, runner, write } = setup();
    await write('PO-000001');
    let release!: () => void;
    const durable = new Promise<void>((r) => (release = r));
    store.flush = () => durable;
    const pass = runner.deliverDue();
    await new Promise((r) => setImmediate(r));
    expect(sender.calls).toHaveLength(0);
    release();
    expect(await pass).toEqual({ delivered: 1, failed: 0 });
  });

  it('sends nothing while the store says this process may not act', async () => {
    const store = new MemoryStore();
    let lease = false;
    (store as MemoryStore & { mayAct: () => boolean }).mayAct = () => lease;
    const { sender, runner, write } = setup({ store });
    await write('PO-000001');
    expect(await runner.deliverDue()).toEqual({ delivered: 0, failed: 0 });
    expect(sender.calls).toHaveLength(0);
    expect(store.listPendingEvents()).toHaveLength(1);
    lease = true;
    expect(await runner.deliverDue()).toEqual({ delivered: 1, failed: 0 });
  });

  it('sends nothing after stop()', async () => {
    const { sender, runner, write } = setup();
    await write('PO-000001');
    await runner.stop();
    expect(await runner.deliverDue()).toEqual({ delivered: 0, failed: 0 });
    runner.kick();
    await new Promise((r) => setImmediate(r));
    expect(sender.calls).toHaveLength(0);
  });

  it('records a failed try (attempts, error, first failure, next try) and keeps the event pending', async () => {
    const { sender, runner, write, delivery, clock } = setup();
    sender.script = () => DOWN;
    const e = await write('PO-000001');
    expect(await runner.deliverDue()).toEqual({ delivered: 0, failed: 1 });
    expect(delivery(e.id)).toEqual({
      endpoint: HOOK,
      status: 'pending',
      attempts: 1,
      lastAttemptAt: T0.toISOString(),
      firstFailedAt: T0.toISOString(),
      lastError: DOWN.ok ? '' : DOWN.error,
      nextAttemptAt: new Date(T0.getTime() + 1_000).toISOString(),
    });
    clock.advance(1_000);
    await runner.deliverDue();
    expect(delivery(e.id)).toMatchObject({ attempts: 2, firstFailedAt: T0.toISOString(), nextAttemptAt: new Date(T0.getTime() + 3_000).toISOString() });
    sender.script = () => OK;
    clock.advance(2_000);
    await runner.deliverDue();
    const done = delivery(e.id);
    expect(done).toMatchObject({ status: 'delivered', attempts: 3, deliveredAt: clock.now().toISOString() });
    expect(done).not.toHaveProperty('lastError');
    expect(done).not.toHaveProperty('firstFailedAt');
  });

  it('sends the same event id, timestamp and data on every try', async () => {
    const { sender, runner, write, clock } = setup();
    const e = await write('PO-000001');
    sender.script = (_ep, _ev, n) => (n < 3 ? DOWN : OK);
    for (let i = 0; i < 6; i++) {
      await runner.deliverDue();
      clock.advance(10_000);
    }
    const tries = sender.calls.filter((c) => c.id === e.id);
    expect(tries).toHaveLength(4);
    for (const t of tries) expect(t).toEqual({ endpoint: HOOK, id: e.id, type: e.type, timestamp: e.timestamp, data: e.data });
  });
});

describe('deliver-webhooks: an order\'s events in order', () => {
  it('does not send an order\'s second event before its first is delivered', async () => {
    const { sender, runner, write, delivery, clock } = setup();
    const first = await write('PO-000001', 'order.received');
    const second = await write('PO-000001', 'order.verification_sent');
    sender.script = (_ep, ev, n) => (ev.id === first.id && n === 0 ? DOWN : OK);
    expect(await runner.deliverDue()).toEqual({ delivered: 0, failed: 1 });
    expect(sender.sentTo()).toEqual([first.id]);
    expect(delivery(second.id)).toMatchObject({ status: 'pending', attempts: 0 });
    // Paused: nothing until the backoff has passed, the second event included.
    await runner.deliverDue();
    expect(sender.sentTo()).toEqual([first.id]);
    clock.advance(1_000);
    expect(await runner.deliverDue()).toEqual({ delivered: 2, failed: 0 });
    expect(sender.sentTo()).toEqual([first.id, first.id, second.id]);
    expect(delivery(first.id).deliveredAt! <= delivery(second.id).deliveredAt!).toBe(true);
  });

  it('sends the events of different orders side by side', async () => {
    const { sender, runner, write } = setup();
    for (let i = 1; i <= 3; i++) await write(`PO-00000${i}`);
    sender.hold();
    const pass = runner.deliverDue();
    await new Promise((r) => setImmediate(r));
    expect(sender.inFlight).toBe(3);
    sender.release();
    expect(await pass).toEqual({ delivered: 3, failed: 0 });
  });

  it('events without an order wait for no other: one refused holds up nothing', async () => {
    const { sender, runner, write, clock, delivery } = setup({ concurrency: 1 });
    const r1 = await write(undefined, 'review.created');
    const r2 = await write(undefined, 'review.created');
    const s1 = await write(undefined, 'accounts.synced');
    sender.script = (_ep, ev) => (ev.id === r1.id ? REFUSED : OK);
    await runner.deliverDue();
    // r1 refused: the pass stops there (one request per failure); after the pause the others go.
    clock.advance(1_000);
    await runner.deliverDue();
    expect(delivery(r2.id).status).toBe('delivered');
    expect(delivery(s1.id).status).toBe('delivered');
    expect(delivery(r1.id).status).toBe('pending');
  });
});

describe('deliver-webhooks: a failing endpoint', () => {
  it('is paused after a failure: no send until the backoff (1 s for the first failure) has passed', async () => {
    const { sender, runner, write, clock } = setup();
    sender.script = () => DOWN;
    const e = await write('PO-000001');
    await runner.deliverDue();
    expect(sender.calls).toHaveLength(1);
    // A new event meanwhile does not go either.
    await write('PO-000002');
    clock.advance(999);
    expect(await runner.deliverDue()).toEqual({ delivered: 0, failed: 0 });
    expect(sender.calls).toHaveLength(1);
    clock.advance(1);
    expect(await runner.deliverDue()).toEqual({ delivered: 0, failed: 1 });
    expect(sender.calls).toHaveLength(2);
    // Second failure: 2 s.
    clock.advance(1_999);
    await runner.deliverDue();
    expect(sender.calls).toHaveLength(2);
    clock.advance(1);
    await runner.deliverDue();
    expect(sender.calls).toHaveLength(3);
    expect(sender.sentTo()[0]).toBe(e.id);
  });

  it('then is probed with ONE event at a time; after a good probe every waiting event goes at once', async () => {
    const { sender, runner, write, clock, store } = setup();
    let down = true;
    sender.script = () => (down ? DOWN : OK);
    const first = await write('PO-000001');
    await runner.deliverDue();
    expect(sender.calls).toHaveLength(1);
    const waiting = [await write('PO-000002'), await write('PO-000003'), await write('PO-000004'), await write('PO-000001', 'order.completed')];

    // The probe after the pause: one event only, the head whose own next try is soonest (here a
    // new one, due at once, before the failed event's 1 s), and it fails.
    clock.advance(1_000);
    expect(await runner.deliverDue()).toEqual({ delivered: 0, failed: 1 });
    expect(sender.calls).toHaveLength(2);
    expect(sender.calls[1]!.id).toBe(waiting[0]!.id);

    // The next probe, held while in flight: a kick or another pass sends nothing beside it.
    clock.advance(2_000);
    down = false;
    sender.hold();
    const pass = runner.deliverDue();
    await new Promise((r) => setImmediate(r));
    runner.kick();
    const again = runner.deliverDue();
    await new Promise((r) => setImmediate(r));
    expect(sender.calls).toHaveLength(3);
    expect(sender.inFlight).toBe(1);
    sender.release();
    await pass;
    await again;
    // The probe went through; then everything that waited went at once, the failed events
    // included without waiting for their own backoff.
    expect(sender.calls).toHaveLength(3 + 4);
    const all = [first, ...waiting].map((w) => w.id);
    expect(all).toContain(sender.calls[2]!.id);
    expect(new Set(sender.sentTo().slice(2))).toEqual(new Set(all));
    // The order's second event came after its first was delivered.
    expect(sender.sentTo().indexOf(waiting[3]!.id)).toBeGreaterThan(sender.sentTo().lastIndexOf(first.id));
    expect(store.listPendingEvents()).toEqual([]);
  });

  it('an event the endpoint always refuses does not block other orders, only the later events of its own order', async () => {
    const { sender, runner, write, clock, delivery } = setup();
    const poison = await write('PO-000001', 'order.received');
    const behind = await write('PO-000001', 'order.approved');
    const other = await write('PO-000002', 'order.received');
    sender.script = (_ep, ev) => (ev.id === poison.id ? REFUSED : OK);
    await runner.deliverDue();
    expect(delivery(other.id).status).toBe('delivered');
    const later = [];
    for (let i = 0; i < 20; i++) {
      clock.advance(7_000);
      const e = await write(`PO-1000${String(i).padStart(2, '0')}`);
      later.push(e);
      await runner.deliverDue();
      expect(delivery(e.id).status, `event ${i} of another order`).toBe('delivered');
    }
    expect(delivery(poison.id)).toMatchObject({ status: 'pending', lastError: 'HTTP 400' });
    expect(delivery(poison.id).attempts).toBeGreaterThan(1);
    expect(sender.calls.some((c) => c.id === behind.id)).toBe(false);
    expect(delivery(behind.id)).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('an event the endpoint always refuses keeps its own backoff: not tried again at every recovery', async () => {
    const { sender, runner, write, clock, delivery } = setup();
    const poison = await write('PO-000001', 'order.received');
    sender.script = (_ep, ev) => (ev.id === poison.id ? REFUSED : OK);
    await runner.deliverDue();
    // Every second, new events of other orders: each pass the endpoint takes them (a recovery).
    for (let i = 0; i < 30; i++) {
      clock.advance(1_000);
      await write(`PO-2000${String(i).padStart(2, '0')}`);
      await runner.deliverDue();
    }
    // 1 s, 2 s, 4 s, 8 s, 16 s between tries (no jitter here): five tries in 31 s, not thirty.
    expect(delivery(poison.id).attempts).toBeLessThanOrEqual(5);
    expect(delivery(poison.id).attempts).toBeGreaterThanOrEqual(4);
  });

  // One outage costs one request: after a failure the rest of the pass waits for the probe, and
  // the first pause is 1 s however many events were waiting.
  it('sends nothing more in the pass once the endpoint has failed (one event at a time)', async () => {
    const { sender, runner, write } = setup({ concurrency: 1 });
    sender.script = () => DOWN;
    for (let i = 1; i <= 3; i++) await write(`PO-00000${i}`);
    expect(await runner.deliverDue()).toEqual({ delivered: 0, failed: 1 });
    expect(sender.calls).toHaveLength(1);
  });

  it('the first pause of an outage is 1 s, however many events failed together', async () => {
    const { sender, runner, write, clock } = setup();
    sender.script = () => DOWN;
    for (let i = 0; i < 10; i++) await write(`PO-00000${i}`);
    await runner.deliverDue();
    const before = sender.calls.length;
    clock.advance(1_000);
    await runner.deliverDue();
    expect(sender.calls.length).toBe(before + 1);
  });

  it('one endpoint failing does not stop another', async () => {
    const { sender, runner, write, clock, delivery } = setup({ endpoints: [HOOK, TICKETS] });
    sender.script = (ep) => (ep === HOOK ? DOWN : OK);
    const a = await write('PO-000001', 'order.received');
    const b = await write('PO-000001', 'order.approved');
    const c = await write('PO-000002');
    expect(await runner.deliverDue()).toEqual({ delivered: 3, failed: 2 });
    // The heads of both orders first, then the order's second event once its first was delivered.
    expect(sender.sentTo(TICKETS)).toEqual([a.id, c.id, b.id]);
    for (const e of [a, b, c]) expect(delivery(e.id, TICKETS).status).toBe('delivered');
    // The failing endpoint's deliveries are still pending, and are retried on their own.
    for (const e of [a, b, c]) expect(delivery(e.id, HOOK).status).toBe('pending');
    clock.advance(60_000);
    const d = await write('PO-000003');
    await runner.deliverDue();
    expect(delivery(d.id, TICKETS).status).toBe('delivered');
    expect(delivery(d.id, HOOK).status).toBe('pending');
  });

  // Each endpoint records only its own delivery, merged into the event as it is at the commit:
  // another endpoint's outcome recorded meanwhile is kept, and nothing is sent twice.
  it('two endpoints both taking the same event: both outcomes are kept', async () => {
    const { sender, runner, write, delivery } = setup({ endpoints: [HOOK, TICKETS] });
    const e = await write('PO-000001');
    expect(await runner.deliverDue()).toEqual({ delivered: 2, failed: 0 });
    expect(delivery(e.id, HOOK).status).toBe('delivered');
    expect(delivery(e.id, TICKETS).status).toBe('delivered');
    // Nothing is sent twice.
    await runner.deliverDue();
    expect(sender.calls).toHaveLength(2);
  });

  // A failed try of one endpoint survives the other endpoint's commit of the same event.
  it('one endpoint\'s failed try is kept when the other endpoint delivers the same event', async () => {
    const { sender, runner, write, delivery } = setup({ endpoints: [HOOK, TICKETS] });
    sender.script = (ep) => (ep === HOOK ? DOWN : OK);
    const e = await write('PO-000001');
    await runner.deliverDue();
    expect(delivery(e.id, TICKETS).status).toBe('delivered');
    expect(delivery(e.id, HOOK)).toMatchObject({ status: 'pending', attempts: 1, firstFailedAt: T0.toISOString() });
  });
});

describe('deliver-webhooks: support told after an hour', () => {
  function alerting(extra: { store?: MemoryStore; tickMs?: number } = {}) {
    const alerts: { id: string; endpoint: string; since: string; pending: number; lastError: string }[] = [];
    let onAlert = 0;
    const ctx = setup({
      ...extra,
      alert: (a) => {
        alerts.push(a);
        return makeOutbox(a.id, { template: 'support-alert', to: ['support@desk.example.test'], subject: 'Events are not reaching another system' });
      },
      onAlert: () => onAlert++,
    });
    return { ...ctx, alerts, onAlerts: () => onAlert };
  }
  const settle = () => new Promise((r) => setImmediate(r));

  it('alerts once, an hour after the first refusal, and commits the alert', async () => {
    const { sender, runner, write, clock, store, alerts, onAlerts } = alerting();
    sender.script = () => DOWN;
    await write('PO-000001');
    await write('PO-000002');
    await runner.deliverDue();
    // 59 minutes of failures: nothing yet.
    for (let m = 0; m < 59; m++) {
      clock.advance(60_000);
      await runner.deliverDue();
    }
    await settle();
    expect(alerts).toEqual([]);
    clock.advance(60_000);
    await runner.deliverDue();
    await settle();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ endpoint: HOOK, since: T0.toISOString(), pending: 2, lastError: 'connect ECONNREFUSED' });
    expect(alerts[0]!.id).toMatch(/^webhook-down\.[0-9a-f]{12}\.\d+$/);
    const entry = store.getOutbox(alerts[0]!.id) as OutboxEntry;
    expect(entry).toMatchObject({ template: 'support-alert', status: 'queued' });
    expect(store.commits.some((c) => c.outbox?.some((o) => o.id === entry.id))).toBe(true);
    expect(onAlerts()).toBe(1);
    // Later passes of the same outage: not again (the alert is in the store).
    for (let m = 0; m < 30; m++) {
      clock.advance(5 * 60_000);
      await runner.deliverDue();
    }
    await settle();
    expect(alerts).toHaveLength(1);
    expect(onAlerts()).toBe(1);
  });

  it('alerts again for a new outage after the endpoint came back', async () => {
    const { sender, runner, write, clock, alerts } = alerting();
    let down = true;
    sender.script = () => (down ? DOWN : OK);
    await write('PO-000001');
    await runner.deliverDue();
    clock.advance(3_600_000);
    await runner.deliverDue();
    await settle();
    expect(alerts).toHaveLength(1);
    down = false;
    clock.advance(300_000);
    await runner.deliverDue();
    down = true;
    clock.advance(60_000);
    await write('PO-000002');
    await runner.deliverDue();
    clock.advance(3_600_000);
    await runner.deliverDue();
    await settle();
    expect(alerts).toHaveLength(2);
    expect(alerts[1]!.id).not.toBe(alerts[0]!.id);
  });

  it('the timer looks once a desk-minute; a look it could not make (the desk not active just then) is made at the next tick', async () => {
    const store = new MemoryStore();
    let active = true;
    let asked = 0;
    (store as MemoryStore & { mayAct: () => boolean }).mayAct = () => {
      asked++;
      return active;
    };
    const { sender, write, clock, alerts } = alerting({ store, tickMs: 5 });
    sender.script = () => DOWN;
    await write('PO-000001');
    await expect.poll(() => sender.calls.length).toBeGreaterThan(0);
    // An hour on by the desk's clock, the desk may not act for a while (on PostgreSQL: its lease
    // not yet renewed by the moved clock). Ticks go by.
    active = false;
    clock.advance(3_600_000);
    const before = asked;
    await expect.poll(() => asked).toBeGreaterThan(before + 5);
    expect(alerts).toEqual([]);
    // It may act again and the clock stays put: the look is made now, not a desk-minute later.
    active = true;
    await expect.poll(() => alerts.length).toBe(1);
  });

  it('builds the alert again (same id) on a later pass when it could not be committed, and queues it once', async () => {
    const { sender, runner, write, clock, store, alerts, onAlerts } = alerting();
    sender.script = () => DOWN;
    await write('PO-000001');
    await runner.deliverDue();
    clock.advance(3_600_000);
    // The alert's commit is refused.
    store.failNextCommit = new Error('disk full');
    await runner.deliverDue();
    await settle();
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    clock.advance(60_000);
    await runner.deliverDue();
    await settle();
    expect(alerts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(alerts.map((a) => a.id)).size).toBe(1);
    expect(store.getOutbox(alerts[0]!.id)).toBeDefined();
    expect(store.commits.filter((c) => c.outbox?.length)).toHaveLength(1);
    expect(onAlerts()).toBe(1);
    const built = alerts.length;
    clock.advance(600_000);
    await runner.deliverDue();
    await settle();
    expect(alerts).toHaveLength(built);
  });
});

describe('deliver-webhooks: an endpoint removed from WEBHOOK_URL', () => {
  const OLD = 'https://old-crm.example.test/in';

  /** A store holding events written while WEBHOOK_URL named OLD and HOOK. */
  async function storeFromBefore(orders: string[]): Promise<{ store: MemoryStore; ids: string[] }> {
    const store = new MemoryStore();
    const before = createEventWriter([OLD, HOOK], new FixedClock(T0));
    const events = before.build(orders.map((orderId) => ({ type: 'order.approved' as const, orderId, data: { id: orderId } })));
    await store.commit({ events });
    return { store, ids: events.map((e) => e.id) };
  }

  it('drops what waits for it (marked, with when), still delivers to the endpoints configured, and nothing counts as pending after', async () => {
    const { store, ids } = await storeFromBefore(['PO-000001', 'PO-000002']);
    const { sender, runner, delivery, clock } = setup({ store });
    clock.advance(60_000);
    expect(await runner.deliverDue()).toEqual({ delivered: 2, failed: 0 });
    expect(sender.calls.map((c) => c.endpoint)).toEqual([HOOK, HOOK]);
    for (const id of ids) {
      expect(delivery(id, OLD)).toMatchObject({ status: 'dropped', attempts: 0, droppedAt: clock.now().toISOString() });
      expect(delivery(id, HOOK).status).toBe('delivered');
    }
    expect(store.listPendingEvents()).toEqual([]);
  });

  it('an event that waited only for the removed endpoint is no longer pending', async () => {
    const store = new MemoryStore();
    const [event] = createEventWriter([OLD], new FixedClock(T0)).build([{ type: 'order.completed', orderId: 'PO-000003', data: { id: 'PO-000003' } }]);
    await store.commit({ events: [event!] });
    const { sender, runner } = setup({ store });
    await runner.deliverDue();
    expect(sender.calls).toEqual([]);
    expect(store.getEvent(event!.id)!.deliveries).toEqual([expect.objectContaining({ endpoint: OLD, status: 'dropped' })]);
    expect(store.listPendingEvents()).toEqual([]);
  });

  it('drops nothing while this process may not act, and drops once it may', async () => {
    const { store, ids } = await storeFromBefore(['PO-000001']);
    let lease = false;
    (store as MemoryStore & { mayAct: () => boolean }).mayAct = () => lease;
    const { runner, delivery } = setup({ store });
    await runner.deliverDue();
    expect(delivery(ids[0]!, OLD).status).toBe('pending');
    expect(store.commits.filter((c) => c.events?.length)).toHaveLength(1);
    lease = true;
    await runner.deliverDue();
    expect(delivery(ids[0]!, OLD).status).toBe('dropped');
  });

  it('tries again when the commit that drops fails', async () => {
    const { store, ids } = await storeFromBefore(['PO-000001']);
    const { runner, delivery } = setup({ store, sender: { send: async () => DOWN } });
    store.failNextCommit = new Error('disk full');
    await runner.deliverDue();
    await new Promise((r) => setImmediate(r));
    expect(delivery(ids[0]!, OLD).status).toBe('pending');
    await runner.deliverDue();
    expect(delivery(ids[0]!, OLD).status).toBe('dropped');
  });
});
