/**
 * Telephone numbers: parse any common US form to E.164 and print them the way people read them.
 * libphonenumber-js does the NANP rules (area code and exchange cannot start with 0 or 1).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Remembers the last answers of a pure function of a string. Parsing with the full metadata is
 * the costly part of reading a request, and the same numbers come up again and again: in the
 * classifier and the reader, in the request and the account, in every e-mail about an order.
 */
function remembered<T>(fn: (text: string) => T, capacity = 20_000): (text: string) => T {
  const cache = new Map<string, T>();
  return (text) => {
    if (cache.has(text)) return cache.get(text) as T;
    const value = fn(text);
    if (cache.size >= capacity) cache.clear();
    cache.set(text, value);
    return value;
  };
}

/** `(206) 555-0100`, `206.555.0100`, `+1 206 555 0100`… → `+12065550100`; undefined when not a valid number. */
export const toE164: (text: string) => string | undefined = remembered((text) => {
  const trimmed = text.trim();
  if (!/\d/.test(trimmed)) return undefined;
  const parsed = parsePhoneNumberFromString(trimmed, 'US');
  if (!parsed || !parsed.isValid()) return undefined;
  return parsed.number;
});

/** `+12065550100` → `(206) 555-0100`; other countries in international form. */
export const formatNumber: (e164: string) => string = remembered((e164) => {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return e164;
  return parsed.countryCallingCode === '1' ? parsed.formatNational() : parsed.formatInternational();
});
