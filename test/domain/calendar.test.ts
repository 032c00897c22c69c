import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCalendar } from '../../src/domain/calendar.js';

// Days used below (2026): Nov 20 Fri, 21 Sat, 22 Sun, 23 Mon, 25 Wed, 26 Thu (Thanksgiving),
// 27 Fri, 30 Mon; Dec 24 Thu, 25 Fri (Christmas), 28 Mon, 31 Thu; Jan 1 2027 Fri.
// US DST 2026: spring forward Sun Mar 8 (02:00 EST -> 03:00 EDT), fall back Sun Nov 1
// (02:00 EDT -> 01:00 EST).

const utc = createCalendar({ timezone: 'UTC' });
const newYork = createCalendar({ timezone: 'America/New_York' });
const losAngeles = createCalendar({ timezone: 'America/Los_Angeles' });

const at = (iso: string) => new Date(iso);

describe('createCalendar', () => {
  it('keeps its time zone', () => {
    expect(losAngeles.timezone).toBe('America/Los_Angeles');
  });

  it('rejects an unknown time zone, naming it', () => {
    expect(() => createCalendar({ timezone: 'Mars/Olympus_Mons' })).toThrow(/Mars\/Olympus_Mons/);
    expect(() => createCalendar({ timezone: '' })).toThrow(/time zone/);
  });

  it('rejects a malformed configured holiday, naming it', () => {
    expect(() => createCalendar({ timezone: 'UTC', holidays: ['2026-13-01'] })).toThrow(/2026-13-01/);
    expect(() => createCalendar({ timezone: 'UTC', holidays: ['2026-02-30'] })).toThrow(/2026-02-30/);
    expect(() => createCalendar({ timezone: 'UTC', holidays: ['12/24/2026'] })).toThrow(/12\/24\/2026/);
  });
});

describe('isBusinessDay', () => {
  it('is false on Saturday and Sunday, true Monday to Friday', () => {
    const week = ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22'];
    expect(week.map((d) => utc.isBusinessDay(d))).toEqual([true, true, true, true, true, false, false]);
  });

  it('is false on every observed federal holiday of 2025 to 2028', () => {
    const holidays = [
      '2025-01-01', '2025-01-20', '2025-02-17', '2025-05-26', '2025-06-19', '2025-07-04',
      '2025-09-01', '2025-10-13', '2025-11-11', '2025-11-27', '2025-12-25',
      '2026-01-01', '2026-01-19', '2026-02-16', '2026-05-25', '2026-06-19', '2026-07-03',
      '2026-09-07', '2026-10-12', '2026-11-11', '2026-11-26', '2026-12-25',
      '2027-01-01', '2027-01-18', '2027-02-15', '2027-05-31', '2027-06-18', '2027-07-05',
      '2027-09-06', '2027-10-11', '2027-11-11', '2027-11-25', '2027-12-24', '2027-12-31',
      '2028-01-17', '2028-02-21', '2028-05-29', '2028-06-19', '2028-07-04', '2028-09-04',
      '2028-10-09', '2028-11-10', '2028-11-23', '2028-12-25',
    ];
    expect(holidays.filter((d) => utc.isBusinessDay(d))).toEqual([]);
  });

  it('treats the Friday before a Saturday holiday as the holiday, across a year end too', () => {
    expect(utc.isBusinessDay('2021-12-31')).toBe(false); // New Year's Day 2022 is a Sat
    expect(utc.isBusinessDay('2021-12-30')).toBe(true);
    expect(utc.isBusinessDay('2022-01-03')).toBe(true); // the Monday after stays a business day
    expect(utc.isBusinessDay('2026-07-03')).toBe(false); // July 4, 2026 is a Sat
  });

  it('treats the Monday after a Sunday holiday as the holiday', () => {
    expect(utc.isBusinessDay('2027-07-05')).toBe(false); // July 4, 2027 is a Sun
    expect(utc.isBusinessDay('2022-12-26')).toBe(false); // Christmas 2022 is a Sun
    expect(utc.isBusinessDay('2023-01-02')).toBe(false); // New Year's Day 2023 is a Sun
  });

  it('is true on days that are not federal holidays', () => {
    expect(utc.isBusinessDay('2026-11-27')).toBe(true); // day after Thanksgiving
    expect(utc.isBusinessDay('2026-12-24')).toBe(true); // Christmas Eve
    expect(utc.isBusinessDay('2026-12-31')).toBe(true); // New Year's Day 2027 is a Fri
  });

  it('adds configured holidays to the federal ones, for that calendar only', () => {
    const desk = createCalendar({ timezone: 'America/Chicago', holidays: ['2026-11-27', '2026-12-24'] });
    expect(desk.isBusinessDay('2026-11-27')).toBe(false);
    expect(desk.isBusinessDay('2026-12-24')).toBe(false);
    expect(desk.isBusinessDay('2026-11-26')).toBe(false); // federal still applies
    expect(desk.isBusinessDay('2026-11-25')).toBe(true);
    expect(utc.isBusinessDay('2026-11-27')).toBe(true);
  });

  it('rejects a malformed date, naming it', () => {
    expect(() => utc.isBusinessDay('2026-02-30')).toThrow(/2026-02-30/);
    expect(() => utc.isBusinessDay('2026-1-5')).toThrow(/2026-1-5/);
    expect(() => utc.isBusinessDay('2026-11-20T10:00:00Z')).toThrow(/2026-11-20T10:00:00Z/);
    expect(() => utc.isBusinessDay('')).toThrow(/invalid date/);
  });
});

