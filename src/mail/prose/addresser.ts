/**
 * The addresser package, wrapped: it throws strings on what it cannot parse, and its cost grows
 * with the square of its input, so it is only ever given one short candidate address.
 */
import addresser from 'addresser';

/** A street, city, state and ZIP on one line is well under this. */
export const MAX_ADDRESS_CHARS = 160;

export interface ParsedAddress {
  /** Normalised by addresser: "12 Oak St", "Suite 5". */
  addressLine1: string;
  addressLine2?: string;
  streetNumber: string;
  placeName: string;
  stateAbbreviation: string;
  zipCode: string;
}

/** addresser's reading of `text`, or undefined when it throws or the text is too long for it. */
export function parseUsAddress(text: string): ParsedAddress | undefined {
  if (!text || text.length > MAX_ADDRESS_CHARS) return undefined;
  try {
    const parsed = addresser.parseAddress(text) as Partial<ParsedAddress> | undefined;
    if (!parsed?.addressLine1 || !parsed.streetNumber || !parsed.placeName || !parsed.stateAbbreviation || !parsed.zipCode) {
      return undefined;
    }
    return {
      addressLine1: parsed.addressLine1,
      ...(parsed.addressLine2 ? { addressLine2: parsed.addressLine2 } : {}),
      streetNumber: parsed.streetNumber,
      placeName: parsed.placeName,
      stateAbbreviation: parsed.stateAbbreviation,
      zipCode: parsed.zipCode,
    };
  } catch {
    return undefined;
  }
}

let cityNames: ReadonlySet<string> | undefined;

/** True when `phrase` is the whole name of a US city addresser knows ("Salt Lake City"). */
export function isKnownCity(phrase: string): boolean {
  if (!cityNames) {
    const names = new Set<string>();
    try {
      for (const list of Object.values(addresser.cities())) for (const city of list) names.add(city.toLowerCase());
    } catch {
      // Without the list a city is still refused for being a place further on (state, street).
    }
    cityNames = names;
  }
  return cityNames.has(phrase.toLowerCase());
}
