/**
 * The store every part of the desk commits through, with each commit carrying the events its
 * records call for (SPEC §14): the change and its events are saved together or not at all.
 */
import { describe, expect, it } from 'vitest';
import { createEventWriter, recordingEvents } from '../../src/app/record-events.js';
import { WebhookEventSchema, type PortOrder, type WebhookEvent } from '../../src/domain/records.js';
import type { NewEvent } from '../../src/domain/webhook-events.js';
import { FixedClock } from '../support/fixed-clock.js';
import { MemoryStore } from '../support/memory-store.js';
import { makeInbound, makeOrder, makeOutbox, T0 } from '../adapters/store-records.js';

const HOOKS = ['https://hooks.example.test/portdesk', 'https://tickets.example.test/in'];
const CONSOLE = 'https://desk.example.test';
const ID = /^msg_[0-9a-z]+$/;

function setup(opts: { consoleUrl?: string; endpoints?: string[] } = {}) {
  const clock = new FixedClock(T0);
  const memory = new MemoryStore();
  const writer = createEventWriter(opts.endpoints ?? HOOKS, clock);
  let written = 0;
  const store = recordingEvents(memory, writer, { ...(opts.consoleUrl ? { consoleUrl: opts.consoleUrl } : {}), onWritten: () => written++ });
  return { clock, memory, writer, store, written: () => written };
}

const ping = (n: number): NewEvent => ({ type: 'ping', data: { n } });