describe('nextBusinessDay', () => {
  it('returns a business day itself', () => {
    expect(utc.nextBusinessDay('2026-11-25')).toBe('2026-11-25');
  });

  it('skips weekends and holidays', () => {
    expect(utc.nextBusinessDay('2026-11-21')).toBe('2026-11-23');
    expect(utc.nextBusinessDay('2026-11-26')).toBe('2026-11-27');
    expect(utc.nextBusinessDay('2026-12-25')).toBe('2026-12-28');
    expect(utc.nextBusinessDay('2027-12-24')).toBe('2027-12-27');
    expect(utc.nextBusinessDay('2027-12-31')).toBe('2028-01-03');
  });

  it('skips a run of configured holidays', () => {
    const desk = createCalendar({ timezone: 'UTC', holidays: ['2026-11-27', '2026-11-30'] });
    expect(desk.nextBusinessDay('2026-11-26')).toBe('2026-12-01');
  });
});

describe('addBusinessDays', () => {
  it('counts from the day after, skipping weekends', () => {
    expect(utc.addBusinessDays('2026-11-20', 1)).toBe('2026-11-23');
    expect(utc.addBusinessDays('2026-11-21', 1)).toBe('2026-11-23');
    expect(utc.addBusinessDays('2026-11-18', 5)).toBe('2026-11-25');
  });

  it('skips holidays, across a year end', () => {
    expect(utc.addBusinessDays('2026-11-25', 2)).toBe('2026-11-30');
    expect(utc.addBusinessDays('2026-12-24', 1)).toBe('2026-12-28');
    expect(utc.addBusinessDays('2027-12-30', 1)).toBe('2028-01-03');
  });

  it('returns the date unchanged for 0, business day or not', () => {
    expect(utc.addBusinessDays('2026-11-20', 0)).toBe('2026-11-20');
    expect(utc.addBusinessDays('2026-11-21', 0)).toBe('2026-11-21');
  });

  it('goes backward for a negative count', () => {
    expect(utc.addBusinessDays('2026-11-23', -1)).toBe('2026-11-20');
    expect(utc.addBusinessDays('2026-11-27', -1)).toBe('2026-11-25');
  });

  it('rejects a fractional count and a malformed date', () => {
    expect(() => utc.addBusinessDays('2026-11-20', 1.5)).toThrow(/1\.5/);
    expect(() => utc.addBusinessDays('20261120', 1)).toThrow(/20261120/);
  });

  it('lands n business days away with no business day skipped', () => {
    const dayMs = 86_400_000;
    const start = Date.UTC(2025, 0, 1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 * 365 }), fc.integer({ min: 1, max: 40 }), (offset, n) => {
        const from = new Date(start + offset * dayMs).toISOString().slice(0, 10);
        const to = utc.addBusinessDays(from, n);
        expect(utc.isBusinessDay(to)).toBe(true);
        let counted = 0;
        for (let ms = Date.parse(from) + dayMs; ms <= Date.parse(to); ms += dayMs) {
          if (utc.isBusinessDay(new Date(ms).toISOString().slice(0, 10))) counted++;
        }
        expect(counted).toBe(n);
        // Back again: the last business day at or before the start.
        expect(utc.addBusinessDays(to, -n)).toBe(utc.isBusinessDay(from) ? from : utc.addBusinessDays(from, -1));
      }),
      { seed: 20261130, numRuns: 300 },
    );
  });
});

