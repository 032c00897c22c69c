/** A clock that stands still until a test moves it. */
import type { Duration } from '../../src/domain/duration.js';
import type { Clock } from '../../src/ports/clock.js';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export class FixedClock implements Clock {
  private current: Date;

  constructor(start: Date | string) {
    this.current = new Date(start);
  }

  now(): Date {
    return new Date(this.current);
  }

  set(instant: Date | string): void {
    this.current = new Date(instant);
  }

  /**
   * Moves forward by milliseconds or an elapsed-time duration. Days here are 24 hours: a test
   * that crosses a DST change and means "calendar days" should use `set`.
   */
  advance(by: number | Duration): Date {
    const ms = typeof by === 'number' ? by : by.amount * UNIT_MS[by.unit];
    this.current = new Date(this.current.getTime() + ms);
    return this.now();
  }
}
