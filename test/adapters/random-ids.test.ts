import { describe, expect, it } from 'vitest';
import { createRandomIds } from '../../src/adapters/random-ids.js';

describe('random ids', () => {
  const ids = createRandomIds('desk.example.test');

  it('makes order ids from the phone-safe alphabet and tokens from the token alphabet', () => {
    for (let i = 0; i < 2000; i++) {
      expect(ids.orderId()).toMatch(/^PO-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/);
      expect(ids.token()).toMatch(/^[abcdefghijkmnpqrstuvwxyz23456789]{26}$/);
    }
  });

  it('gives the secrets that bind a reply at least 96 random bits: tokens 130, Message-IDs 128', () => {
    // 26 letters of a 32-letter alphabet, and 16 random bytes in hex.
    expect(26 * Math.log2(32)).toBeGreaterThanOrEqual(96);
    expect(ids.token()).toHaveLength(26);
    expect(/\.([0-9a-f]+)@/.exec(ids.messageId())?.[1]).toHaveLength(32);
  });

  it('makes Message-IDs on the desk domain and record ids with their prefix', () => {
    expect(ids.messageId()).toMatch(/^[0-9a-z]+\.[0-9a-f]{32}@desk\.example\.test$/);
    expect(ids.recordId('CSR')).toMatch(/^CSR-[0-9a-z]+[0-9a-f]{10}$/);
  });

  it('never repeats itself over many draws (the pool is refilled, never reused)', () => {
    const tokens = new Set(Array.from({ length: 20_000 }, () => ids.token()));
    const messageIds = new Set(Array.from({ length: 20_000 }, () => ids.messageId()));
    expect(tokens.size).toBe(20_000);
    expect(messageIds.size).toBe(20_000);
  });

  it('uses every letter of an alphabet about equally often (no modulo bias on 31 letters)', () => {
    const counts = new Map<string, number>();
    const draws = 20_000;
    for (let i = 0; i < draws; i++) for (const c of ids.orderId().slice(3)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(31);
    const expected = (draws * 6) / 31;
    // Five standard deviations either side: a fair draw fails this about once in a million runs.
    const sd = Math.sqrt(expected * (1 - 1 / 31));
    for (const n of counts.values()) expect(Math.abs(n - expected)).toBeLessThan(5 * sd);
  });
});
