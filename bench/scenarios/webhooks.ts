/**
 * Events out (SPEC §14) against the desk's throughput: the backlog (backlog.ts, as shipped:
 * MAIL_AUTH=enforce) with WEBHOOK_URL unset ("off"), pointing at a healthy receiver (a process of
 * its own answering 204 after checking the signature: bench/webhook-receiver-child.ts) and at a
 * dead endpoint (a loopback port nobody listens on: every try is refused at once). Run in the
 * order off, healthy, dead, dead, healthy, off (`rounds` times), each in a process of its own
 * (run.ts), so a drift of the machine weighs on each mode alike; each run has its own Dovecot,
 * sink, DNS server and store. BENCH_WEBHOOK_MODES=healthy (or off, dead, a list) runs only those,
 * once each: to profile one mode with `--profile`.
 *
 * The throughput is the desk's (every request handled and every e-mail at the sink, as the
 * backlog measures it); the events are delivered beside it. After a healthy run the desk keeps
 * running until no event is pending, and what the receiver took is set against what the store
 * wrote: every event of every order, each at least once. After a dead run, the events waiting and
 * the tries made are noted.
 */
import { randomBytes } from 'node:crypto';
import type { Daemon } from '../../src/main.js';
import type { WebhookEvent } from '../../src/domain/records.js';
import { findFreePort } from '../../test/support/free-port.js';
import { forkHelper, pollUntil, stopHelper } from '../mailroom.js';
import type { StoreKind } from '../pg.js';
import type { SizeSpec } from '../sizes.js';
import type { ReceiverCounts } from '../webhook-receiver-child.js';
import { runBacklog, type BacklogCompanion, type BacklogResult } from './backlog.js';

export type WebhookMode = 'off' | 'healthy' | 'dead';

export interface WebhookEventsReport {
  /** Orders the backlog made, and the events the store holds for them, by type. */
  orders: number;
  eventsWritten: number;
  writtenByType: Record<string, number>;
  /** Orders without an `order.received` event, or without an event beyond it (none expected). */
  ordersWithoutReceived: number;
  /** Events still pending when the backlog was done, and when this report was made. */
  pendingAtDone: number;
  pendingLeft: number;
  /** Tries made for the pending ones (the dead endpoint's refusals). */
  attemptsOnPending: number;
  /** Healthy: the desk done → no event pending (every one delivered). */
  drainAfterDoneMs?: number;
  /** Healthy: what the receiver counted. */
  receiver?: ReceiverCounts;
  /** Healthy: events written that the receiver never accepted (by webhook-id). */
  missing?: number;
}

export interface WebhookRun {
  mode: WebhookMode;
  msgPerSec: number;
  drainMsgPerSec: number;
  cpuMsPerMsg: number;
  ms: number;
  orders: number;
  emailsSent: number;
  eventLoopUtilization: number;
  outcomes: Record<string, number>;
  /** The file store's write counters (none on PostgreSQL). */
  store?: { commits: number; journalSyncs: number; compactions: number };
  events?: WebhookEventsReport;
}

export interface WebhooksResult {
  storeKind: StoreKind;
  messages: number;
  /** Every run, in the order run. */
  runs: WebhookRun[];
}

interface Receiver {
  url: string;
  secret: string;
  counts(): Promise<ReceiverCounts>;
  /** The webhook-ids accepted. */
  ids(): Promise<Set<string>>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

async function startReceiver(secret: string): Promise<Receiver> {
  const child = forkHelper('./webhook-receiver-child.ts');
  const waiting: { type: string; resolve: (x: unknown) => void }[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`webhook receiver exited with ${code}`)));
    child.on('message', (msg: { type: string; port?: number }) => {
      if (msg.type === 'ready') return resolve(msg.port!);
      const i = waiting.findIndex((w) => w.type === msg.type);
      if (i >= 0) waiting.splice(i, 1)[0]!.resolve(msg);
    });
    child.send({ type: 'start', secret });
  });
  const ask = <T>(type: string) =>
    new Promise<T>((resolve) => {
      waiting.push({ type, resolve: resolve as (x: unknown) => void });
      child.send({ type });
    });
  return {
    url: `http://127.0.0.1:${port}/hooks/portdesk`,
    secret,
    async counts() {
      const { type: _t, ...counts } = await ask<ReceiverCounts & { type: string }>('count');
      return counts;
    },
    async ids() {
      return new Set((await ask<{ ids: string[] }>('ids')).ids);
    },
    reset: () => ask<unknown>('reset').then(() => undefined),
    stop: () => stopHelper(child),
  };
}

/** What the store holds of the backlog's events (every order the run made is the backlog's). */
function eventsOf(daemon: Daemon): { orders: number; events: WebhookEvent[]; ordersWithoutReceived: number } {
  const store = daemon.store;
  const orders = store.listOrders();
  const events: WebhookEvent[] = [];
  let ordersWithoutReceived = 0;
  for (const o of orders) {
    const list = store.listOrderEvents(o.id);
    if (!list.some((e) => e.type === 'order.received') || list.length < 2) ordersWithoutReceived++;
    events.push(...list);
  }
  return { orders: orders.length, events, ordersWithoutReceived };
}

