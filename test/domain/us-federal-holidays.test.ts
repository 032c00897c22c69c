import { describe, expect, it } from 'vitest';
import { usFederalHolidays } from '../../src/domain/us-federal-holidays.js';

// Worked out by hand from the weekday each month starts on, then checked against a printed
// calendar. Comments give the weekday of the actual date where the observed rule moves it.
const EXPECTED: Record<number, string[]> = {
  2025: [
    '2025-01-01', // New Year's Day, Wed
    '2025-01-20', // MLK Day, 3rd Mon (Jan 6, 13, 20)
    '2025-02-17', // Washington's Birthday, 3rd Mon (Feb 3, 10, 17)
    '2025-05-26', // Memorial Day, last Mon (May 31 is a Sat)
    '2025-06-19', // Juneteenth, Thu
    '2025-07-04', // Independence Day, Fri
    '2025-09-01', // Labor Day, 1st Mon
    '2025-10-13', // Columbus Day, 2nd Mon (Oct 6, 13)
    '2025-11-11', // Veterans Day, Tue
    '2025-11-27', // Thanksgiving, 4th Thu (Nov 6, 13, 20, 27)
    '2025-12-25', // Christmas, Thu
  ],
  2026: [
    '2026-01-01',
    '2026-01-19',
    '2026-02-16',
    '2026-05-25', // May 31 is a Sun
    '2026-06-19',
    '2026-07-03', // July 4 is a Sat: observed Fri
    '2026-09-07',
    '2026-10-12',
    '2026-11-11',
    '2026-11-26',
    '2026-12-25',
  ],
  2027: [
    '2027-01-01',
    '2027-01-18',
    '2027-02-15',
    '2027-05-31', // May 31 is itself a Mon
    '2027-06-18', // June 19 is a Sat: observed Fri
    '2027-07-05', // July 4 is a Sun: observed Mon
    '2027-09-06',
    '2027-10-11',
    '2027-11-11',
    '2027-11-25',
    '2027-12-24', // Christmas is a Sat: observed Fri
    '2027-12-31', // New Year's Day 2028 is a Sat: observed Fri Dec 31, 2027
  ],
  2028: [
    '2027-12-31', // 2028's own New Year's Day, observed the year before
    '2028-01-17',
    '2028-02-21',
    '2028-05-29',
    '2028-06-19',
    '2028-07-04',
    '2028-09-04',
    '2028-10-09',
    '2028-11-10', // Veterans Day is a Sat: observed Fri
    '2028-11-23',
    '2028-12-25',
  ],
};

describe('usFederalHolidays', () => {
  for (const [year, dates] of Object.entries(EXPECTED)) {
    it(`lists the observed federal holidays of ${year}`, () => {
      expect(usFederalHolidays(Number(year))).toEqual(dates);
    });
  }

  it('moves a Saturday holiday to the Friday before and a Sunday one to the Monday after', () => {
    const y2021 = usFederalHolidays(2021);
    expect(y2021).toContain('2021-06-18'); // Juneteenth, Sat June 19
    expect(y2021).toContain('2021-07-05'); // Independence Day, Sun July 4
    expect(y2021).toContain('2021-12-24'); // Christmas, Sat
    expect(y2021).not.toContain('2021-06-19');
    expect(y2021).not.toContain('2021-07-04');
    const y2022 = usFederalHolidays(2022);
    expect(y2022).toContain('2022-12-26'); // Christmas, Sun
    expect(usFederalHolidays(2023)).toContain('2023-01-02'); // New Year's Day, Sun
  });

  it('puts a New Year observed on December 31 in both years', () => {
    expect(usFederalHolidays(2021)).toContain('2021-12-31');
    expect(usFederalHolidays(2021)).toHaveLength(12);
    expect(usFederalHolidays(2022)[0]).toBe('2021-12-31');
    expect(usFederalHolidays(2022)).toHaveLength(11);
  });

  it('has Juneteenth only from 2021 on', () => {
    expect(usFederalHolidays(2020)).toHaveLength(10);
    expect(usFederalHolidays(2020).some((d) => d.startsWith('2020-06'))).toBe(false);
    expect(usFederalHolidays(2021).some((d) => d.startsWith('2021-06'))).toBe(true);
  });

  it('returns a fresh copy, so a caller cannot change the cached list', () => {
    const first = usFederalHolidays(2026);
    first.push('2026-03-17');
    first.reverse();
    expect(usFederalHolidays(2026)).toEqual(EXPECTED[2026]);
  });

  it('rejects a year it cannot answer for', () => {
    expect(() => usFederalHolidays(2026.5)).toThrow(/2026\.5/);
    expect(() => usFederalHolidays(1900)).toThrow(/1900/);
    expect(() => usFederalHolidays(Number.NaN)).toThrow(/year/);
  });
});
