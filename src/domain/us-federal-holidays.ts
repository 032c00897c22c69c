/**
 * The eleven US federal holidays (5 U.S.C. 6103) as they are observed: a holiday that falls on a
 * Saturday is observed the Friday before, one on a Sunday the Monday after. The rules are those in
 * force today (Juneteenth from 2021 on); years before the 1971 Monday-holiday law are not modelled.
 *
 * Dates are plain ISO calendar dates (yyyy-mm-dd): a holiday is a whole day wherever the desk runs,
 * so no time zone is involved here.
 */

const DAY_MS = 86_400_000;
const SATURDAY = 6;
const SUNDAY = 0;
const MONDAY = 1;
const THURSDAY = 4;

const cache = new Map<number, readonly string[]>();

/**
 * Observed dates of the year's federal holidays, sorted. When next year's New Year's Day falls on
 * a Saturday it is observed on December 31 of this year, and that date is listed here too (as well
 * as in next year's list, where it is that year's New Year's Day): a caller asking "is this date in
 * `year` a holiday?" must find it in `year`'s list.
 */
export function usFederalHolidays(year: number): string[] {
  if (!Number.isInteger(year) || year < 1971 || year > 9999) {
    throw new Error(`usFederalHolidays: year must be an integer from 1971 to 9999, got ${year}`);
  }
  let dates = cache.get(year);
  if (!dates) {
    dates = computeHolidays(year);
    cache.set(year, dates);
  }
  // A copy, so a caller that sorts or pushes cannot corrupt the cache.
  return [...dates];
}

function computeHolidays(year: number): readonly string[] {
  const days = [
    observe(year, 1, 1), // New Year's Day
    nthWeekday(year, 1, MONDAY, 3), // Martin Luther King Jr. Day
    nthWeekday(year, 2, MONDAY, 3), // Washington's Birthday
    lastWeekday(year, 5, MONDAY), // Memorial Day
    ...(year >= 2021 ? [observe(year, 6, 19)] : []), // Juneteenth National Independence Day
    observe(year, 7, 4), // Independence Day
    nthWeekday(year, 9, MONDAY, 1), // Labor Day
    nthWeekday(year, 10, MONDAY, 2), // Columbus Day
    observe(year, 11, 11), // Veterans Day
    nthWeekday(year, 11, THURSDAY, 4), // Thanksgiving Day
    observe(year, 12, 25), // Christmas Day
    observe(year + 1, 1, 1), // next New Year's Day, kept only when observed on December 31
  ];
  const inYear = days.filter((ms, i) => i < days.length - 1 || new Date(ms).getUTCFullYear() === year);
  return Object.freeze(inYear.map(toIso));
}

/** UTC midnight of the day the fixed-date holiday is observed on. */
function observe(year: number, month: number, day: number): number {
  const ms = Date.UTC(year, month - 1, day);
  const weekday = new Date(ms).getUTCDay();
  if (weekday === SATURDAY) return ms - DAY_MS;
  if (weekday === SUNDAY) return ms + DAY_MS;
  return ms;
}

function nthWeekday(year: number, month: number, weekday: number, n: number): number {
  const first = Date.UTC(year, month - 1, 1);
  const offset = (weekday - new Date(first).getUTCDay() + 7) % 7;
  return first + (offset + (n - 1) * 7) * DAY_MS;
}

function lastWeekday(year: number, month: number, weekday: number): number {
  const last = Date.UTC(year, month, 0); // day 0 of the next month is the last of this one
  const back = (new Date(last).getUTCDay() - weekday + 7) % 7;
  return last - back * DAY_MS;
}

function toIso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
