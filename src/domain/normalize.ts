/**
 * Normal forms for the account facts a carrier quotes in a port-out request (SPEC §5).
 *
 * Two values "match" when their normal forms are equal and not empty. Each normaliser removes only
 * differences of writing (case, punctuation, spacing, the standard USPS abbreviations, company
 * legal forms, "Last, First" order, middle initials), never differences of content: a wrong
 * port-out is fraud, so anything that might be a different person, company or place must keep a
 * different normal form.
 *
 * Every normaliser is idempotent (normalize(normalize(x)) === normalize(x)); the property tests
 * depend on it and so does any caller that stores a normal form and compares it later.
 */
export { normalizeAccountNumber, normalizePin } from './normalize/account-codes.js';
export { normalizeCity, normalizeState, normalizeZip } from './normalize/city-state-zip.js';
export { normalizeCompany } from './normalize/company.js';
export { normalizePersonName } from './normalize/person-name.js';
export { isSameUnit, normalizeStreet, normalizeUnit, splitStreet } from './normalize/street.js';
