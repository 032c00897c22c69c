/**
 * Counts of events per key over a sliding window (the last hour, the last day), kept in memory and
 * seeded from the records at start. The desk's limits are built on it: support alerts per sender,
 * requests per carrier, e-mails per customer. Events must be added in time order.
 */
export class SlidingWindow {
  private readonly byKey = new Map<string, number[]>();

  constructor(readonly windowMs: number) {}

  add(key: string, at: number): void {
    const k = key.trim().toLowerCase();
    const list = this.byKey.get(k);
    if (list) list.push(at);
    else this.byKey.set(k, [at]);
  }

  /** Events for `key` in the window ending at `now`. */
  count(key: string, now: number): number {
    const k = key.trim().toLowerCase();
    const list = this.byKey.get(k);
    if (!list) return 0;
    const since = now - this.windowMs;
    while (list.length && list[0]! <= since) list.shift();
    if (!list.length) this.byKey.delete(k);
    return list.length;
  }

  /** Drops keys with nothing left in the window, so a flood of one-off senders does not pile up. */
  prune(now: number): void {
    for (const key of [...this.byKey.keys()]) this.count(key, now);
  }
}
