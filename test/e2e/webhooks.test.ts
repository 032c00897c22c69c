/**
 * End to end, events out (SPEC §14): the real daemon tells a provider's endpoint of every order's
 * life over signed Standard Webhooks, keeps what the endpoint refuses as records and delivers it
 * once the endpoint is back (after a restart too), tells support once when an endpoint has refused
 * events for an hour, and never lets one endpoint hold up another or the desk's mail.
 *
 * The receiver (test/support/webhook-receiver.ts) checks every signature itself: a request it
 * could not verify is answered 401 and recorded with `verified: false`.
 */
import type { ParsedMail } from 'mailparser';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_TIMEOUT_MS } from '../../src/adapters/webhook-sender.js';
import type { Account } from '../../src/domain/records.js';
import { SUPPORT, isTo, startDeskHarness, type DeskHarness } from '../support/desk-harness.js';
import { findFreePort } from '../support/free-port.js';
import { startWebhookReceiver, type AcceptedWebhook, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver.js';
import { CARRIER, account, matchingRequest, orderIdOf, replyTo } from './support/scenario.js';

const customer = (n: number) => `customer${n}@example.test`;
const ok = (status: number) => status >= 200 && status < 300;
const ALERT_SUBJECT = /Events are not reaching another system/;

function deskFor(receivers: WebhookReceiver[], accounts: Account[], env: Record<string, string> = {}): Promise<DeskHarness> {
  return startDeskHarness({
    accounts,
    env: {
      WEBHOOK_URL: receivers.map((r) => r.url).join(','),
      WEBHOOK_SECRET: receivers[0]!.secret,
      VERIFICATION_WINDOW: '1h',
      REMINDER_AFTER: '30m',
      // PostgreSQL only: the lease is renewed every second, so after the test moves the desk's
      // clock forward (past the lease's end by that clock) the desk acts again within a second.
      FAILOVER_AFTER: '3s',
      ...env,
    },
  });
}

/** The customer's verification e-mail for account n, after its request was sent. */
async function requestVerified(h: DeskHarness, n: number, pon: string): Promise<{ orderId: string; verification: ParsedMail }> {
  await h.send(matchingRequest(n, pon));
  const verification = await h.waitForMail((m) => isTo(customer(n), m) && /confirm/i.test(m.subject ?? ''));
  return { orderId: orderIdOf(verification), verification };
}

/** What an endpoint accepted about one order, in arrival order. */
function orderEventsAt(r: WebhookReceiver, orderId: string): AcceptedWebhook[] {
  return r.accepted().filter((w) => w.event.type.startsWith('order.') && w.event.data.id === orderId);
}

const hasTypes = (orderId: string, types: string[]) => (acc: AcceptedWebhook[]) =>
  types.every((t) => acc.some((w) => w.event.type === t && w.event.data.id === orderId));

function idsOf(h: DeskHarness, orderId: string): string[] {
  return h.daemon.store.listOrderEvents(orderId).map((e) => e.id);
}

/** Every delivery of the order's events to `endpoint` (every endpoint when unset) recorded as delivered. */
async function expectRecordedDelivered(h: DeskHarness, orderId: string, endpoint?: string): Promise<void> {
  const statuses = () =>
    h.daemon.store
      .listOrderEvents(orderId)
      .flatMap((e) => e.deliveries)
      .filter((d) => !endpoint || d.endpoint === endpoint)
      .map((d) => d.status);
  expect(statuses().length).toBeGreaterThan(0);
  // The outcome is committed just after the endpoint answered.
  await expect.poll(() => statuses().every((s) => s === 'delivered'), { timeout: 10_000 }).toBe(true);
}

/**
 * The endpoint got the events (store ids, in the order written) one after the other: each was
 * accepted, none tried before the one before it was accepted, and every try of an id was signed
 * and carried the same event.
 */
function expectInOrder(r: WebhookReceiver, ids: string[]): void {
  const reqs = r.requests;
  let previousAccepted = -1;
  for (const id of ids) {
    const first = reqs.findIndex((q) => q.id === id);
    const accepted = reqs.findIndex((q) => q.id === id && ok(q.status));
    expect(first, `event ${id} reached the endpoint`).toBeGreaterThanOrEqual(0);
    expect(accepted, `event ${id} accepted`).toBeGreaterThanOrEqual(first);
    expect(first, `event ${id} tried only after the one before it was accepted`).toBeGreaterThan(previousAccepted);
    previousAccepted = accepted;
    const tries = reqs.filter((q) => q.id === id);
    for (const q of tries) {
      expect(q.verified, `event ${id} signed`).toBe(true);
      // The same content; not always the same bytes: on PostgreSQL an event re-read from the
      // database (after a restart) has its data's keys in jsonb's order.
      expect(JSON.parse(q.body), `event ${id}: the same body on every try`).toEqual(JSON.parse(tries[0]!.body));
    }
  }
}

function byId(requests: readonly ReceivedWebhook[]): Map<string, ReceivedWebhook[]> {
  const out = new Map<string, ReceivedWebhook[]>();
  for (const q of requests) out.set(q.id, [...(out.get(q.id) ?? []), q]);
  return out;
}

// ------------------------------------------------------------------------------------------------

describe('events out to one endpoint', () => {
  let h: DeskHarness;
  let r: WebhookReceiver;

  beforeAll(async () => {
    r = await startWebhookReceiver();
    h = await deskFor([r], [account(61), account(62, { portOutLock: true }), account(63), account(64), account(65), account(66), account(67), account(68), account(69), account(70)]);
  });

  afterAll(async () => {
    await h?.close();
    await r?.close();
  });

  it("an order's whole life, in order and signed: received, verification sent, approved, completed", async () => {
    const { orderId, verification } = await requestVerified(h, 61, 'PON-WH-61');
    await h.send(replyTo(verification, { from: customer(61), text: 'APPROVE\n\nThanks' }));
    await h.waitForMail((m) => isTo(CARRIER, m) && (m.subject ?? '').includes(orderId) && /approv/i.test(m.subject ?? ''));
    // What `portdesk orders complete` sends the running daemon.
    expect(await h.command({ cmd: 'complete', id: orderId })).toMatchObject({ ok: true });
    const types = ['order.received', 'order.verification_sent', 'order.approved', 'order.completed'];
    await r.waitFor(hasTypes(orderId, types));

    const order = h.daemon.store.getOrder(orderId)!;
    expect(order.state).toBe('completed');
    const got = orderEventsAt(r, orderId);
    expect(got.map((w) => w.event.type)).toEqual(types);
    const ids = got.map((w) => w.id);
    expect(new Set(ids).size).toBe(4);
    expect(idsOf(h, orderId)).toEqual(ids);
    expectInOrder(r, ids);
    // Every request about the order was signed with the secret and accepted the first time.
    const tries = r.requests.filter((q) => ids.includes(q.id));
    expect(tries).toHaveLength(4);
    for (const q of tries) expect(q).toMatchObject({ verified: true, status: 204 });

    for (const [i, w] of got.entries()) {
      const stored = h.daemon.store.getEvent(w.id)!;
      expect(w.event.type).toBe(stored.type);
      expect(w.event.timestamp).toBe(stored.timestamp);
      expect(Object.keys(w.event).sort()).toEqual(['data', 'timestamp', 'type']);
      // The signature's time is the sender's wall clock (the receiver's 5-minute tolerance passed).
      expect(Math.abs(Number(w.timestamp) * 1000 - w.at)).toBeLessThan(60_000);
      const data = w.event.data;
      expect(data).toMatchObject({
        id: orderId,
        state: ['received', 'pending_verification', 'approved', 'completed'][i],
        accountId: 'ACCT-61',
        dids: order.dids,
        carrier: { email: CARRIER, pon: 'PON-WH-61' },
        reasonCodes: [],
        createdAt: order.createdAt,
      });
      expect(data.dids).toEqual(['+12065551611']);
      expect(typeof (data.carrier as { name?: unknown }).name).toBe('string');
      // No console here (HTTP_PORT=0): no link.
      expect(data).not.toHaveProperty('link');
    }
    const [, sent, approved, completed] = got.map((w) => w.event.data);
    expect(sent!.verification).toMatchObject({ sentAt: order.verification!.sentAt, expiresAt: order.verification!.expiresAt });
    expect(Object.keys(sent!.verification as object).sort()).toEqual(['expiresAt', 'sentAt']);
    expect(approved).toMatchObject({ decidedBy: 'customer', focDate: order.focDate });
    expect(approved!.focDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(completed!.updatedAt).toBe(order.updatedAt);

    await expectRecordedDelivered(h, orderId);
    for (const e of h.daemon.store.listOrderEvents(orderId)) {
      expect(e.deliveries).toEqual([expect.objectContaining({ endpoint: r.url, status: 'delivered', attempts: 1, deliveredAt: expect.any(String) })]);
      expect(e.deliveries[0]).not.toHaveProperty('lastError');
    }
  });

  it('a port-protected account: order.received then order.rejected with PORT_PROTECTED', async () => {
    await h.send(matchingRequest(62, 'PON-WH-62'));
    const [rejected] = (
      await r.waitFor((acc) => acc.some((w) => w.event.type === 'order.rejected' && (w.event.data.carrier as { pon?: string }).pon === 'PON-WH-62'))
    ).filter((w) => w.event.type === 'order.rejected' && (w.event.data.carrier as { pon?: string }).pon === 'PON-WH-62');
    const orderId = rejected!.event.data.id as string;
    const got = orderEventsAt(r, orderId);
    expect(got.map((w) => w.event.type)).toEqual(['order.received', 'order.rejected']);
    expect(got.map((w) => w.event.data.state)).toEqual(['received', 'rejected']);
    expect(rejected!.event.data).toMatchObject({ accountId: 'ACCT-62', reasonCodes: ['PORT_PROTECTED'] });
    expect(rejected!.event.data.decidedBy).toEqual(expect.any(String));
    expect(idsOf(h, orderId)).toEqual(got.map((w) => w.id));
    expectInOrder(r, got.map((w) => w.id));
    expect(h.daemon.store.getOrder(orderId)?.state).toBe('rejected');
  });

  it('a message parked in Review: review.created with its reason', async () => {
    const messageId = 'wh-review-nofrom@example.test';
    const raw = readFileSync(new URL('../fixtures/bad/no-from.eml', import.meta.url)).toString('latin1').replace(/^message-id:.*$/im, `Message-ID: <${messageId}>`);
    await h.send(Buffer.from(raw, 'latin1'));
    const about = (w: AcceptedWebhook) => w.event.type === 'review.created' && JSON.stringify(w.event.data).includes(messageId);
    const [created] = (await r.waitFor((acc) => acc.some(about))).filter(about);
    expect(created!.verified).toBe(true);
    expect(created!.event.data.reason).toMatch(/no sender/);
    expect(h.daemon.store.getInbound(messageId)?.outcome).toBe('review');
    expect(h.daemon.store.getEvent(created!.id)?.type).toBe('review.created');
    // Exactly one event for the entry.
    expect(r.accepted().filter(about)).toHaveLength(1);
  });

  it("no secret leaves: never an order's token nor a verification's Message-ID", async () => {
    // Whatever the tests above made, and one more order whose verification someone else answers
    // (parked in Review, about the order: the reply quotes the verification and its subject).
    const { orderId, verification } = await requestVerified(h, 63, 'PON-WH-63');
    await h.send(replyTo(verification, { from: 'someone.else@example.test', text: 'APPROVE' }));
    const [parked] = (await r.waitFor((acc) => acc.some((w) => w.event.type === 'review.created' && w.event.data.orderIds !== undefined && (w.event.data.orderIds as string[]).includes(orderId)))).filter(
      (w) => w.event.type === 'review.created' && (w.event.data.orderIds as string[]).includes(orderId),
    );
    expect(parked!.event.data.reason).toMatch(/someone\.else@example\.test/);
    // An event about the order waits for the order's own events before it.
    expectInOrder(r, idsOf(h, orderId));
    expect(h.daemon.store.getEvent(parked!.id)?.orderId).toBe(orderId);
    const orders = h.daemon.store.listOrders();
    expect(orders.length).toBeGreaterThanOrEqual(3);
    const secrets = new Set<string>();
    for (const o of orders) {
      secrets.add(o.token);
      if (o.verification) {
        secrets.add(o.verification.messageId.replace(/^<|>$/g, ''));
        for (const id of o.verification.followUpIds ?? []) secrets.add(id.replace(/^<|>$/g, ''));
      }
    }
    // The Message-IDs of every e-mail the desk sent a customer, as they went out.
    for (const m of h.sink.messages.map((x) => x.parsed)) {
      if (/^customer\d+@/.test((m.to && !Array.isArray(m.to) ? m.to.value[0]?.address : '') ?? '') && m.messageId) secrets.add(m.messageId.replace(/^<|>$/g, ''));
    }
    expect(secrets.size).toBeGreaterThanOrEqual(6);
    expect(r.requests.length).toBeGreaterThan(0);
    for (const q of r.requests) {
      const everything = `${q.id} ${q.timestamp} ${q.signature} ${q.body}`;
      for (const s of secrets) expect(everything, `a request for ${q.id} carries ${s}`).not.toContain(s);
    }
  });

  it('an endpoint answering 503 for a while: every event arrives once it is back, in order, the same webhook-id on every try', async () => {
    r.respondWith(503);
    const before = r.requests.length;
    try {
      const a = await requestVerified(h, 64, 'PON-WH-64');
      const b = await requestVerified(h, 65, 'PON-WH-65');
      // A few refusals: the first tries and at least two probes.
      await expect.poll(() => r.requests.slice(before).filter((q) => q.status === 503).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
      const pending = h.daemon.store.listPendingEvents().filter((e) => e.orderId === a.orderId || e.orderId === b.orderId);
      expect(pending.length).toBe(4);
      r.respondWith(204);
      await r.waitFor((acc) => hasTypes(a.orderId, ['order.verification_sent'])(acc) && hasTypes(b.orderId, ['order.verification_sent'])(acc), 30_000);

      for (const { orderId } of [a, b]) {
        const ids = idsOf(h, orderId);
        expect(ids).toHaveLength(2);
        expect(orderEventsAt(r, orderId).map((w) => w.event.type)).toEqual(['order.received', 'order.verification_sent']);
        expect(orderEventsAt(r, orderId).map((w) => w.id)).toEqual(ids);
        expectInOrder(r, ids);
        await expectRecordedDelivered(h, orderId);
      }
      // Grouped by webhook-id: each event accepted once, some tried several times, each try of
      // an event at least about a second after the one before (paused, never a tight loop).
      const ours = [...idsOf(h, a.orderId), ...idsOf(h, b.orderId)];
      const groups = byId(r.requests.slice(before).filter((q) => ours.includes(q.id)));
      expect([...groups.keys()].sort()).toEqual([...ours].sort());
      let retried = 0;
      for (const [id, tries] of groups) {
        expect(tries.filter((q) => ok(q.status)), id).toHaveLength(1);
        expect(ok(tries.at(-1)!.status), `${id}: accepted last`).toBe(true);
        if (tries.length > 1) retried++;
        for (let i = 1; i < tries.length; i++) expect(tries[i]!.at - tries[i - 1]!.at, `${id} try ${i + 1}`).toBeGreaterThanOrEqual(800);
        // The store counted the same tries and kept no error once delivered.
        const d = h.daemon.store.getEvent(id)!.deliveries[0]!;
        expect(d.attempts, id).toBe(tries.length);
        expect(d.lastError).toBeUndefined();
      }
      expect(retried).toBeGreaterThanOrEqual(1);
    } finally {
      r.respondWith(204);
    }
  }, 60_000);

  it('an endpoint that is down: events wait as records, the desk keeps answering mail, all arrive once it is back', async () => {
    await r.stop();
    try {
      const a = await requestVerified(h, 66, 'PON-WH-66');
      await expect
        .poll(() => h.daemon.store.listPendingEvents().filter((e) => e.orderId === a.orderId && e.deliveries[0]!.attempts > 0).length, { timeout: 10_000 })
        .toBeGreaterThan(0);
      const pending = h.daemon.store.listPendingEvents().filter((e) => e.orderId === a.orderId);
      expect(pending.map((e) => e.type)).toEqual(['order.received', 'order.verification_sent']);
      const tried = pending[0]!.deliveries[0]!;
      expect(tried).toMatchObject({ endpoint: r.url, status: 'pending', firstFailedAt: expect.any(String), lastAttemptAt: expect.any(String) });
      expect(tried.attempts).toBeGreaterThan(0);
      expect(tried.lastError).toMatch(/ECONNREFUSED|refused|fetch failed/i);
      // The later event of the order is not tried before the first one goes through.
      expect(pending[1]!.deliveries[0]!.attempts).toBe(0);

      // The desk goes on: another order is read and its customer asked.
      const b = await requestVerified(h, 67, 'PON-WH-67');
      expect(h.daemon.store.getOrder(b.orderId)?.state).toBe('pending_verification');
      expect(h.daemon.store.listPendingEvents().filter((e) => e.orderId === b.orderId)).toHaveLength(2);

      await r.start();
      await r.waitFor((acc) => hasTypes(a.orderId, ['order.verification_sent'])(acc) && hasTypes(b.orderId, ['order.verification_sent'])(acc), 30_000);
      for (const { orderId } of [a, b]) {
        expect(orderEventsAt(r, orderId).map((w) => w.id)).toEqual(idsOf(h, orderId));
        expectInOrder(r, idsOf(h, orderId));
        await expectRecordedDelivered(h, orderId);
      }
    } finally {
      await r.start();
    }
  }, 60_000);

  it('a restart between the failure and the recovery loses nothing', async () => {
    await r.stop();
    let restarted = false;
    try {
      const { orderId } = await requestVerified(h, 68, 'PON-WH-68');
      await expect
        .poll(() => h.daemon.store.listPendingEvents().filter((e) => e.orderId === orderId && e.deliveries[0]!.attempts > 0).length, { timeout: 10_000 })
        .toBeGreaterThan(0);
      const idsBefore = idsOf(h, orderId);
      expect(idsBefore).toHaveLength(2);
      const pendingBefore = h.daemon.store.listPendingEvents().map((e) => e.id);
      expect(pendingBefore).toEqual(expect.arrayContaining(idsBefore));

      await h.stopDaemon();
      await r.start();
      await h.startDaemonAgain();
      restarted = true;

      await r.waitFor(hasTypes(orderId, ['order.received', 'order.verification_sent']), 30_000);
      expect(orderEventsAt(r, orderId).map((w) => w.id)).toEqual(idsBefore);
      expect(idsOf(h, orderId)).toEqual(idsBefore);
      expectInOrder(r, idsBefore);
      await expectRecordedDelivered(h, orderId);
      // Everything that waited arrived, nothing is left.
      const arrived = new Set(r.accepted().map((w) => w.id));
      for (const id of pendingBefore) expect(arrived.has(id), id).toBe(true);
      await expect.poll(() => h.daemon.store.listPendingEvents().map((e) => e.id), { timeout: 10_000 }).toEqual([]);
    } finally {
      await r.start();
      if (!restarted) await h.startDaemonAgain().catch(() => undefined);
    }
  }, 60_000);

  it('an e-mail the mail server refuses for good: outbox.failed, after the order\'s own events', async () => {
    h.sink.refuse(550, '5.1.1 Mailbox unavailable');
    try {
      await h.send(matchingRequest(69, 'PON-WH-69'));
      const isOurs = (w: AcceptedWebhook) => w.event.type === 'outbox.failed' && (w.event.data.to as string[]).includes(customer(69));
      const [failed] = (await r.waitFor((acc) => acc.some(isOurs), 20_000)).filter(isOurs);
      const orderId = failed!.event.data.orderId as string;
      expect(failed!.event.data).toMatchObject({ template: 'customer-verification', to: [customer(69)], orderId, attempts: 1 });
      expect(failed!.event.data.lastError).toMatch(/550/);
      expect(h.daemon.store.getOutbox(failed!.event.data.id as string)?.status).toBe('failed');
      const ids = idsOf(h, orderId);
      expect(ids).toContain(failed!.id);
      await r.waitFor((acc) => ids.every((id) => acc.some((w) => w.id === id)));
      expectInOrder(r, ids);
      expect(ids.map((id) => h.daemon.store.getEvent(id)!.type).slice(0, 2)).toEqual(['order.received', 'order.verification_sent']);
    } finally {
      h.sink.accept();
    }
  });

  // SPEC §14: never a verification's Message-ID. A mail server may quote the refused message's
  // Message-ID in its answer; the desk records the answer without it, so neither the outbox entry
  // nor the outbox.failed event hands it on.
  let quoted: { messageId: string; eventId: string } | undefined;
  it("a mail server's answer quoting the verification's Message-ID: outbox.failed for the verification", async () => {
    h.sink.refuse(451, '4.3.0 Try again later');
    try {
      await h.send(matchingRequest(70, 'PON-WH-70'));
      const queued = () => h.daemon.store.listQueuedOutbox().find((e) => e.template === 'customer-verification' && e.to.includes(customer(70)) && e.attempts > 0);
      await expect.poll(() => queued() !== undefined, { timeout: 15_000 }).toBe(true);
      const messageId = queued()!.messageId.replace(/^<|>$/g, '');
      const orderId = queued()!.orderId!;
      expect(h.daemon.store.getOrder(orderId)!.verification!.messageId.replace(/^<|>$/g, '')).toBe(messageId);
      // The retry is refused for good, the server naming the message it refused.
      h.sink.refuse(550, `5.7.1 Message <${messageId}> refused by local policy`);
      h.clock.advance(5 * 60_000);
      const isOurs = (w: AcceptedWebhook) => w.event.type === 'outbox.failed' && w.event.data.orderId === orderId && w.event.data.template === 'customer-verification';
      const [failed] = (await r.waitFor((acc) => acc.some(isOurs), 20_000)).filter(isOurs);
      expect(failed!.event.data.lastError).toMatch(/550/);
      quoted = { messageId, eventId: failed!.id };
    } finally {
      h.sink.accept();
    }
  }, 60_000);

  it('…and the event does not carry that Message-ID out, nor does the outbox entry keep it', () => {
    expect(quoted, 'the test before set it up').toBeDefined();
    const body = r.requests.find((q) => q.id === quoted!.eventId)!.body;
    expect(body).not.toContain(quoted!.messageId);
    // (The sink answers every message so here; a real server quotes the message it refuses.)
    const verification = h.daemon.store.listOutbox().find((e) => e.messageId.replace(/^<|>$/g, '') === quoted!.messageId)!;
    expect(verification.lastError).toMatch(/550 5\.7\.1 Message <\(this e-mail\)> refused/);
  });
});

// ------------------------------------------------------------------------------------------------

describe('an endpoint refusing events for an hour', () => {
  let h: DeskHarness;
  let r: WebhookReceiver;
  const alerts = () => h.mailsTo(SUPPORT).filter((m) => ALERT_SUBJECT.test(m.subject ?? ''));
  // Queued in the pass that looks at the outage, before that pass tries the endpoint.
  const queuedAlerts = () => h.daemon.store.listOutbox().filter((e) => e.template === 'support-alert' && e.id.startsWith('webhook-down.'));

  beforeAll(async () => {
    r = await startWebhookReceiver();
    r.respondWith(500);
    h = await deskFor([r], [account(71), account(72), account(73)], { VERIFICATION_WINDOW: '72h', REMINDER_AFTER: '24h' });
  });

  afterAll(async () => {
    await h?.close();
    await r?.close();
  });

  /** Moves the desk's clock and waits until the endpoint was tried again after it (a tick ran). */
  async function advanceAndTick(ms: number): Promise<void> {
    const n = r.requests.length;
    h.clock.advance(ms);
    await expect.poll(() => r.requests.length, { timeout: 10_000 }).toBeGreaterThan(n);
  }

  it('support is told once per outage, after an hour', async () => {
    const { orderId } = await requestVerified(h, 71, 'PON-WH-71');
    await expect.poll(() => h.daemon.store.listOrderEvents(orderId)[0]?.deliveries[0]?.attempts ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(h.daemon.store.listOrderEvents(orderId)[0]!.deliveries[0]!.lastError).toMatch(/500/);
    // Under an hour: no alert.
    await advanceAndTick(50 * 60_000);
    expect(queuedAlerts()).toHaveLength(0);
    expect(alerts()).toHaveLength(0);

    await advanceAndTick(11 * 60_000);
    const alert = await h.waitForMail((m) => isTo(SUPPORT, m) && ALERT_SUBJECT.test(m.subject ?? ''));
    expect(alert.text).toContain(`127.0.0.1:${r.port}`);
    expect(alert.text).toMatch(/HTTP 500/);

    // The outage goes on, new events join it, more ticks: still the one alert.
    await requestVerified(h, 72, 'PON-WH-72');
    await advanceAndTick(2 * 60 * 60_000);
    // A short bounded wait for an alert that must not come: every tick looks at the outage (the
    // endpoint itself is paused for longer by now).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(alerts()).toHaveLength(1);
    expect(queuedAlerts()).toHaveLength(1);

    // Back: everything arrives (the pause may be minutes of the desk's clock by now).
    r.respondWith(204);
    h.clock.advance(6 * 60_000);
    await r.waitFor((acc) => acc.filter((w) => w.event.type.startsWith('order.')).length >= 4, 20_000);
    await expect.poll(() => h.daemon.store.listPendingEvents().length, { timeout: 10_000 }).toBe(0);

    // A new outage is a new alert.
    r.respondWith(500);
    const c = await requestVerified(h, 73, 'PON-WH-73');
    await expect.poll(() => h.daemon.store.listOrderEvents(c.orderId)[0]?.deliveries[0]?.attempts ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
    await advanceAndTick(61 * 60_000);
    await h.waitForMail((m) => isTo(SUPPORT, m) && ALERT_SUBJECT.test(m.subject ?? ''));
    expect(alerts()).toHaveLength(2);
    expect(queuedAlerts()).toHaveLength(2);
  }, 60_000);
});

// ------------------------------------------------------------------------------------------------

describe('two endpoints, one down', () => {
  let h: DeskHarness;
  let up: WebhookReceiver;
  let down: WebhookReceiver;
  const PUBLIC_URL = 'https://portdesk.example.test';

  beforeAll(async () => {
    up = await startWebhookReceiver();
    down = await startWebhookReceiver({ secret: up.secret });
    // With the console on: events link to it, and the verification carries one-click answer links.
    h = await deskFor([up, down], [account(81)], { HTTP_PORT: String(await findFreePort()), PUBLIC_URL });
  });

  afterAll(async () => {
    await h?.close();
    await up?.close();
    await down?.close();
  });

  it('the other still gets everything while the first try to the one down hangs; it catches up later', async () => {
    // Down the hard way: it takes the connection and never answers in time (the sender gives up
    // after WEBHOOK_TIMEOUT_MS). Were the endpoints one queue, `up` would wait that long.
    down.delay(WEBHOOK_TIMEOUT_MS + 5_000);
    const { orderId, verification } = await requestVerified(h, 81, 'PON-WH-81');
    const first = await up.waitFor(hasTypes(orderId, ['order.received', 'order.verification_sent']), 10_000);
    const firstTryDown = down.requests.find((q) => q.id === idsOf(h, orderId)[0]);
    expect(firstTryDown, 'the endpoint that hangs was tried').toBeDefined();
    // `up` had both while the first try to `down` was still unanswered.
    const sent = first.find((w) => w.event.type === 'order.verification_sent' && w.event.data.id === orderId)!;
    expect(sent.at).toBeLessThan(firstTryDown!.at + WEBHOOK_TIMEOUT_MS);

    // And it goes on taking the order's events while `down` keeps hanging.
    await h.send(replyTo(verification, { from: customer(81), text: 'APPROVE' }));
    await up.waitFor(hasTypes(orderId, ['order.approved']), 10_000);
    expect(orderEventsAt(up, orderId).map((w) => w.event.type)).toEqual(['order.received', 'order.verification_sent', 'order.approved']);
    await expectRecordedDelivered(h, orderId, up.url);
    for (const id of idsOf(h, orderId)) expect(h.daemon.store.getEvent(id)!.deliveries.find((d) => d.endpoint === up.url)).toMatchObject({ status: 'delivered', attempts: 1 });

    // The sender gives up on the hanging try; the events wait for `down` as records, and `down`
    // is never tried with a later event of the order before the first.
    await expect
      .poll(() => h.daemon.store.getEvent(firstTryDown!.id)!.deliveries.find((d) => d.endpoint === down.url)!.lastError ?? '', { timeout: WEBHOOK_TIMEOUT_MS + 5_000 })
      .toMatch(/no answer within/);
    expect(h.daemon.store.listPendingEvents().filter((e) => e.orderId === orderId)).toHaveLength(3);
    expect(new Set(down.requests.map((q) => q.id))).toEqual(new Set([firstTryDown!.id]));

    // It comes back: it catches up, in order.
    down.delay(0);
    await down.waitFor(hasTypes(orderId, ['order.received', 'order.verification_sent', 'order.approved']), 30_000);
    const ids = idsOf(h, orderId);
    expect(ids).toHaveLength(3);
    expectInOrder(down, ids);
    expectInOrder(up, ids);
    await expectRecordedDelivered(h, orderId);
    expect(h.daemon.store.getEvent(ids[0]!)!.deliveries.find((d) => d.endpoint === down.url)!.attempts).toBeGreaterThanOrEqual(2);

    // Both got the same events, each linking to the order in the console.
    for (const r of [up, down]) {
      const got = orderEventsAt(r, orderId);
      expect([...new Set(got.map((w) => w.id))]).toEqual(ids);
      for (const w of got) expect(w.event.data.link).toBe(`${PUBLIC_URL}/orders/${orderId}`);
    }
    // Nothing secret to either: the token, the verification's Message-ID, its answer links.
    const order = h.daemon.store.getOrder(orderId)!;
    const answerLinks = [...(verification.text ?? '').matchAll(/\/v\/(PO-[0-9A-Z]{6}\.[A-Za-z0-9_-]+)/g)].map((m) => m[1]!);
    expect(answerLinks.length).toBeGreaterThan(0);
    const secrets = [order.token, order.verification!.messageId.replace(/^<|>$/g, ''), ...answerLinks];
    for (const q of [...up.requests, ...down.requests]) for (const secret of secrets) expect(q.body).not.toContain(secret);
  }, 60_000);
});

// ------------------------------------------------------------------------------------------------

interface SlowForReviews {
  url: string;
  /** Every verified request, in arrival order. */
  requests: { id: string; type: string; at: number }[];
  /** Answer 503 to everything (true at first). */
  failing: boolean;
  close(): Promise<void>;
}

/**
 * An endpoint of our own that verifies like the receiver and takes every event at once, except
 * `review.created`, which it answers after `slowMs`: one event of a batch taken at once, another
 * slowly.
 */
async function startSlowForReviews(secret: string, slowMs: number): Promise<SlowForReviews> {
  const verifier = new Webhook(secret);
  const held = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (n: string) => String(req.headers[n] ?? '');
      try {
        verifier.verify(body, { 'webhook-id': header('webhook-id'), 'webhook-timestamp': header('webhook-timestamp'), 'webhook-signature': header('webhook-signature') });
      } catch {
        return void res.writeHead(401).end();
      }
      const type = (JSON.parse(body) as { type: string }).type;
      endpoint.requests.push({ id: header('webhook-id'), type, at: Date.now() });
      if (endpoint.failing) return void res.writeHead(503).end();
      if (type !== 'review.created') return void res.writeHead(204).end();
      const timer = setTimeout(() => (held.delete(timer), res.writeHead(204).end()), slowMs);
      held.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint: SlowForReviews = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    requests: [],
    failing: true,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of held) clearTimeout(t);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return endpoint;
}

describe('two endpoints taking the same batch at different speeds', () => {
  let h: DeskHarness;
  let slow: SlowForReviews;
  let quick: WebhookReceiver;

  beforeAll(async () => {
    quick = await startWebhookReceiver();
    slow = await startSlowForReviews(quick.secret, 3_000);
    quick.respondWith(503);
    h = await deskFor([quick], [account(91)], { WEBHOOK_URL: `${slow.url},${quick.url}` });
  });

  afterAll(async () => {
    await h?.close();
    await quick?.close();
    await slow?.close();
  });

  it('both take the waiting events after a restart; neither outcome overwrites the other', async () => {
    // Both refuse while an order's events and a Review entry's are written.
    const { orderId } = await requestVerified(h, 91, 'PON-WH-91');
    const messageId = 'wh-review-race@example.test';
    const raw = readFileSync(new URL('../fixtures/bad/no-from.eml', import.meta.url)).toString('latin1').replace(/^message-id:.*$/im, `Message-ID: <${messageId}>`);
    await h.send(Buffer.from(raw, 'latin1'));
    await expect.poll(() => h.daemon.store.listPendingEvents().filter((e) => e.type === 'review.created').length, { timeout: 10_000 }).toBe(1);
    const [received, sent] = idsOf(h, orderId) as [string, string];
    const review = h.daemon.store.listPendingEvents().find((e) => e.type === 'review.created')!.id;

    // Restarted, both start healthy on the same waiting events, one batch each: the order's first
    // event and the Review entry's. `slow` takes the order's at once and the review in 3 s;
    // `quick` takes both in half a second, and its outcome is recorded while `slow` still waits.
    await h.stopDaemon();
    slow.failing = false;
    quick.respondWith(204);
    quick.delay(500);
    await h.startDaemonAgain();

    await quick.waitFor((acc) => [received, sent, review].every((id) => acc.some((w) => w.id === id)), 10_000);
    const slowOutcome = () => h.daemon.store.getEvent(review)!.deliveries.find((d) => d.endpoint === slow.url)!.status;
    await expect.poll(slowOutcome, { timeout: 10_000 }).toBe('delivered');
    // `slow`'s outcomes are committed now; a few ticks for a re-send that must not come.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    for (const id of [received, sent, review]) {
      expect(quick.accepted().filter((w) => w.id === id), id).toHaveLength(1);
      const deliveries = h.daemon.store.getEvent(id)!.deliveries;
      expect(deliveries.map((d) => d.status)).toEqual(['delivered', 'delivered']);
      // Each endpoint's count is its own tries.
      expect(deliveries.find((d) => d.endpoint === quick.url)!.attempts, id).toBe(quick.requests.filter((q) => q.id === id).length);
      expect(deliveries.find((d) => d.endpoint === slow.url)!.attempts, id).toBe(slow.requests.filter((q) => q.id === id).length);
    }
    expectInOrder(quick, [received, sent]);
    const quickIds = quick.requests.map((q) => q.id);
    expect(quickIds.lastIndexOf(received)).toBeLessThan(quickIds.indexOf(sent));
    expect(h.daemon.store.listPendingEvents()).toEqual([]);
  }, 30_000);
});

// ------------------------------------------------------------------------------------------------

describe('an endpoint removed from WEBHOOK_URL', () => {
  let h: DeskHarness;
  let kept: WebhookReceiver;
  let gone: WebhookReceiver;
  const DROPPED = 'events waiting for endpoints no longer in WEBHOOK_URL were dropped';

  beforeAll(async () => {
    kept = await startWebhookReceiver();
    gone = await startWebhookReceiver({ secret: kept.secret });
    gone.respondWith(503);
    h = await startDeskHarness({
      accounts: [account(95), account(96)],
      captureLogs: true,
      env: { WEBHOOK_URL: `${kept.url},${gone.url}`, WEBHOOK_SECRET: kept.secret, VERIFICATION_WINDOW: '1h', REMINDER_AFTER: '30m', FAILOVER_AFTER: '3s' },
    });
  });

  afterAll(async () => {
    await h?.close();
    await kept?.close();
    await gone?.close();
  });

  it('what waited for it is dropped at the next start: listed as dropped, no longer pending, logged with a count, never sent there', async () => {
    const { orderId } = await requestVerified(h, 95, 'PON-WH-95');
    await kept.waitFor(hasTypes(orderId, ['order.received', 'order.verification_sent']), 10_000);
    await expectRecordedDelivered(h, orderId, kept.url);
    expect(h.daemon.store.listPendingEvents().map((e) => e.id)).toEqual(idsOf(h, orderId));

    await h.stopDaemon();
    await h.startDaemonAgain({ WEBHOOK_URL: kept.url });
    await expect.poll(() => h.daemon.store.listPendingEvents().length, { timeout: 10_000 }).toBe(0);
    expect(h.daemon.store.countRecords?.().pendingEvents).toBe(0);
    for (const id of idsOf(h, orderId)) {
      const deliveries = h.daemon.store.getEvent(id)!.deliveries;
      expect(deliveries.find((d) => d.endpoint === gone.url), id).toMatchObject({ status: 'dropped', droppedAt: expect.any(String) });
      expect(deliveries.find((d) => d.endpoint === kept.url)!.status, id).toBe('delivered');
    }
    // Logged once the commit that dropped them is durable.
    const logged = () =>
      h
        .logs()
        .split('\n')
        .filter((l) => l.includes(DROPPED))
        .map((l) => JSON.parse(l) as { endpoints: string[]; events: number });
    await expect.poll(logged, { timeout: 10_000 }).toEqual([expect.objectContaining({ endpoints: [gone.url], events: idsOf(h, orderId).length })]);

    // The desk goes on; the removed endpoint, answering again, hears nothing more.
    gone.respondWith(204);
    const triedBefore = gone.requests.length;
    const next = await requestVerified(h, 96, 'PON-WH-96');
    await kept.waitFor(hasTypes(next.orderId, ['order.received', 'order.verification_sent']), 10_000);
    expect(h.daemon.store.getEvent(idsOf(h, next.orderId)[0]!)!.deliveries.map((d) => d.endpoint)).toEqual([kept.url]);
    expect(gone.requests.length).toBe(triedBefore);
  }, 30_000);
});
