/**
 * Which carrier-provided fields must match the account for an automatic approval (MATCH_FIELDS).
 * The two presets come from the provider's policy and from the US simple-port rule.
 */
export const MATCH_FIELD_NAMES = [
  /** The person name or the company name (either may match). */
  'nameOrCompany',
  'name',
  'company',
  'street',
  'city',
  'state',
  'zip',
  'accountNumber',
  /** The PIN, when the account has one. */
  'pin',
  /** Every number named is an active number on this account. */
  'dids',
  /** The billing telephone number, when given, is on this account. */
  'btn',
] as const;

export type MatchField = (typeof MATCH_FIELD_NAMES)[number];

/** Each field as a person reads it (the console's match report). */
export const MATCH_FIELD_LABELS: Record<MatchField, string> = {
  nameOrCompany: 'Name or company',
  name: 'Name',
  company: 'Company',
  street: 'Street',
  city: 'City',
  state: 'State',
  zip: 'ZIP',
  accountNumber: 'Account number',
  pin: 'PIN',
  dids: 'Numbers',
  btn: 'Billing number',
};

export const MATCH_PRESETS = {
  'account-info': ['nameOrCompany', 'street', 'zip', 'dids'],
  'simple-port': ['accountNumber', 'zip', 'pin', 'dids'],
} as const satisfies Record<string, readonly MatchField[]>;

export type MatchPreset = keyof typeof MATCH_PRESETS;

export function isMatchField(name: string): name is MatchField {
  return (MATCH_FIELD_NAMES as readonly string[]).includes(name);
}
