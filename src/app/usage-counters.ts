/**
 * How much the desk was asked and how much it wrote, per address, over the windows its limits are
 * set in (SPEC §10): port requests per sender in the last hour, e-mails per recipient in the last
 * day. Seeded from the records on first use — the inbound log and the outbox — so a restart does
 * not hand a flood a fresh allowance; kept up to date as the desk commits.
 */
import type { OutboxEntry } from '../domain/records.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import { SlidingWindow } from './sliding-window.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export class UsageCounters {
  private mail: SlidingWindow | undefined;
  private requests: SlidingWindow | undefined;
  private recorded = 0;

  constructor(
    private readonly store: Pick<Store, 'listOutbox' | 'listInbound'>,
    private readonly clock: Clock,
  ) {}

  /** E-mails the desk wrote to `address` in the last 24 hours. */
  emailsTo(address: string, now = this.clock.now().getTime()): number {
    return this.mailWindow().count(address, now);
  }

  /** Port requests `sender` made in the last hour. */
  requestsFrom(sender: string, now = this.clock.now().getTime()): number {
    return this.requestWindow().count(sender, now);
  }

  recordMail(entries: readonly OutboxEntry[]): void {
    const window = this.mailWindow();
    for (const e of entries) for (const to of [...e.to, ...e.cc]) window.add(to, Date.parse(e.createdAt));
    if (++this.recorded % 1000 === 0) window.prune(this.clock.now().getTime());
  }

  recordRequest(sender: string, at: number): void {
    this.requestWindow().add(sender, at);
  }

  private mailWindow(): SlidingWindow {
    if (!this.mail) {
      this.mail = new SlidingWindow(DAY_MS);
      const since = this.clock.now().getTime() - DAY_MS;
      const recent = this.store
        .listOutbox()
        .filter((e) => Date.parse(e.createdAt) > since)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      for (const e of recent) for (const to of [...e.to, ...e.cc]) this.mail.add(to, Date.parse(e.createdAt));
    }
    return this.mail;
  }

  private requestWindow(): SlidingWindow {
    if (!this.requests) {
      this.requests = new SlidingWindow(HOUR_MS);
      const since = this.clock.now().getTime() - HOUR_MS;
      const recent = this.store
        .listInbound()
        .map((e) => ({ e, at: e.receivedAt ?? e.at }))
        .filter(({ e, at }) => e.kind === 'port_request' && e.from && Date.parse(at) > since)
        .sort((a, b) => a.at.localeCompare(b.at));
      for (const { e, at } of recent) this.requests.add(e.from!, Date.parse(at));
    }
    return this.requests;
  }
}
