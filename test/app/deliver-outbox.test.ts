import { describe, expect, it } from 'vitest';
import {
  buildOutboxEntry,
  createOutboxDelivery,
  type OutboxDeliveryOptions,
  type OutboxEntryInput,
} from '../../src/app/deliver-outbox.js';
import type { DeskInfo } from '../../src/app/template-names.js';
import { OutboxEntrySchema, type OutboxEntry } from '../../src/domain/records.js';
import { silentLogger } from '../../src/logger.js';
import type { Clock } from '../../src/ports/clock.js';
import type { Mailer, SendResult } from '../../src/ports/mailer.js';
import type { RenderedMail, Renderer } from '../../src/ports/renderer.js';
import type { Changes } from '../../src/ports/store.js';
import { SequenceIds } from '../support/sequence-ids.js';

const T0 = '2026-12-01T15:00:00.000Z';

/** The part of the Store that delivery uses, in memory; entries are validated as the real store would. */
class FakeOutboxStore {
  readonly entries = new Map<string, OutboxEntry>();
  readonly commits: Changes[] = [];
  listCalls = 0;

  constructor(entries: OutboxEntry[] = []) {
    for (const e of entries) this.entries.set(e.id, e);
  }
  listQueuedOutbox(): OutboxEntry[] {
    this.listCalls += 1;
    return [...this.entries.values()].filter((e) => e.status === 'queued').sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
  getOutbox(id: string): OutboxEntry | undefined {
    return this.entries.get(id);
  }
  async commit(changes: Changes): Promise<void> {
    for (const e of changes.outbox ?? []) this.entries.set(e.id, OutboxEntrySchema.parse(e));
    this.commits.push(changes);
  }
  /** When set, flush() waits for it: the queued entries are in memory but not yet on disk. */
  durableGate: Promise<void> | undefined;
  flush(): Promise<void> {
    return this.durableGate ?? Promise.resolve();
  }
}

/** Answers each send from a script (default: success); can hold sends until released. */
class FakeMailer implements Mailer {
  readonly sent: OutboxEntry[] = [];
  private readonly script: (SendResult | Error)[] = [];
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private arrived: (() => void) | undefined;

  answer(...results: (SendResult | Error)[]): this {
    this.script.push(...results);
    return this;
  }
  /** Sends wait until release(); resolves once the first held send has arrived. */
  hold(): Promise<void> {
    this.gate = new Promise((r) => (this.openGate = r));
    return new Promise((r) => (this.arrived = r));
  }
  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }
  async send(entry: OutboxEntry): Promise<SendResult> {
    this.sent.push(entry);
    this.arrived?.();
    if (this.gate) await this.gate;
    const next = this.script.shift() ?? { ok: true };
    if (next instanceof Error) throw next;
    return next;
  }
  async close(): Promise<void> {}
}

class RecordingRenderer implements Renderer {
  readonly calls: { template: string; data: Record<string, unknown> }[] = [];
  render(template: string, data: Record<string, unknown>): RenderedMail {
    this.calls.push({ template, data });
    const lines = (data.lines as string[] | undefined) ?? [];
    return { subject: `[alert] ${String(data.title)}`, text: lines.join('\n'), html: `<p>${lines.length} lines</p>` };
  }
}

const desk: DeskInfo = {
  name: 'Port-out desk',
  from: 'Port-out desk <porting@voip.example.test>',
  supportEmail: 'support@voip.example.test',
  adminFee: '$15',
  verificationWindow: '72 hours',
};

function clockAt(iso: string): Clock & { set(iso: string): void } {
  let now = new Date(iso);
  return { now: () => new Date(now), set: (i) => (now = new Date(i)) };
}

function queued(id: string, overrides: Partial<OutboxEntryInput> = {}): OutboxEntry {
  return buildOutboxEntry({
    id,
    messageId: `${id}@voip.example.test`,
    template: 'carrier-approval',
    rendered: { subject: `[PO-7K3F9Q] Port-out approved (${id})`, text: 'text', html: '<p>html</p>' },
    from: desk.from,
    to: 'lnp@cascade.example.test',
    autoSubmitted: 'auto-replied',
    orderId: 'PO-7K3F9Q',
    now: new Date(T0),
    ...overrides,
  });
}

