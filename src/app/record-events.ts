/**
 * Events for the provider's other systems are written in the same commit as the change they tell
 * of (SPEC §14): the store every part of the desk commits through is wrapped, and each commit
 * gains the events its records call for (webhook-events.ts), so an order's change and its event
 * are saved together or not at all, whichever use case, command or page made the change.
 */
import { randomBytes } from 'node:crypto';
import type { WebhookEvent } from '../domain/records.js';
import { eventsOfChange, type NewEvent } from '../domain/webhook-events.js';
import type { Clock } from '../ports/clock.js';
import type { Changes, Store } from '../ports/store.js';
import { reviewIdOf } from './review.js';

export interface EventWriter {
  /** New events, one pending delivery per endpoint, due now. Ids sort in the order they are made. */
  build(events: readonly NewEvent[], now?: Date): WebhookEvent[];
}

/**
 * `after`: the newest event id still pending (the store's), so an event written after a restart
 * — or by another daemon whose clock is a little behind — still sorts after the events of its
 * order that wait for delivery.
 */
export function createEventWriter(endpoints: readonly string[], clock: Clock, after?: string): EventWriter {
  let lastMs = after ? Number.parseInt(after.slice(4, 13), 36) || 0 : 0;
  let seq = after ? Number.parseInt(after.slice(13, 17), 36) || 0 : 0;
  // `msg_` + the time (base 36, 9 digits: good until the year 5188) + a counter within the
  // millisecond + 64 random bits: unique, and in the order written within this process.
  const nextId = (ms: number) => {
    if (ms > lastMs) {
      lastMs = ms;
      seq = 0;
    } else seq++;
    return `msg_${lastMs.toString(36).padStart(9, '0')}${seq.toString(36).padStart(4, '0')}${randomBytes(8).toString('hex')}`;
  };
  return {
    build(events, now = clock.now()) {
      const at = now.toISOString();
      return events.map((e) => ({
        id: nextId(now.getTime()),
        type: e.type,
        timestamp: at,
        ...(e.orderId ? { orderId: e.orderId } : {}),
        data: e.data,
        deliveries: endpoints.map((endpoint) => ({ endpoint, status: 'pending' as const, attempts: 0, nextAttemptAt: at })),
      }));
    },
  };
}

/**
 * The store with events added to each commit. `onWritten` runs once a commit that carried events
 * is durable (the delivery is asked to run). Every other method is the store's own.
 */
export function recordingEvents(store: Store, writer: EventWriter, opts: { consoleUrl?: string; onWritten?: () => void } = {}): Store {
  const commit = (changes: Changes): Promise<void> => {
    // Read before the commit applies: the store applies a change to memory synchronously inside
    // commit(), so nothing can come between this comparison and the write.
    const derived = eventsOfChange(store, changes, { ...(opts.consoleUrl ? { consoleUrl: opts.consoleUrl } : {}), reviewIdOf });
    if (derived.length === 0 && !changes.events?.length) return store.commit(changes);
    const events = derived.length ? [...(changes.events ?? []), ...writer.build(derived)] : changes.events;
    const written = store.commit({ ...changes, events });
    return opts.onWritten ? written.then(opts.onWritten) : written;
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'commit') return commit;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
