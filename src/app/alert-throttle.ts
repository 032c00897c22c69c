/**
 * Support alerts about inbound mail, throttled (SPEC §10, §11): at most one per sender an hour and
 * ten an hour in all. A flood of forged or junk mail must not become a flood of alerts in which the
 * one that matters drowns; what is held back is listed in the next daily digest, so nothing is
 * lost. Alerts about mail bound by the desk's own secrets are never held (see inbound/handled.ts).
 */
import { SlidingWindow } from './sliding-window.js';

const HOUR_MS = 3_600_000;
/** The key all alerts are counted under, beside their sender's. */
const ALL = '\u0000all';

export interface AlertLimits {
  perSenderPerHour: number;
  totalPerHour: number;
}

export const ALERT_LIMITS: AlertLimits = { perSenderPerHour: 1, totalPerHour: 10 };

export class AlertThrottle {
  private readonly sent = new SlidingWindow(HOUR_MS);
  private admitted = 0;

  constructor(private readonly limits: AlertLimits = ALERT_LIMITS) {}

  /** Counts an alert that was sent (at start, from the inbound log). */
  record(sender: string, at: number): void {
    this.sent.add(sender, at);
    this.sent.add(ALL, at);
  }

  /** Whether an alert about a message from `sender` may go out now; counts it when it may. */
  admit(sender: string, now: number): boolean {
    // Now and then, forget the senders of an hour ago.
    if (++this.admitted % 1000 === 0) this.sent.prune(now);
    if (this.sent.count(sender, now) >= this.limits.perSenderPerHour || this.sent.count(ALL, now) >= this.limits.totalPerHour) return false;
    this.record(sender, now);
    return true;
  }
}
