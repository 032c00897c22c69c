import { DateTime, IANAZone } from 'luxon';
import type { Duration } from './duration.js';
import { usFederalHolidays } from './us-federal-holidays.js';

/**
 * The desk's dates in its time zone (TIMEZONE). Calendar dates are ISO strings (yyyy-mm-dd) and
 * carry no zone; instants are `Date`s. Nothing here reads the clock: each function is given the
 * instant it needs.
 */
export interface Calendar {
  readonly timezone: string;
  /** ISO date of `now` in the time zone. */
  today(now: Date): string;
  /** Not a Saturday or Sunday, not a US federal holiday (observed), not a configured holiday. */
  isBusinessDay(date: string): boolean;
  /** The date itself when it is a business day, else the first business day after it. */
  nextBusinessDay(date: string): string;
  /**
   * Moves `n` business days forward (backward when negative), counting from the day after `date`;
   * `n` = 0 returns `date` unchanged, business day or not.
   */
  addBusinessDays(date: string, n: number): string;
  /**
   * SPEC §3 rule 8: the requested date or the earliest date `minBusinessDays` business days after
   * today, whichever is later; a requested date that is not a business day moves to the next
   * business day. With `minBusinessDays` 0 on a weekend or holiday, the next business day.
   */
  focDate(now: Date, minBusinessDays: number, requestedDate?: string): string;
  /** s/m/h are elapsed time; d is calendar days, same wall-clock time in the zone (DST-safe). */
  addDuration(instant: Date, d: Duration): Date;
  /** The first instant after the given date ends in the zone (i.e. next day's 00:00 local). */
  endOfDate(date: string): Date;
  /** For e-mails: "Monday, November 30, 2026". */
  formatDate(date: string): string;
  /** For e-mails: "Monday, November 30, 2026, 3:00 PM PST" in the zone. */
  formatInstant(instant: Date): string;
}

export interface CalendarOptions {
  timezone: string;
  /** Extra non-business dates (ISO), on top of the US federal holidays. */
  holidays?: readonly string[];
}

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// Far more than any real use (FOC_MIN_BUSINESS_DAYS is capped at 60); stops a runaway loop if a
// caller passes something absurd.
const MAX_BUSINESS_DAYS = 10_000;
// Pinned so e-mails read the same whatever locale the host runs in.
const LOCALE = 'en-US';

