/**
 * Support alerts about inbound mail are throttled (SPEC §10, §11): one per sender an hour and ten
 * an hour in all, over a sliding hour. Times are plain milliseconds from a fixed start.
 */
import { describe, expect, it } from 'vitest';
import { AlertThrottle } from '../../src/app/alert-throttle.js';

const T0 = Date.parse('2026-03-02T15:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Ten different senders. */
const SENDERS = Array.from({ length: 10 }, (_, i) => `sender${i}@flood.example.test`);

describe('AlertThrottle', () => {
  it('admits the first alert about a sender and refuses a second within the hour', () => {
    const throttle = new AlertThrottle();
    expect(throttle.admit('mallory@evil.example.test', T0)).toBe(true);
    expect(throttle.admit('mallory@evil.example.test', T0 + 30 * MINUTE)).toBe(false);
    expect(throttle.admit('mallory@evil.example.test', T0 + HOUR - 1)).toBe(false);
  });

  it('treats a sender in other case, with spaces, as the same sender', () => {
    const throttle = new AlertThrottle();
    expect(throttle.admit('Mallory@Evil.Example.Test', T0)).toBe(true);
    expect(throttle.admit('  mallory@evil.example.test ', T0 + MINUTE)).toBe(false);
  });

  it('admits alerts about different senders independently', () => {
    const throttle = new AlertThrottle();
    expect(throttle.admit('a@one.example.test', T0)).toBe(true);
    expect(throttle.admit('b@two.example.test', T0 + 1)).toBe(true);
  });

  it('admits ten alerts an hour in all and refuses the eleventh, from a new sender too', () => {
    const throttle = new AlertThrottle();
    for (const [i, sender] of SENDERS.entries()) expect(throttle.admit(sender, T0 + i * MINUTE)).toBe(true);
    expect(throttle.admit('eleventh@flood.example.test', T0 + 20 * MINUTE)).toBe(false);
  });

  it('slides the window: a sender is admitted again an hour and a millisecond after its last alert', () => {
    const throttle = new AlertThrottle();
    expect(throttle.admit('mallory@evil.example.test', T0)).toBe(true);
    expect(throttle.admit('mallory@evil.example.test', T0 + HOUR + 1)).toBe(true);
    expect(throttle.admit('mallory@evil.example.test', T0 + HOUR + 2)).toBe(false);
  });

  it('slides the window for the total: one alert frees up each time the oldest turns an hour old', () => {
    const throttle = new AlertThrottle();
    for (const [i, sender] of SENDERS.entries()) expect(throttle.admit(sender, T0 + i * MINUTE)).toBe(true);
    expect(throttle.admit('late@flood.example.test', T0 + HOUR)).toBe(true);
    expect(throttle.admit('later@flood.example.test', T0 + HOUR + 1)).toBe(false);
    expect(throttle.admit('later@flood.example.test', T0 + HOUR + MINUTE)).toBe(true);
  });

  it('does not count a refused alert: a sender refused at 0:30 is admitted at 1:00 and a millisecond', () => {
    const throttle = new AlertThrottle();
    expect(throttle.admit('mallory@evil.example.test', T0)).toBe(true);
    expect(throttle.admit('mallory@evil.example.test', T0 + 30 * MINUTE)).toBe(false);
    expect(throttle.admit('mallory@evil.example.test', T0 + HOUR + 1)).toBe(true);
  });

  it('does not count refused alerts against the total', () => {
    const throttle = new AlertThrottle();
    expect(throttle.admit('mallory@evil.example.test', T0)).toBe(true);
    for (let i = 1; i <= 20; i++) expect(throttle.admit('mallory@evil.example.test', T0 + i)).toBe(false);
    for (const [i, sender] of SENDERS.slice(0, 9).entries()) expect(throttle.admit(sender, T0 + MINUTE + i)).toBe(true);
  });

  describe('record (seeding from the inbound log at start)', () => {
    it('counts a recorded alert against its sender, whatever the case', () => {
      const throttle = new AlertThrottle();
      throttle.record('Mallory@Evil.Example.Test', T0 - 10 * MINUTE);
      expect(throttle.admit('mallory@evil.example.test', T0)).toBe(false);
      expect(throttle.admit('mallory@evil.example.test', T0 + 50 * MINUTE + 1)).toBe(true);
    });

    it('counts recorded alerts against the total', () => {
      const throttle = new AlertThrottle();
      for (const [i, sender] of SENDERS.entries()) throttle.record(sender, T0 - 30 * MINUTE + i);
      expect(throttle.admit('new@sender.example.test', T0)).toBe(false);
      expect(throttle.admit('new@sender.example.test', T0 + 30 * MINUTE + 1)).toBe(true);
    });

    it('lets recorded alerts older than an hour count for nothing', () => {
      const throttle = new AlertThrottle();
      for (const sender of SENDERS) throttle.record(sender, T0 - HOUR - 1);
      expect(throttle.admit(SENDERS[0]!, T0)).toBe(true);
    });
  });

  it('applies limits given to it', () => {
    const throttle = new AlertThrottle({ perSenderPerHour: 2, totalPerHour: 3 });
    expect(throttle.admit('a@one.example.test', T0)).toBe(true);
    expect(throttle.admit('a@one.example.test', T0 + 1)).toBe(true);
    expect(throttle.admit('a@one.example.test', T0 + 2)).toBe(false);
    expect(throttle.admit('b@two.example.test', T0 + 3)).toBe(true);
    expect(throttle.admit('c@three.example.test', T0 + 4)).toBe(false);
  });
});