describe('today', () => {
  it('gives the date in the zone, not in UTC, just before midnight in Los Angeles', () => {
    const lateSunday = at('2026-11-30T07:59:59.999Z'); // 23:59:59.999 PST, Sun Nov 29
    expect(losAngeles.today(lateSunday)).toBe('2026-11-29');
    expect(utc.today(lateSunday)).toBe('2026-11-30');
  });

  it('turns over at local midnight', () => {
    expect(losAngeles.today(at('2026-11-30T08:00:00Z'))).toBe('2026-11-30'); // 00:00 PST
    expect(losAngeles.today(at('2026-07-01T06:59:00Z'))).toBe('2026-06-30'); // 23:59 PDT
    expect(losAngeles.today(at('2026-07-01T07:00:00Z'))).toBe('2026-07-01'); // 00:00 PDT
  });

  it('rejects an invalid instant', () => {
    expect(() => utc.today(new Date(Number.NaN))).toThrow(/Invalid Date/);
  });
});

describe('focDate', () => {
  const wednesday = at('2026-11-18T15:00:00Z');
  const friday = at('2026-11-20T15:00:00Z');

  it('with 0 business days is today when today is a business day', () => {
    expect(utc.focDate(wednesday, 0)).toBe('2026-11-18');
  });

  it('with 0 business days on a weekend is the next business day', () => {
    expect(utc.focDate(at('2026-11-21T15:00:00Z'), 0)).toBe('2026-11-23');
  });

  it('with 1 and 3 business days counts ahead from today', () => {
    expect(utc.focDate(wednesday, 1)).toBe('2026-11-19');
    expect(utc.focDate(wednesday, 3)).toBe('2026-11-23');
  });

  it('skips the weekend', () => {
    expect(utc.focDate(friday, 1)).toBe('2026-11-23');
    expect(utc.focDate(friday, 3)).toBe('2026-11-25');
  });

  it('skips Thanksgiving', () => {
    const dayBefore = at('2026-11-25T15:00:00Z');
    expect(utc.focDate(dayBefore, 1)).toBe('2026-11-27');
    expect(utc.focDate(dayBefore, 3)).toBe('2026-12-01');
  });

  it('skips Christmas and New Year', () => {
    expect(utc.focDate(at('2026-12-24T15:00:00Z'), 1)).toBe('2026-12-28');
    expect(utc.focDate(at('2026-12-23T15:00:00Z'), 3)).toBe('2026-12-29');
    expect(utc.focDate(at('2026-12-30T15:00:00Z'), 2)).toBe('2027-01-04');
  });

  it('skips configured holidays', () => {
    const desk = createCalendar({ timezone: 'UTC', holidays: ['2026-11-27'] });
    expect(desk.focDate(at('2026-11-25T15:00:00Z'), 1)).toBe('2026-11-30');
  });

  it('takes the earliest date when the requested one is earlier', () => {
    expect(utc.focDate(wednesday, 3, '2026-11-19')).toBe('2026-11-23');
    expect(utc.focDate(wednesday, 3, '2026-11-01')).toBe('2026-11-23');
    expect(utc.focDate(wednesday, 3, '2026-11-23')).toBe('2026-11-23');
  });

  it('takes the requested date when it is later', () => {
    expect(utc.focDate(wednesday, 1, '2026-12-01')).toBe('2026-12-01');
  });

  it('moves a requested weekend or holiday to the next business day', () => {
    expect(utc.focDate(wednesday, 1, '2026-12-05')).toBe('2026-12-07'); // Sat
    expect(utc.focDate(wednesday, 1, '2026-11-26')).toBe('2026-11-27'); // Thanksgiving
    expect(utc.focDate(wednesday, 1, '2026-12-25')).toBe('2026-12-28'); // Christmas
  });

  it('counts from today in the desk time zone', () => {
    const thursdayEveningInLa = at('2026-11-20T05:00:00Z'); // Thu 21:00 PST, Fri 05:00 UTC
    expect(losAngeles.focDate(thursdayEveningInLa, 1)).toBe('2026-11-20');
    expect(utc.focDate(thursdayEveningInLa, 1)).toBe('2026-11-23');
  });

  it('rejects a malformed requested date or count', () => {
    expect(() => utc.focDate(wednesday, 1, 'next Friday')).toThrow(/next Friday/);
    expect(() => utc.focDate(wednesday, -1)).toThrow(/-1/);
  });
});

