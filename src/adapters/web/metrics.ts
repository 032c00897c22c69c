/**
 * /metrics (SPEC §12) in the Prometheus text format, with prom-client: orders by state and the
 * outbox (and events waiting for an endpoint) counted from the store when scraped, messages by kind and outcome and the handling
 * latency observed as the desk handles them (since the process started), and node's own.
 */
import client from 'prom-client';
import { ORDER_STATES } from '../../domain/records.js';
import type { Store } from '../../ports/store.js';

/** For a store that keeps no counts: one pass over the records. */
function countByHand(store: Pick<Store, 'listOrders' | 'listOutbox'>): { orders: Record<string, number>; outbox: Record<string, number> } {
  const orders: Record<string, number> = {};
  for (const o of store.listOrders()) orders[o.state] = (orders[o.state] ?? 0) + 1;
  const outbox: Record<string, number> = {};
  for (const e of store.listOutbox()) outbox[e.status] = (outbox[e.status] ?? 0) + 1;
  return { orders, outbox };
}

/** Events waiting for an endpoint: the store's count when it keeps one (no list of thousands to sort per scrape). */
export function countPendingEvents(store: Pick<Store, 'countRecords' | 'listPendingEvents'>): number {
  return store.countRecords?.().pendingEvents ?? store.listPendingEvents().length;
}

export interface Metrics {
  /** One message handled: what it was read as, what became of it, how long it took. */
  observeMessage(kind: string, outcome: string, seconds: number): void;
  render(): Promise<string>;
  readonly contentType: string;
}

export function createMetrics(store: Pick<Store, 'listOrders' | 'listQueuedOutbox' | 'listOutbox' | 'countRecords' | 'listPendingEvents'>): Metrics {
  const counts = () => store.countRecords?.() ?? countByHand(store);
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'portdesk_process_' });
  new client.Gauge({
    name: 'portdesk_orders',
    help: 'Orders by state (live records; finished orders older than 30 days are archived)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const byState = counts().orders;
      for (const state of ORDER_STATES) this.set({ state }, byState[state] ?? 0);
    },
  });
  new client.Gauge({
    name: 'portdesk_outbox',
    help: 'E-mails in the outbox: queued (waiting or retrying) and failed for good (live records)',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      const byStatus = counts().outbox;
      this.set({ status: 'queued' }, byStatus.queued ?? 0);
      this.set({ status: 'failed' }, byStatus.failed ?? 0);
    },
  });
  new client.Gauge({
    name: 'portdesk_webhook_events_pending',
    help: 'Events for other systems not yet taken by every endpoint (WEBHOOK_URL)',
    registers: [registry],
    collect() {
      this.set(countPendingEvents(store));
    },
  });
  const messages = new client.Counter({
    name: 'portdesk_messages_total',
    help: 'Inbound messages handled since start, by what they were read as and what became of them',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
  });
  const latency = new client.Histogram({
    name: 'portdesk_message_handling_seconds',
    help: 'Time from taking a message to its outcome being recorded',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return {
    observeMessage(kind, outcome, seconds) {
      messages.inc({ kind, outcome });
      latency.observe(seconds);
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