describe('createEventWriter', () => {
  it('builds valid events, one pending delivery per endpoint, due now', () => {
    const clock = new FixedClock(T0);
    const writer = createEventWriter(HOOKS, clock);
    const [event] = writer.build([{ type: 'order.approved', orderId: 'PO-000001', data: { id: 'PO-000001' } }]);
    expect(WebhookEventSchema.parse(event)).toEqual(event);
    expect(event).toMatchObject({ type: 'order.approved', orderId: 'PO-000001', timestamp: T0.toISOString(), data: { id: 'PO-000001' } });
    expect(event!.deliveries).toEqual(HOOKS.map((endpoint) => ({ endpoint, status: 'pending', attempts: 0, nextAttemptAt: T0.toISOString() })));
    // No order: no orderId key at all.
    expect(writer.build([ping(1)])[0]).not.toHaveProperty('orderId');
  });

  it('uses the time it is given', () => {
    const writer = createEventWriter(HOOKS, new FixedClock(T0));
    const at = new Date('2026-05-05T05:05:05.005Z');
    const [event] = writer.build([ping(1)], at);
    expect(event!.timestamp).toBe(at.toISOString());
    expect(event!.deliveries.every((d) => d.nextAttemptAt === at.toISOString())).toBe(true);
  });

  it('makes unique ids that sort in the order they were made, within one millisecond too', () => {
    const clock = new FixedClock(T0);
    const writer = createEventWriter(HOOKS, clock);
    const ids: string[] = [];
    // Many in one build, many builds in the same millisecond, then later milliseconds.
    ids.push(...writer.build(Array.from({ length: 50 }, (_, i) => ping(i))).map((e) => e.id));
    for (let i = 0; i < 50; i++) ids.push(writer.build([ping(i)])[0]!.id);
    clock.advance(1);
    ids.push(...writer.build([ping(1), ping(2)]).map((e) => e.id));
    clock.advance(3_600_000);
    ids.push(writer.build([ping(3)])[0]!.id);
    for (const id of ids) expect(id).toMatch(ID);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('keeps ids in order when the clock steps back', () => {
    const clock = new FixedClock(T0);
    const writer = createEventWriter(HOOKS, clock);
    const first = writer.build([ping(1)])[0]!.id;
    clock.advance(-5_000);
    const second = writer.build([ping(2)])[0]!.id;
    expect(second > first).toBe(true);
  });

  it('makes ids unique across two writers (two processes) in the same millisecond', () => {
    const a = createEventWriter(HOOKS, new FixedClock(T0)).build([ping(1)])[0]!.id;
    const b = createEventWriter(HOOKS, new FixedClock(T0)).build([ping(1)])[0]!.id;
    expect(a).not.toBe(b);
  });
});

describe('recordingEvents: commit', () => {
  it('writes an order and its events in the same commit', async () => {
    const { memory, store, written } = setup({ consoleUrl: CONSOLE });
    const order = makeOrder(1);
    await store.commit({ orders: [order] });
    expect(memory.commits).toHaveLength(1);
    const [commit] = memory.commits;
    expect(commit!.orders).toEqual([order]);
    expect(commit!.events!.map((e) => e.type)).toEqual(['order.received', 'order.verification_sent']);
    expect(commit!.events!.every((e) => e.orderId === order.id)).toBe(true);
    expect(commit!.events![0]!.data['link']).toBe(`${CONSOLE}/orders/${order.id}`);
    expect(memory.getOrder(order.id)).toEqual(order);
    expect(memory.listOrderEvents(order.id).map((e) => e.type)).toEqual(['order.received', 'order.verification_sent']);
    expect(memory.listPendingEvents()).toHaveLength(2);
    expect(written()).toBe(1);
  });

  it('compares with what the store held before the commit: a later state change is one event', async () => {
    const { memory, store, clock } = setup();
    const order = makeOrder(1);
    await store.commit({ orders: [order] });
    clock.advance(60_000);
    await store.commit({ orders: [{ ...order, state: 'approved', updatedAt: clock.now().toISOString() }] });
    expect(memory.commits[1]!.events!.map((e) => e.type)).toEqual(['order.approved']);
    expect(memory.commits[1]!.events![0]!.timestamp).toBe(clock.now().toISOString());
    // Saved again in the same state: no events, the commit goes through as given.
    const again = { ...memory.getOrder(order.id)!, history: [...order.history, { at: clock.now().toISOString(), event: 'note' }] };
    await store.commit({ orders: [again] });
    expect(memory.commits[2]).not.toHaveProperty('events');
    expect(memory.listOrderEvents(order.id).map((e) => e.type)).toEqual(['order.received', 'order.verification_sent', 'order.approved']);
  });

  it('without a console URL, no links', async () => {
    const { memory, store } = setup();
    await store.commit({ orders: [makeOrder(1)], inbound: [makeInbound('<m@x.test>', { outcome: 'review', reason: 'unclear' })] });
    const events = memory.commits[0]!.events!;
    expect(events.map((e) => e.type)).toEqual(['order.received', 'order.verification_sent', 'review.created']);
    for (const e of events) expect(e.data).not.toHaveProperty('link');
  });

  it('keeps the events a commit already carries and adds its own after them', async () => {
    const { memory, store, writer } = setup();
    const own = writer.build([ping(1)]);
    await store.commit({ orders: [makeOrder(1)], events: own });
    const events = memory.commits[0]!.events!;
    expect(events.map((e) => e.type)).toEqual(['ping', 'order.received', 'order.verification_sent']);
    expect(events[0]).toEqual(own[0]);
    expect([...events.map((e) => e.id)].sort()).toEqual(events.map((e) => e.id));
  });

  it('writes neither the change nor its events when the commit is refused', async () => {
    const { memory, store, written } = setup();
    memory.failNextCommit = new Error('disk full');
    await expect(store.commit({ orders: [makeOrder(1)] })).rejects.toThrow('disk full');
    expect(memory.commits).toHaveLength(0);
    expect(memory.getOrder(makeOrder(1).id)).toBeUndefined();
    expect(memory.listPendingEvents()).toEqual([]);
    expect(written()).toBe(0);
    // The next commit of the same change is told as new again.
    await store.commit({ orders: [makeOrder(1)] });
    expect(memory.commits[0]!.events!.map((e) => e.type)).toEqual(['order.received', 'order.verification_sent']);
    expect(written()).toBe(1);
  });

  it('writes neither when a record of the change is invalid', async () => {
    const { memory, store, written } = setup();
    const bad = { ...makeOrder(1), id: 'not-an-order-id' } as PortOrder;
    await expect(store.commit({ orders: [makeOrder(2), bad] })).rejects.toThrow();
    expect(memory.getOrder(makeOrder(2).id)).toBeUndefined();
    expect(memory.listPendingEvents()).toEqual([]);
    expect(written()).toBe(0);
  });

  it('gives every event of a commit a unique, ordered id', async () => {
    const { memory, store } = setup();
    await store.commit({ orders: [makeOrder(1), makeOrder(2), makeOrder(3)], outbox: [makeOutbox('out-1', { status: 'failed' })] });
    await store.commit({ orders: [{ ...makeOrder(1), state: 'approved' }] });
    const ids = memory.commits.flatMap((c) => c.events!.map((e) => e.id));
    expect(ids).toHaveLength(8);
    for (const id of ids) expect(id).toMatch(ID);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    // The store lists pending events oldest first: the order they were written.
    expect(memory.listPendingEvents().map((e) => e.id)).toEqual(ids);
  });
});

describe('recordingEvents: onWritten', () => {
  it('runs after the commit resolves, only when events were written', async () => {
    const clock = new FixedClock(T0);
    const memory = new MemoryStore();
    const seen: { committed: boolean; order: boolean }[] = [];
    let resolved = false;
    const store = recordingEvents(memory, createEventWriter(HOOKS, clock), {
      onWritten: () => seen.push({ committed: resolved, order: memory.getOrder(makeOrder(1).id) !== undefined }),
    });
    // A change that calls for no event: not called.
    await store.commit({ cursors: { INBOX: { uidValidity: '1', lastUid: 3 } } });
    await store.commit({ inbound: [makeInbound('<m@x.test>')] });
    expect(seen).toEqual([]);
    // A change with events: called once, after the store's own commit resolved.
    const p = memory.commit.bind(memory);
    memory.commit = async (changes) => {
      await p(changes);
      resolved = true;
    };
    await store.commit({ orders: [makeOrder(1)] });
    expect(seen).toEqual([{ committed: true, order: true }]);
    // Events given by the caller alone (a delivery's outcome): they are written, so it is called.
    const [event] = createEventWriter(HOOKS, clock).build([ping(1)]);
    await store.commit({ events: [event as WebhookEvent] });
    expect(seen).toHaveLength(2);
  });

  it('is not called before the commit is durable', async () => {
    const clock = new FixedClock(T0);
    const memory = new MemoryStore();
    let release!: () => void;
    const durable = new Promise<void>((r) => (release = r));
    const commit = memory.commit.bind(memory);
    memory.commit = async (changes) => {
      await commit(changes);
      await durable;
    };
    let calls = 0;
    const store = recordingEvents(memory, createEventWriter(HOOKS, clock), { onWritten: () => calls++ });
    const pending = store.commit({ orders: [makeOrder(1)] });
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(0);
    release();
    await pending;
    expect(calls).toBe(1);
  });
});

describe('recordingEvents: every other method is the store\'s own', () => {
  it('passes reads through', async () => {
    const { memory, store } = setup();
    await memory.commit({ orders: [makeOrder(1)], outbox: [makeOutbox('out-1'), makeOutbox('out-2', { status: 'sent' })] });
    expect(store.getOrder(makeOrder(1).id)).toBe(memory.getOrder(makeOrder(1).id));
    expect(store.listQueuedOutbox().map((e) => e.id)).toEqual(['out-1']);
    expect(store.listOutbox()).toHaveLength(2);
    expect(store.findOrderByToken(makeOrder(1).token)?.id).toBe(makeOrder(1).id);
    expect(store.listPendingEvents()).toEqual([]);
    await expect(store.flush()).resolves.toBeUndefined();
    // Properties too.
    expect((store as MemoryStore).commits).toBe(memory.commits);
  });

  it('passes the optional methods through, bound to the store, and leaves absent ones absent', async () => {
    class LeasedStore extends MemoryStore {
      lease = true;
      claimed: string[] = [];
      mayAct(): boolean {
        return this.lease;
      }
      async claimOutbox(id: string): Promise<boolean> {
        this.claimed.push(id);
        return this.lease;
      }
    }
    const leased = new LeasedStore();
    const store = recordingEvents(leased, createEventWriter(HOOKS, new FixedClock(T0)));
    expect(store.mayAct?.()).toBe(true);
    leased.lease = false;
    // Detached from the proxy, as callers pass them around.
    const mayAct = store.mayAct!;
    expect(mayAct()).toBe(false);
    const claim = store.claimOutbox!;
    await expect(claim('out-1')).resolves.toBe(false);
    expect(leased.claimed).toEqual(['out-1']);

    const plain = recordingEvents(new MemoryStore(), createEventWriter(HOOKS, new FixedClock(T0)));
    expect(plain.mayAct).toBeUndefined();
    expect(plain.claimOutbox).toBeUndefined();
    expect(plain.countRecords).toBeUndefined();
  });

  it('close reaches the store', async () => {
    const { memory, store } = setup();
    await store.close();
    expect(memory.closed).toBe(true);
    await expect(store.commit({ orders: [makeOrder(1)] })).rejects.toThrow(/after close/);
  });
});
