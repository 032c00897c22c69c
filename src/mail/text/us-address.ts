/**
 * A US address as carriers write it on one line or two: "123 Main St, Suite 200, Seattle, WA 98101",
 * "Everett, Washington 98201". Read as written (SPEC §2); only the state becomes its two-letter code,
 * from the one table in domain/us-states.ts.
 */
import { stateCodeOfName } from '../../domain/us-states.js';
import { parseUsAddress } from '../prose/addresser.js';

export interface CityStateZip {
  city: string;
  state: string;
  zip: string;
}

/** Two-letter codes in capitals; full state names to their code. Anything else as written. */
export function readStateCode(value: string): string {
  const trimmed = value.trim().replace(/\.$/, '');
  if (/^[a-z]{2}$/i.test(trimmed)) return trimmed.toUpperCase();
  return stateCodeOfName(trimmed.toLowerCase().replace(/\s+/g, ' ')) ?? trimmed;
}

const CITY_STATE_ZIP_RE = /^(.+?),?\s+([A-Za-z]{2}|[A-Za-z]+(?:\s[A-Za-z]+)?)\.?,?\s+(\d{5}(?:-?\d{4})?)\s*$/;

/** "Seattle, WA 98101", "Hagatna, Guam 96910"; undefined unless the state reads as a code. */
export function splitCityStateZip(value: string): CityStateZip | undefined {
  const match = CITY_STATE_ZIP_RE.exec(value.replace(/,\s*$/, ''));
  if (!match) return undefined;
  const [, city = '', state = '', zip = ''] = match;
  const stateCode = readStateCode(state);
  if (!/^[A-Z]{2}$/.test(stateCode)) return undefined;
  return { city: city.replace(/,\s*$/, '').trim(), state: stateCode, zip };
}

/**
 * "123 Main St, Suite 200, Seattle, WA 98101" → street, city, state and ZIP. Without commas
 * ("915 e pine st #3 seattle wa 98122") a US address parser says where the city starts; the
 * street is kept as written, before it.
 */
export function splitAddress(given: string): { street: string } & Partial<CityStateZip> {
  // "…, Missoula, MT 59802." — the sentence's full stop is not part of the ZIP.
  const value = given.replace(/(\d)[.;]+\s*$/, '$1');
  const parts = value.split(',').map((part) => part.trim());
  for (let cut = parts.length - 1; cut >= 1; cut -= 1) {
    const tail = splitCityStateZip(parts.slice(cut).join(', '));
    if (tail && !/\d/.test(tail.city)) return { street: parts.slice(0, cut).join(', '), ...tail };
  }
  if (/\b\d{5}(?:-?\d{4})?\s*$/.test(value)) {
    const parsed = parseUsAddress(value);
    const at = parsed ? value.toLowerCase().lastIndexOf(parsed.placeName.toLowerCase()) : -1;
    if (parsed && at > 0) {
      const street = value.slice(0, at).replace(/[\s,]+$/, '');
      const tail = splitCityStateZip(value.slice(at));
      if (street && tail) return { street, ...tail };
    }
  }
  return { street: value };
}

/**
 * An address set out on two lines ("19 Farmington Ave, Apt 5B" over "Hartford, CT 06105") as one,
 * so the sentences reader sees it whole.
 */
export function joinAddressLines(text: string): string {
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 1) {
    const street = (lines[i] ?? '').trim();
    if (!/^\d{1,6}\s+\S/.test(street) || street.length > 80 || /[.!?]$/.test(street)) continue;
    const next = (lines[i + 1] ?? '').trim();
    if (!splitCityStateZip(next)) continue;
    lines[i] = `${street}, ${next}`;
    lines[i + 1] = '';
  }
  return lines.join('\n');
}
