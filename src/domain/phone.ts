/**
 * Telephone numbers: parse any common US form to E.164 and print them the way people read them.
 * libphonenumber-js does the NANP rules (area code and exchange cannot start with 0 or 1).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** `(206) 555-0100`, `206.555.0100`, `+1 206 555 0100`… → `+12065550100`; undefined when not a valid number. */
export function toE164(text: string): string | undefined {
  const trimmed = text.trim();
  if (!/\d/.test(trimmed)) return undefined;
  const parsed = parsePhoneNumberFromString(trimmed, 'US');
  if (!parsed || !parsed.isValid()) return undefined;
  return parsed.number;
}

/** `+12065550100` → `(206) 555-0100`; other countries in international form. */
export function formatNumber(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return e164;
  return parsed.countryCallingCode === '1' ? parsed.formatNational() : parsed.formatInternational();
}