export function createCalendar(options: CalendarOptions): Calendar {
  const { timezone } = options;
  if (typeof timezone !== 'string' || !IANAZone.isValidZone(timezone)) {
    throw new Error(`calendar: invalid time zone "${String(timezone)}"`);
  }

  const extraByYear = new Map<number, string[]>();
  for (const date of options.holidays ?? []) {
    const { year } = parseDate(date, 'holiday');
    const list = extraByYear.get(year) ?? [];
    list.push(date);
    extraByYear.set(year, list);
  }

  // Built once per year on first use: the expiry job asks about the same few years many times.
  const holidaysByYear = new Map<number, ReadonlySet<string>>();
  function holidaysOf(year: number): ReadonlySet<string> {
    let set = holidaysByYear.get(year);
    if (!set) {
      set = new Set([...usFederalHolidays(year), ...(extraByYear.get(year) ?? [])]);
      holidaysByYear.set(year, set);
    }
    return set;
  }

  function isOpen(ms: number): boolean {
    const d = new Date(ms);
    const weekday = d.getUTCDay();
    if (weekday === 0 || weekday === 6) return false;
    return !holidaysOf(d.getUTCFullYear()).has(toIso(ms));
  }

  function nextOpen(ms: number): number {
    let day = ms;
    // At most a weekend plus a run of holidays; the bound only guards against a pathological list.
    for (let i = 0; i <= MAX_BUSINESS_DAYS; i++) {
      if (isOpen(day)) return day;
      day += DAY_MS;
    }
    throw new Error(`calendar: no business day within ${MAX_BUSINESS_DAYS} days of ${toIso(ms)}`);
  }

  function stepBusinessDays(ms: number, n: number): number {
    const step = n < 0 ? -DAY_MS : DAY_MS;
    let day = ms;
    let left = Math.abs(n);
    while (left > 0) {
      day += step;
      if (isOpen(day)) left--;
    }
    return day;
  }

  function zoned(instant: Date, what: string): DateTime {
    checkInstant(instant, what);
    return DateTime.fromJSDate(instant, { zone: timezone }).setLocale(LOCALE);
  }

  // `today` is the hot path of the jobs (called per order per run): a cached Intl formatter is
  // several times cheaper than building a luxon DateTime each time.
  const dayParts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });

  // The zone's short name ("PST") for formatInstant, with the options luxon's ZZZZ token uses.
  // Luxon builds a new Intl formatter for that token on every call, which made formatting the
  // deadline in each verification e-mail one of the costlier steps of handling a request.
  const zoneNames = new Intl.DateTimeFormat(LOCALE, {
    timeZoneName: 'short',
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: timezone,
  });

  function shortZoneName(instant: Date): string {
    for (const part of zoneNames.formatToParts(instant)) {
      if (part.type === 'timeZoneName') return part.value;
    }
    return '';
  }

  function checkCount(n: number, what: string, min: number): void {
    if (!Number.isInteger(n) || n < min || Math.abs(n) > MAX_BUSINESS_DAYS) {
      throw new Error(`calendar: ${what} must be an integer${min === 0 ? ' >= 0' : ''}, got ${n}`);
    }
  }

  const calendar: Calendar = {
    timezone,

    today(now) {
      checkInstant(now, 'now');
      let year = '';
      let month = '';
      let day = '';
      for (const part of dayParts.formatToParts(now)) {
        if (part.type === 'year') year = part.value;
        else if (part.type === 'month') month = part.value;
        else if (part.type === 'day') day = part.value;
      }
      return `${year}-${month}-${day}`;
    },

    isBusinessDay(date) {
      return isOpen(parseDate(date).ms);
    },

    nextBusinessDay(date) {
      return toIso(nextOpen(parseDate(date).ms));
    },

    addBusinessDays(date, n) {
      const { ms } = parseDate(date);
      checkCount(n, 'business day count', -MAX_BUSINESS_DAYS);
      return toIso(stepBusinessDays(ms, n));
    },

    focDate(now, minBusinessDays, requestedDate) {
      checkCount(minBusinessDays, 'minBusinessDays', 0);
      const today = parseDate(calendar.today(now)).ms;
      const earliest = stepBusinessDays(today, minBusinessDays);
      const requested = requestedDate === undefined ? undefined : parseDate(requestedDate, 'requested date').ms;
      // The later of the two, then onto a business day: this also covers minBusinessDays 0 asked
      // on a weekend, where "today" itself cannot be a completion date.
      const later = requested !== undefined && requested > earliest ? requested : earliest;
      return toIso(nextOpen(later));
    },

    addDuration(instant, d) {
      checkInstant(instant, 'start');
      if (!Number.isSafeInteger(d.amount) || d.amount < 0) {
        throw new Error(`calendar: invalid duration amount ${d.amount}`);
      }
      switch (d.unit) {
        case 's':
          return new Date(instant.getTime() + d.amount * 1_000);
        case 'm':
          return new Date(instant.getTime() + d.amount * 60_000);
        case 'h':
          return new Date(instant.getTime() + d.amount * 3_600_000);
        case 'd':
          // Luxon adds calendar days keeping the local time; a local time that does not exist on
          // the target day (spring-forward gap) moves forward by the gap.
          return zoned(instant, 'start').plus({ days: d.amount }).toJSDate();
        default:
          throw new Error(`calendar: invalid duration unit "${String((d as { unit: unknown }).unit)}"`);
      }
    },

    endOfDate(date) {
      const next = new Date(parseDate(date).ms + DAY_MS);
      // fromObject resolves a midnight that a DST change skips (some zones switch at 00:00) to the
      // first instant of that day.
      return DateTime.fromObject(
        { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() },
        { zone: timezone },
      ).toJSDate();
    },

    formatDate(date) {
      const { year, month, day } = parseDate(date);
      return DateTime.fromObject({ year, month, day }, { zone: 'UTC', locale: LOCALE }).toFormat(
        'cccc, LLLL d, yyyy',
      );
    },

    formatInstant(instant) {
      return `${zoned(instant, 'formatted').toFormat('cccc, LLLL d, yyyy, h:mm a')} ${shortZoneName(instant)}`;
    },
  };
  return calendar;
}

function checkInstant(instant: Date, what: string): void {
  if (!(instant instanceof Date) || Number.isNaN(instant.getTime())) {
    throw new Error(`calendar: invalid ${what} instant "${String(instant)}"`);
  }
}

interface ParsedDate {
  year: number;
  month: number;
  day: number;
  /** UTC midnight of the date: a convenient day number for weekday and day arithmetic. */
  ms: number;
}

/** Strict yyyy-mm-dd that names a real day (no 2026-02-30). */
function parseDate(text: string, what = 'date'): ParsedDate {
  const m = typeof text === 'string' ? ISO_DATE.exec(text) : null;
  if (m) {
    const year = Number(m[1]);
    const month = Number(m[2]);
    const day = Number(m[3]);
    const ms = Date.UTC(year, month - 1, day);
    const d = new Date(ms);
    if (d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day) {
      return { year, month, day, ms };
    }
  }
  throw new Error(`calendar: invalid ${what} "${String(text)}" (expected yyyy-mm-dd)`);
}

function toIso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
