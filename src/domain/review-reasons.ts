/**
 * Why a message waits in Review (SPEC §10): one vocabulary, so Review can be counted by reason and
 * every place that parks a message says the same thing for the same cause. The detail in words
 * (which order, which address) travels beside the code.
 */
export const REVIEW_REASONS = [
  'PARSE_REPAIRED',
  'TOO_LARGE',
  'NO_SENDER',
  'NOT_BOUND',
  'SENDER_MISMATCH',
  'AUTH_FAILED',
  'AUTH_UNAVAILABLE',
  'UNKNOWN_SENDER',
  'NO_NUMBERS',
  'UNREADABLE_ATTACHMENT',
  'CONFLICTING_FIELDS',
  'PROJECT_PORT',
  'RATE_LIMITED',
  'NO_ORDER',
  'NOT_APPLICABLE',
  'ALREADY_DECIDED',
  'CSR_MISMATCH',
  'TEMPLATE_ERROR',
  'INTERNAL_ERROR',
  'OTHER',
] as const;

export type ReviewReason = (typeof REVIEW_REASONS)[number];

/** What each reason means, for support alerts, the digest and `inspect`. */
export const REVIEW_TEXT: Record<ReviewReason, string> = {
  PARSE_REPAIRED: 'the message had to be repaired to be read, so it may not say what its sender wrote',
  TOO_LARGE: 'the desk read only part of the message (a size, count or time limit), so it may not say what its sender wrote',
  NO_SENDER: 'the message has no single sender address',
  NOT_BOUND: 'it reads as a decision but carries no secret of a verification the desk sent',
  SENDER_MISMATCH: 'it does not come from the address the desk wrote to',
  AUTH_FAILED: 'mail authentication (DMARC) says the sender address is forged',
  AUTH_UNAVAILABLE: 'mail authentication could not be completed (DNS did not answer)',
  UNKNOWN_SENDER: 'it does not come from the carrier that placed the order',
  NO_NUMBERS: 'a port request without telephone numbers',
  UNREADABLE_ATTACHMENT: 'a request whose attachment the desk cannot read (a scan or a picture, an encrypted PDF, an archive): a person must read it',
  CONFLICTING_FIELDS: 'the message and its attachment (or two attachments) give different values for the same field',
  PROJECT_PORT: 'a request too large to handle without a person (project port: too many numbers or accounts)',
  RATE_LIMITED: 'a limit per sender or per customer was reached (requests per carrier an hour, e-mails per customer a day)',
  NO_ORDER: 'it names no order the desk has',
  NOT_APPLICABLE: 'it does not apply to the order in its present state',
  ALREADY_DECIDED: 'the order it answers is already decided',
  CSR_MISMATCH: 'a CSR request whose details do not match one account',
  TEMPLATE_ERROR: 'the desk could not prepare its answer (a template failed)',
  INTERNAL_ERROR: 'the desk failed while handling it',
  OTHER: 'not a message the desk can act on',
};