describe('addDuration', () => {
  it('adds seconds and minutes as elapsed time', () => {
    expect(newYork.addDuration(at('2026-03-08T06:59:00Z'), { amount: 90, unit: 's' })).toEqual(
      at('2026-03-08T07:00:30Z'),
    );
    expect(newYork.addDuration(at('2026-03-08T06:50:00Z'), { amount: 15, unit: 'm' })).toEqual(
      at('2026-03-08T07:05:00Z'),
    );
  });

  it('across spring-forward: 72h is 72 elapsed hours, 3d keeps the wall-clock time', () => {
    const fridayNoonEst = at('2026-03-06T17:00:00Z');
    const h72 = newYork.addDuration(fridayNoonEst, { amount: 72, unit: 'h' });
    const d3 = newYork.addDuration(fridayNoonEst, { amount: 3, unit: 'd' });
    expect(h72).toEqual(at('2026-03-09T17:00:00Z')); // Mon 13:00 EDT
    expect(d3).toEqual(at('2026-03-09T16:00:00Z')); // Mon 12:00 EDT, 71 hours later
    expect(newYork.formatInstant(d3)).toBe('Monday, March 9, 2026, 12:00 PM EDT');
  });

  it('across fall-back: 72h is 72 elapsed hours, 3d keeps the wall-clock time', () => {
    const fridayNoonEdt = at('2026-10-30T16:00:00Z');
    const h72 = newYork.addDuration(fridayNoonEdt, { amount: 72, unit: 'h' });
    const d3 = newYork.addDuration(fridayNoonEdt, { amount: 3, unit: 'd' });
    expect(h72).toEqual(at('2026-11-02T16:00:00Z')); // Mon 11:00 EST
    expect(d3).toEqual(at('2026-11-02T17:00:00Z')); // Mon 12:00 EST, 73 hours later
    expect(newYork.formatInstant(d3)).toBe('Monday, November 2, 2026, 12:00 PM EST');
  });

  it('moves a wall-clock time the spring-forward gap skips to just after the gap', () => {
    const saturday0230Est = at('2026-03-07T07:30:00Z');
    expect(newYork.addDuration(saturday0230Est, { amount: 1, unit: 'd' })).toEqual(at('2026-03-08T07:30:00Z')); // 03:30 EDT
  });

  it('in UTC, 3d and 72h are the same', () => {
    const start = at('2026-03-06T17:00:00Z');
    expect(utc.addDuration(start, { amount: 3, unit: 'd' })).toEqual(utc.addDuration(start, { amount: 72, unit: 'h' }));
  });

  it('does not change the instant it was given', () => {
    const start = at('2026-03-06T17:00:00Z');
    newYork.addDuration(start, { amount: 3, unit: 'd' });
    newYork.addDuration(start, { amount: 3, unit: 'h' });
    expect(start).toEqual(at('2026-03-06T17:00:00Z'));
  });

  it('rejects an invalid instant or amount', () => {
    expect(() => utc.addDuration(new Date(Number.NaN), { amount: 1, unit: 'h' })).toThrow(/instant/);
    expect(() => utc.addDuration(at('2026-03-06T17:00:00Z'), { amount: -1, unit: 'h' })).toThrow(/-1/);
  });
});

