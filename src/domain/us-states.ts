/**
 * The US states, DC and the inhabited territories that have ZIP codes, by name, to their USPS
 * two-letter code. One table for everything that reads a state: the request reader turns "Guam"
 * into GU, and the matcher compares "Guam" with "GU" on the account; a second copy once lacked the
 * territories, so a request from Guam kept "Guam" while the account said GU.
 */

const STATE_CODES: ReadonlyMap<string, string> = new Map([
  ['alabama', 'AL'], ['alaska', 'AK'], ['arizona', 'AZ'], ['arkansas', 'AR'], ['california', 'CA'],
  ['colorado', 'CO'], ['connecticut', 'CT'], ['delaware', 'DE'], ['district of columbia', 'DC'],
  ['florida', 'FL'], ['georgia', 'GA'], ['hawaii', 'HI'], ['idaho', 'ID'], ['illinois', 'IL'],
  ['indiana', 'IN'], ['iowa', 'IA'], ['kansas', 'KS'], ['kentucky', 'KY'], ['louisiana', 'LA'],
  ['maine', 'ME'], ['maryland', 'MD'], ['massachusetts', 'MA'], ['michigan', 'MI'], ['minnesota', 'MN'],
  ['mississippi', 'MS'], ['missouri', 'MO'], ['montana', 'MT'], ['nebraska', 'NE'], ['nevada', 'NV'],
  ['new hampshire', 'NH'], ['new jersey', 'NJ'], ['new mexico', 'NM'], ['new york', 'NY'],
  ['north carolina', 'NC'], ['north dakota', 'ND'], ['ohio', 'OH'], ['oklahoma', 'OK'], ['oregon', 'OR'],
  ['pennsylvania', 'PA'], ['rhode island', 'RI'], ['south carolina', 'SC'], ['south dakota', 'SD'],
  ['tennessee', 'TN'], ['texas', 'TX'], ['utah', 'UT'], ['vermont', 'VT'], ['virginia', 'VA'],
  ['washington', 'WA'], ['west virginia', 'WV'], ['wisconsin', 'WI'], ['wyoming', 'WY'],
  ['puerto rico', 'PR'], ['guam', 'GU'], ['us virgin islands', 'VI'], ['virgin islands', 'VI'],
  ['american samoa', 'AS'], ['northern mariana islands', 'MP'],
]);

/**
 * The code of a state named in lower-case words separated by single spaces ("new york" → NY,
 * "guam" → GU); undefined for anything else, codes included ("ny" is not a name).
 */
export function stateCodeOfName(name: string): string | undefined {
  return STATE_CODES.get(name);
}

/** Every state name the table knows, for tests that hold the readers to it. */
export function listStateNames(): string[] {
  return [...STATE_CODES.keys()];
}
