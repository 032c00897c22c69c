/**
 * Reason codes carried by every rejection and cancellation (SPEC §5). The carrier e-mail
 * explains each one in words, so the wording lives next to the code.
 */
export const REASON_CODES = [
  'NAME_MISMATCH',
  'COMPANY_MISMATCH',
  'ADDRESS_MISMATCH',
  'ZIP_MISMATCH',
  'ACCOUNT_NUMBER_MISMATCH',
  'PIN_MISSING',
  'PIN_INVALID',
  'PIN_LOCKED',
  'PIN_ATTEMPTS',
  'TN_NOT_FOUND',
  'TN_NOT_ACTIVE',
  'TN_PENDING_ORDER',
  'PORT_PROTECTED',
  'MISSING_INFORMATION',
  'CUSTOMER_REJECTED',
  'NOT_COMPLETED_IN_TIME',
  'CARRIER_CANCELED',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

export const REASON_TEXT: Record<ReasonCode, string> = {
  NAME_MISMATCH: 'The name on the request does not match the name on the account.',
  COMPANY_MISMATCH: 'The company name on the request does not match the company on the account.',
  ADDRESS_MISMATCH: 'The service address on the request does not match the address on the account.',
  ZIP_MISMATCH: 'The ZIP code on the request does not match the ZIP code on the account.',
  ACCOUNT_NUMBER_MISMATCH: 'The account number on the request does not match the account.',
  PIN_MISSING: 'The account is protected by a port-out PIN and the request did not include one.',
  PIN_INVALID: 'The port-out PIN on the request is not correct.',
  PIN_LOCKED: 'After repeated wrong port-out PINs, requests from this carrier for this account are refused until the account holder asks us to lift the block.',
  PIN_ATTEMPTS: 'Wrong port-out PINs were given for this account around the time of this request, so it cannot be approved without the account holder\'s own answer.',
  TN_NOT_FOUND: 'One or more telephone numbers on the request are not on any of our accounts.',
  TN_NOT_ACTIVE: 'One or more telephone numbers on the request are not active on the account.',
  TN_PENDING_ORDER: 'One or more telephone numbers already have an open port-out order.',
  PORT_PROTECTED: 'The account holder has locked the account against port-outs.',
  MISSING_INFORMATION: 'The request is missing information we need to process it.',
  CUSTOMER_REJECTED: 'The account holder declined the port-out request.',
  NOT_COMPLETED_IN_TIME: 'The port was not completed within the allowed time after the completion date.',
  CARRIER_CANCELED: 'The requesting carrier canceled the order.',
};
