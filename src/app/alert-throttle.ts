/**
 * Support alerts about inbound mail, throttled (SPEC §10, §11): at most one per sender an hour and
 * ten an hour in all. A flood of forged or junk mail must not become a flood of alerts in which the
 * one that matters drowns; what is held back is listed in the next daily digest, so nothing is
 * lost. Alerts about mail bound by the desk's own secrets are never held (see inbound/handled.ts).
 */
const HOUR_MS = 3_600_000;

export interface AlertLimits {
  perSenderPerHour: number;
  totalPerHour: number;
}

export const ALERT_LIMITS: AlertLimits = { perSenderPerHour: 1, totalPerHour: 10 };

export class AlertThrottle {
  private readonly total: number[] = [];
  private readonly bySender = new Map<string, number[]>();

  constructor(private readonly limits: AlertLimits = ALERT_LIMITS) {}

  /** Counts an alert that was sent (at start, from the inbound log). */
  record(sender: string, at: number): void {
    this.total.push(at);
    const key = sender.trim().toLowerCase();
    const list = this.bySender.get(key) ?? [];
    list.push(at);
    this.bySender.set(key, list);
  }

  /** Whether an alert about a message from `sender` may go out now; counts it when it may. */
  admit(sender: string, now: number): boolean {
    this.prune(now);
    const key = sender.trim().toLowerCase();
    const mine = this.bySender.get(key) ?? [];
    if (mine.length >= this.limits.perSenderPerHour || this.total.length >= this.limits.totalPerHour) return false;
    this.record(key, now);
    return true;
  }

  private prune(now: number): void {
    const since = now - HOUR_MS;
    while (this.total.length && this.total[0]! <= since) this.total.shift();
    for (const [key, list] of this.bySender) {
      while (list.length && list[0]! <= since) list.shift();
      if (!list.length) this.bySender.delete(key);
    }
  }
}