describe('endOfDate', () => {
  it('is the next local midnight', () => {
    expect(utc.endOfDate('2026-11-30')).toEqual(at('2026-12-01T00:00:00Z'));
    expect(losAngeles.endOfDate('2026-11-29')).toEqual(at('2026-11-30T08:00:00Z'));
    expect(losAngeles.today(at('2026-11-30T07:59:59.999Z'))).toBe('2026-11-29');
  });

  it('spans 23 hours on the spring-forward day', () => {
    const saturdayEnd = newYork.endOfDate('2026-03-07');
    const sundayEnd = newYork.endOfDate('2026-03-08');
    expect(saturdayEnd).toEqual(at('2026-03-08T05:00:00Z')); // 00:00 EST
    expect(sundayEnd).toEqual(at('2026-03-09T04:00:00Z')); // 00:00 EDT
    expect(sundayEnd.getTime() - saturdayEnd.getTime()).toBe(23 * 3_600_000);
  });

  it('spans 25 hours on the fall-back day', () => {
    const saturdayEnd = newYork.endOfDate('2026-10-31');
    const sundayEnd = newYork.endOfDate('2026-11-01');
    expect(saturdayEnd).toEqual(at('2026-11-01T04:00:00Z')); // 00:00 EDT
    expect(sundayEnd).toEqual(at('2026-11-02T05:00:00Z')); // 00:00 EST
    expect(sundayEnd.getTime() - saturdayEnd.getTime()).toBe(25 * 3_600_000);
  });

  it('is the first instant of the next day where the change skips midnight itself', () => {
    // Chile moves its clocks from 00:00 to 01:00 on Sun Sep 6, 2026.
    const santiago = createCalendar({ timezone: 'America/Santiago' });
    expect(santiago.endOfDate('2026-09-05')).toEqual(at('2026-09-06T04:00:00Z')); // 01:00 -03
  });

  it('rejects a malformed date, naming it', () => {
    expect(() => utc.endOfDate('2026-11-31')).toThrow(/2026-11-31/);
  });
});

describe('formatDate and formatInstant', () => {
  it('writes a date in words', () => {
    expect(losAngeles.formatDate('2026-11-30')).toBe('Monday, November 30, 2026');
    expect(newYork.formatDate('2027-01-01')).toBe('Friday, January 1, 2027');
  });

  it('writes an instant in the desk time zone with its abbreviation', () => {
    expect(losAngeles.formatInstant(at('2026-11-30T23:00:00Z'))).toBe('Monday, November 30, 2026, 3:00 PM PST');
    expect(newYork.formatInstant(at('2026-07-04T16:05:00Z'))).toBe('Saturday, July 4, 2026, 12:05 PM EDT');
    expect(utc.formatInstant(at('2026-11-30T00:30:00Z'))).toBe('Monday, November 30, 2026, 12:30 AM UTC');
  });

  it('rejects a malformed date', () => {
    expect(() => utc.formatDate('30/11/2026')).toThrow(/30\/11\/2026/);
  });
});