function tally(keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

/** Beside the backlog: WEBHOOK_URL set; when the backlog is done, what became of the events. */
function eventsCompanion(mode: 'healthy' | 'dead', url: string, secret: string, receiver: Receiver | undefined): BacklogCompanion {
  let daemon: Daemon | undefined;
  let report: Promise<WebhookEventsReport> | undefined;
  const make = async (): Promise<WebhookEventsReport> => {
    if (!daemon) throw new Error('the daemon never started');
    const store = daemon.store;
    const doneAt = Date.now();
    const pendingAtDone = store.listPendingEvents().length;
    let drainAfterDoneMs: number | undefined;
    if (mode === 'healthy') {
      await pollUntil(() => store.listPendingEvents().length === 0, 10 * 60_000, 50);
      drainAfterDoneMs = Date.now() - doneAt;
    }
    const pending = store.listPendingEvents();
    const { orders, events, ordersWithoutReceived } = eventsOf(daemon);
    const out: WebhookEventsReport = {
      orders,
      eventsWritten: events.length,
      writtenByType: tally(events.map((e) => e.type)),
      ordersWithoutReceived,
      pendingAtDone,
      pendingLeft: pending.length,
      attemptsOnPending: pending.reduce((n, e) => n + e.deliveries.reduce((m, d) => m + d.attempts, 0), 0),
      ...(drainAfterDoneMs !== undefined ? { drainAfterDoneMs } : {}),
    };
    if (receiver) {
      out.receiver = await receiver.counts();
      const accepted = await receiver.ids();
      out.missing = events.filter((e) => !accepted.has(e.id)).length;
    }
    return out;
  };
  return {
    env: { WEBHOOK_URL: url, WEBHOOK_SECRET: secret },
    async start(d) {
      daemon = d;
    },
    stop: () => (report ??= make()),
  };
}

/**
 * The modes in the order run: off, healthy, dead, dead, healthy, off, `rounds` times; or those
 * BENCH_WEBHOOK_MODES names (a comma-separated list), once each: to profile one mode.
 */
export function webhookOrder(size: SizeSpec): WebhookMode[] {
  const only = process.env.BENCH_WEBHOOK_MODES?.split(',').map((m) => m.trim()).filter(Boolean) as WebhookMode[] | undefined;
  if (only?.some((m) => !['off', 'healthy', 'dead'].includes(m))) throw new Error(`BENCH_WEBHOOK_MODES: off, healthy or dead, not ${only.join(',')}`);
  return only?.length ? only : Array.from({ length: size.webhooks.rounds }).flatMap((): WebhookMode[] => ['off', 'healthy', 'dead', 'dead', 'healthy', 'off']);
}

/**
 * The backlog in each of `modes` (default: webhookOrder), one after the other in this process.
 * run.ts runs each mode in a process of its own instead (one mode per call), as it runs the
 * backlog's A-B-B-A: a run after another in the same process finds the code already compiled.
 */
export async function runWebhooks(size: SizeSpec, storeKind: StoreKind = 'file', modes: WebhookMode[] = webhookOrder(size)): Promise<WebhooksResult> {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const receiver = await startReceiver(secret);
  // Free a moment ago and never listened on: each try is refused at once (ECONNREFUSED).
  const deadUrl = `http://127.0.0.1:${await findFreePort()}/hooks/portdesk`;
  const order = modes;
  const runs: WebhookRun[] = [];
  try {
    for (const mode of order) {
      process.stderr.write(`[bench] webhooks${storeKind === 'file' ? '' : `@${storeKind}`}: backlog with WEBHOOK_URL ${mode === 'off' ? 'unset' : mode === 'healthy' ? 'to a receiver' : 'to a dead port'}…\n`);
      if (mode === 'healthy') await receiver.reset();
      const r: BacklogResult = await runBacklog(size, 'enforce', {
        storeKind,
        ...(mode === 'off' ? {} : { companion: async () => eventsCompanion(mode, mode === 'healthy' ? receiver.url : deadUrl, secret, mode === 'healthy' ? receiver : undefined) }),
      });
      runs.push({
        mode,
        msgPerSec: r.msgPerSec,
        drainMsgPerSec: r.drainMsgPerSec,
        cpuMsPerMsg: r.cpuMsPerMsg,
        ms: r.ms,
        orders: r.orders,
        emailsSent: r.emailsSent,
        eventLoopUtilization: r.eventLoopUtilization,
        outcomes: r.outcomes,
        ...(r.store ? { store: r.store } : {}),
        ...(r.companion ? { events: r.companion as WebhookEventsReport } : {}),
      });
    }
  } finally {
    await receiver.stop();
  }
  return { storeKind, messages: size.backlog.requests, runs };
}