function setup(entries: OutboxEntry[], opts: Partial<OutboxDeliveryOptions> = {}) {
  const store = new FakeOutboxStore(entries);
  const mailer = new FakeMailer();
  const renderer = new RecordingRenderer();
  const clock = clockAt('2026-12-01T15:10:00.000Z');
  const delivery = createOutboxDelivery({
    store,
    mailer,
    clock,
    log: silentLogger(),
    renderer,
    desk,
    ids: new SequenceIds('voip.example.test'),
    random: () => 0.5,
    ...opts,
  });
  return { store, mailer, renderer, clock, delivery };
}

describe('deliverDue', () => {
  it('sends the due entries and records them as sent', async () => {
    const later = { ...queued('mail-2'), nextAttemptAt: '2026-12-01T16:00:00.000Z' };
    const { store, mailer, delivery } = setup([queued('mail-1'), later]);
    expect(await delivery.deliverDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(mailer.sent.map((e) => e.id)).toEqual(['mail-1']);
    expect(store.getOutbox('mail-1')).toMatchObject({ status: 'sent', attempts: 1, sentAt: '2026-12-01T15:10:00.000Z' });
    expect(store.getOutbox('mail-2')).toMatchObject({ status: 'queued', attempts: 0 });
  });

  it('sends nothing before the change that queued it is durable', async () => {
    const { store, mailer, delivery } = setup([queued('mail-1')]);
    let durable!: () => void;
    store.durableGate = new Promise((r) => (durable = r));
    const pass = delivery.deliverDue();
    await new Promise((r) => setImmediate(r));
    expect(mailer.sent).toEqual([]);
    durable();
    expect(await pass).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(mailer.sent.map((e) => e.id)).toEqual(['mail-1']);
  });

  it('keeps `concurrency` sends in flight and records outcomes a group per commit', async () => {
    const entries = Array.from({ length: 7 }, (_, i) => queued(`mail-${i + 1}`));
    const { store, mailer, delivery } = setup(entries, { concurrency: 3, commitEvery: 3 });
    let inFlight = 0;
    let most = 0;
    const send = mailer.send.bind(mailer);
    mailer.send = async (entry) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight -= 1;
      return send(entry);
    };
    expect(await delivery.deliverDue()).toEqual({ sent: 7, retried: 0, failed: 0 });
    expect(most).toBe(3);
    expect(store.commits.map((c) => c.outbox?.length)).toEqual([3, 3, 1]);
    expect([...store.entries.values()].every((e) => e.status === 'sent')).toBe(true);
  });

  it('records waiting outcomes once the oldest has waited commitAfterMs, however few they are', async () => {
    const entries = Array.from({ length: 4 }, (_, i) => queued(`mail-${i + 1}`));
    const { store, delivery } = setup(entries, { concurrency: 1, commitEvery: 50, commitAfterMs: 0 });
    expect(await delivery.deliverDue()).toEqual({ sent: 4, retried: 0, failed: 0 });
    expect(store.commits.map((c) => c.outbox?.map((e) => e.id))).toEqual([['mail-1'], ['mail-2'], ['mail-3'], ['mail-4']]);
  });

  it('never sends an entry again once it is sent', async () => {
    const { mailer, delivery } = setup([queued('mail-1')]);
    await delivery.deliverDue();
    expect(await delivery.deliverDue()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(mailer.sent).toHaveLength(1);
  });

  it('skips an entry that was sent after it was listed', async () => {
    const { store, mailer, delivery } = setup([queued('mail-1'), queued('mail-2')]);
    const first = store.getOutbox('mail-1')!;
    // Someone else sends mail-2 between the listing and its turn.
    const list = store.listQueuedOutbox.bind(store);
    store.listQueuedOutbox = () => {
      const listed = list();
      store.entries.set('mail-2', { ...store.getOutbox('mail-2')!, status: 'sent', attempts: 1, sentAt: T0 });
      return listed;
    };
    await delivery.deliverDue();
    expect(mailer.sent).toEqual([first]);
  });

  it('retries a transient failure later, with backoff', async () => {
    const { store, mailer, delivery, clock } = setup([queued('mail-1')], { backoff: { baseMs: 60_000, maxMs: 3_600_000 } });
    mailer.answer({ ok: false, permanent: false, error: '451 4.3.0 try again later' });
    expect(await delivery.deliverDue()).toEqual({ sent: 0, retried: 1, failed: 0 });
    // attempt 1: base 60 s, jitter 0.5 → 45 s
    expect(store.getOutbox('mail-1')).toMatchObject({
      status: 'queued',
      attempts: 1,
      lastError: '451 4.3.0 try again later',
      nextAttemptAt: '2026-12-01T15:10:45.000Z',
    });

    // not due yet: nothing is sent
    clock.set('2026-12-01T15:10:44.000Z');
    await delivery.deliverDue();
    expect(mailer.sent).toHaveLength(1);

    mailer.answer({ ok: false, permanent: false, error: 'ECONNECTION' });
    clock.set('2026-12-01T15:10:45.000Z');
    await delivery.deliverDue();
    // attempt 2: 120 s · 0.75 = 90 s
    expect(store.getOutbox('mail-1')).toMatchObject({ attempts: 2, nextAttemptAt: '2026-12-01T15:12:15.000Z' });

    clock.set('2026-12-01T15:12:15.000Z');
    expect(await delivery.deliverDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(store.getOutbox('mail-1')).toMatchObject({ status: 'sent', attempts: 3 });
    expect(store.getOutbox('mail-1')!.lastError).toBeUndefined();
  });

  it('treats a mailer that throws as a transient failure', async () => {
    const { store, mailer, delivery } = setup([queued('mail-1')]);
    mailer.answer(new Error('socket hang up'));
    expect(await delivery.deliverDue()).toEqual({ sent: 0, retried: 1, failed: 0 });
    expect(store.getOutbox('mail-1')).toMatchObject({ status: 'queued', lastError: 'socket hang up' });
  });

  it('marks a permanent failure failed and queues an alert to support in the same commit', async () => {
    const { store, mailer, renderer, delivery } = setup([queued('mail-1')]);
    mailer.answer({ ok: false, permanent: true, error: 'EENVELOPE 550 5.1.1 mailbox unavailable' });
    expect(await delivery.deliverDue()).toEqual({ sent: 0, retried: 0, failed: 1 });
    expect(store.getOutbox('mail-1')).toMatchObject({ status: 'failed', attempts: 1, lastError: 'EENVELOPE 550 5.1.1 mailbox unavailable' });

    expect(store.commits).toHaveLength(1);
    const ids = store.commits[0]!.outbox!.map((e) => e.id);
    expect(ids).toEqual(['mail-1', 'mail-1.alert']);

    const alert = store.getOutbox('mail-1.alert')!;
    expect(alert).toMatchObject({
      template: 'support-alert',
      to: ['support@voip.example.test'],
      from: desk.from,
      status: 'queued',
      autoSubmitted: 'auto-generated',
      orderId: 'PO-7K3F9Q',
      nextAttemptAt: '2026-12-01T15:10:00.000Z',
    });
    expect(alert.messageId).toMatch(/@voip\.example\.test$/);
    expect(renderer.calls[0]!.template).toBe('support-alert');
    expect(renderer.calls[0]!.data).toMatchObject({ desk, orderId: 'PO-7K3F9Q' });
    expect(alert.text).toContain('To: lnp@cascade.example.test');
    expect(alert.text).toContain('Last error: EENVELOPE 550 5.1.1 mailbox unavailable');

    // the alert itself goes out on the next pass
    await delivery.deliverDue();
    expect(mailer.sent.map((e) => e.id)).toEqual(['mail-1', 'mail-1.alert']);
    expect(store.getOutbox('mail-1.alert')).toMatchObject({ status: 'sent' });
  });

  it('never gives up on transient failures; support is told once after alertAfterAttempts', async () => {
    const { store, mailer, delivery, clock } = setup([{ ...queued('mail-1'), attempts: 2 }], { alertAfterAttempts: 3 });
    mailer.answer({ ok: false, permanent: false, error: 'ETIMEDOUT' });
    expect(await delivery.deliverDue()).toEqual({ sent: 0, retried: 1, failed: 0 });
    expect(store.getOutbox('mail-1')).toMatchObject({ status: 'queued', attempts: 3, lastError: 'ETIMEDOUT' });
    expect(store.getOutbox('mail-1.delayed')).toMatchObject({ template: 'support-alert', status: 'queued' });
    clock.set('2026-12-01T18:00:00.000Z');
    mailer.answer({ ok: false, permanent: false, error: 'ETIMEDOUT' });
    await delivery.deliverDue();
    expect(store.getOutbox('mail-1')).toMatchObject({ status: 'queued', attempts: 4 });
    expect([...store.entries.keys()].filter((k) => k.startsWith('mail-1.'))).toEqual(['mail-1.delayed']);
  });

  it('does not alert support about mail to support', async () => {
    const toSupport = queued('digest-1', { to: ['Support <SUPPORT@voip.example.test>'], template: 'daily-digest' });
    const { store, mailer, renderer, delivery } = setup([toSupport]);
    mailer.answer({ ok: false, permanent: true, error: '550 no such user' });
    await delivery.deliverDue();
    expect(store.getOutbox('digest-1')).toMatchObject({ status: 'failed' });
    expect(store.entries.size).toBe(1);
    expect(renderer.calls).toHaveLength(0);
  });
});

describe('passes', () => {
  it('never overlap: a second call during a pass gets the same pass', async () => {
    const { mailer, delivery, store } = setup([queued('mail-1')]);
    const arrived = mailer.hold();
    const first = delivery.deliverDue();
    await arrived;
    const second = delivery.deliverDue();
    expect(second).toBe(first);
    mailer.release();
    expect(await first).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(mailer.sent).toHaveLength(1);
    expect(store.listCalls).toBe(1);
  });

  it('coalesces kicks during a pass into one more pass that sends what was queued meanwhile', async () => {
    const { mailer, delivery, store } = setup([queued('mail-1')]);
    const arrived = mailer.hold();
    delivery.kick();
    await arrived;
    await store.commit({ outbox: [queued('mail-2')] });
    delivery.kick();
    delivery.kick();
    delivery.kick();
    mailer.release();
    await delivery.idle();
    expect(mailer.sent.map((e) => e.id)).toEqual(['mail-1', 'mail-2']);
    expect(store.listCalls).toBe(2);
    expect(store.getOutbox('mail-2')).toMatchObject({ status: 'sent' });
  });

  it('a kick with nothing running starts a pass at once', async () => {
    const { mailer, delivery } = setup([queued('mail-1')]);
    delivery.kick();
    await delivery.idle();
    expect(mailer.sent).toHaveLength(1);
  });

  it('a failed commit fails the pass and leaves the entry queued for the next one', async () => {
    const { store, mailer, delivery } = setup([queued('mail-1')]);
    const commit = store.commit.bind(store);
    store.commit = async () => {
      throw new Error('disk full');
    };
    await expect(delivery.deliverDue()).rejects.toThrow('disk full');
    expect(store.getOutbox('mail-1')).toMatchObject({ status: 'queued' });
    store.commit = commit;
    expect(await delivery.deliverDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
    // sent twice: the same Message-ID both times, which is what receivers de-duplicate on
    expect(mailer.sent.map((e) => e.messageId)).toEqual(['mail-1@voip.example.test', 'mail-1@voip.example.test']);
  });

  it('a commit failing while later sends are still going fails the pass only at its end, and nothing is left unhandled', async () => {
    const entries = Array.from({ length: 4 }, (_, i) => queued(`mail-${i + 1}`));
    const { store, mailer, delivery } = setup(entries, { concurrency: 1, commitEvery: 1 });
    store.commit = () => Promise.reject(new Error('disk full'));
    // Each send takes a turn of the event loop, as a real one does.
    const send = mailer.send.bind(mailer);
    mailer.send = async (entry) => {
      await new Promise((r) => setImmediate(r));
      return send(entry);
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await expect(delivery.deliverDue()).rejects.toThrow('disk full');
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(mailer.sent).toHaveLength(4);
    expect(unhandled).toEqual([]);
  });
});

describe('the outbox backoff (OUTBOX_BACKOFF over the one computeBackoff)', () => {
  /** The delay the outbox gives an e-mail after its `attempts`-th failed attempt, with jitter draw `r`. */
  async function delayAfter(attempts: number, r: number): Promise<number> {
    const { store, mailer, delivery, clock } = setup([{ ...queued('mail-1'), attempts: attempts - 1 }], { random: () => r, alertAfterAttempts: 10_000 });
    mailer.answer({ ok: false, permanent: false, error: 'ETIMEDOUT' });
    await delivery.deliverDue();
    return Date.parse(store.getOutbox('mail-1')!.nextAttemptAt) - clock.now().getTime();
  }
  it('doubles with each attempt', async () => {
    expect(await Promise.all([1, 2, 3, 4].map((n) => delayAfter(n, 0)))).toEqual([30_000, 60_000, 120_000, 240_000]);
  });
  it('is capped', async () => {
    expect(await delayAfter(9, 0)).toBe(3_600_000);
    expect(await delayAfter(500, 0)).toBe(3_600_000);
  });
  it('jitters between half and the whole delay', async () => {
    expect(await delayAfter(1, 1)).toBe(15_000);
    expect(await delayAfter(1, 0.5)).toBe(22_500);
    expect(await delayAfter(9, 1)).toBe(1_800_000);
  });
});

describe('buildOutboxEntry', () => {
  it('makes a valid queued entry, due at once', () => {
    const e = buildOutboxEntry({
      id: 'mail-9',
      messageId: 'pd.abc@voip.example.test',
      template: 'customer-verification',
      rendered: { subject: '[PO-7K3F9Q] Please confirm', text: 'Hello', html: '<p>Hello</p>' },
      from: 'porting@voip.example.test',
      to: ['dana@bakery.example.test'],
      cc: ['support@voip.example.test'],
      replyTo: 'porting+k7wq2mxp9rtd4hza@voip.example.test',
      inReplyTo: 'req-1@cascade.example.test',
      references: ['req-1@cascade.example.test'],
      autoSubmitted: 'auto-generated',
      orderId: 'PO-7K3F9Q',
      now: new Date(T0),
    });
    expect(OutboxEntrySchema.parse(e)).toEqual(e);
    expect(e).toMatchObject({
      status: 'queued',
      attempts: 0,
      nextAttemptAt: T0,
      createdAt: T0,
      subject: '[PO-7K3F9Q] Please confirm',
      cc: ['support@voip.example.test'],
    });
    expect(e.sentAt).toBeUndefined();
    expect(e.lastError).toBeUndefined();
  });
});

describe('claims (a store shared by several daemons)', () => {
  it('an e-mail another process claimed is not sent; one whose claim could not be asked is sent on the next pass, shortly', async () => {
    const store = Object.assign(new FakeOutboxStore([queued('mail-a'), queued('mail-b')]), {
      claimFailures: 1,
      async claimOutbox(id: string): Promise<boolean> {
        if (id === 'mail-b' && this.claimFailures-- > 0) throw new Error('Connection terminated unexpectedly');
        return id !== 'taken-elsewhere';
      },
    });
    const mailer = new FakeMailer();
    const delivery = createOutboxDelivery({ store, mailer, clock: clockAt(T0), log: silentLogger(), claimRetryMs: 20 });
    const first = await delivery.deliverDue();
    expect(first.sent).toBe(1);
    expect(mailer.sent.map((e) => e.id)).toEqual(['mail-a']);
    // No new mail, no job: the retry alone sends it.
    await expect.poll(() => mailer.sent.map((e) => e.id), { timeout: 2_000, interval: 10 }).toEqual(['mail-a', 'mail-b']);
    await delivery.idle();
  });

  it('a process that may no longer act sends nothing it claimed', async () => {
    const store = Object.assign(new FakeOutboxStore([queued('mail-a')]), { claimOutbox: async () => true, mayAct: () => false });
    const mailer = new FakeMailer();
    const delivery = createOutboxDelivery({ store, mailer, clock: clockAt(T0), log: silentLogger() });
    const r = await delivery.deliverDue();
    expect(mailer.sent).toEqual([]);
    expect(r.sent).toBe(0);
  });
});
