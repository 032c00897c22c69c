import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { computeBackoff } from '../../src/domain/backoff.js';

const noJitter = { baseMs: 100, maxMs: 5_000, jitter: 0 };

describe('computeBackoff', () => {
  it('doubles from the base delay with each attempt', () => {
    expect([0, 1, 2, 3, 4].map((a) => computeBackoff(a, noJitter))).toEqual([100, 200, 400, 800, 1600]);
  });

  it('never exceeds the cap, even for huge attempt numbers', () => {
    expect(computeBackoff(6, noJitter)).toBe(5_000);
    expect(computeBackoff(10_000, noJitter)).toBe(5_000);
  });

  it('treats a negative or non-numeric attempt as the first one', () => {
    expect(computeBackoff(-3, noJitter)).toBe(100);
    expect(computeBackoff(Number.NaN, noJitter)).toBe(100);
  });

  it('takes away at most the jitter share of the delay', () => {
    const opts = { baseMs: 1_000, maxMs: 60_000, jitter: 0.5 };
    expect(computeBackoff(2, { ...opts, random: () => 0 })).toBe(4_000);
    expect(computeBackoff(2, { ...opts, random: () => 0.5 })).toBe(3_000);
    expect(computeBackoff(2, { ...opts, random: () => 0.999999 })).toBe(2_000);
  });

  it('clamps a jitter outside 0..1 and a random source outside [0, 1)', () => {
    expect(computeBackoff(0, { baseMs: 1_000, maxMs: 10_000, jitter: 3, random: () => 0.25 })).toBe(750);
    expect(computeBackoff(0, { baseMs: 1_000, maxMs: 10_000, jitter: -1, random: () => 0.9 })).toBe(1_000);
    expect(computeBackoff(0, { baseMs: 1_000, maxMs: 10_000, jitter: 1, random: () => 7 })).toBe(0);
  });

  it('always lies between the jittered floor and the capped exponential', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 600_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        (attempt, baseMs, maxMs, jitter, r) => {
          const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
          const d = computeBackoff(attempt, { baseMs, maxMs, jitter, random: () => r });
          expect(d).toBeGreaterThanOrEqual(Math.floor(ceiling * (1 - jitter)));
          expect(d).toBeLessThanOrEqual(Math.ceil(ceiling));
          expect(Number.isInteger(d)).toBe(true);
        },
      ),
    );
  });

  it('is monotone in the attempt number when there is no jitter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), (attempt) => {
        expect(computeBackoff(attempt + 1, noJitter)).toBeGreaterThanOrEqual(computeBackoff(attempt, noJitter));
      }),
    );
  });
});
