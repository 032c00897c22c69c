import { describe, expect, it } from 'vitest';
import { parseRequestedDate } from '../../../src/mail/text/dates.js';

describe('parseRequestedDate', () => {
  it.each([
    ['12/01/2026', '2026-12-01'],
    ['2026-12-01', '2026-12-01'],
    ['Dec 1 2026', '2026-12-01'],
    ['December 1, 2026', '2026-12-01'],
    ['1 December 2026', '2026-12-01'],
    ['Tuesday, December 1, 2026', '2026-12-01'],
    ['12-1-26', '2026-12-01'],
    ['20261201', '2026-12-01'],
    ['Sept 3, 2026', '2026-09-03'],
    ['15-Mar-2027', '2027-03-15'],
    ['15th of March, 2027', '2027-03-15'],
    ['March 15th, 2027', '2027-03-15'],
  ])('reads %s as %s', (text, iso) => {
    expect(parseRequestedDate(text)).toBe(iso);
  });

  it.each(['02/30/2026', 'next Tuesday', 'Decembre 1 2026', '13/01/2026'])('does not guess at %s', (text) => {
    expect(parseRequestedDate(text)).toBeUndefined();
  });
});
