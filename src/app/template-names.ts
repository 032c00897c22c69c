/**
 * Every e-mail the desk sends, by template name, and the data each template is rendered with.
 * The app builds these objects; the templates in `templates/<name>/` read nothing else, so a
 * field added here is the only way new facts reach an e-mail (and a secret never is one).
 */
import type { ReasonCode } from '../domain/reason-codes.js';

export const TEMPLATE_NAMES = [
  'carrier-acknowledgement',
  'carrier-rejection',
  'carrier-approval',
  'carrier-cancellation',
  'customer-verification',
  'customer-reminder',
  'customer-unclear',
  'customer-decision',
  'preapproval-refusal',
  'already-rejected',
  'customer-completion',
  'customer-cancellation',
  'csr',
  'csr-received',
  'csr-needs-review',
  'support-alert',
  'daily-digest',
] as const;

export type TemplateName = (typeof TEMPLATE_NAMES)[number];

export function isTemplateName(name: string): name is TemplateName {
  return (TEMPLATE_NAMES as readonly string[]).includes(name);
}

/** Facts about the desk every template receives as `desk`. */
export interface DeskInfo {
  name: string;
  from: string;
  supportEmail: string;
  /** As configured, e.g. "$15". */
  adminFee: string;
  /** In words, e.g. "72 hours". */
  verificationWindow: string;
}

/** A reason for a rejection or cancellation; `text` may be left empty to use the standard wording. */
export interface ReasonItem {
  code: ReasonCode | string;
  text?: string;
}

export interface CarrierRef {
  name: string;
  email?: string;
  pon?: string;
}

export interface OrderRef {
  id: string;
  pon?: string;
}

/** One line of a rejection's field report: only what the carrier wrote, never the value on file. */
export interface FieldResult {
  field: string;
  provided?: string;
  result: 'match' | 'mismatch' | 'missing';
  reason: string;
}

type VerificationData = {
  account: { name: string };
  order: { id: string };
  /** E.164 numbers; the templates print them in national form. */
  numbers: string[];
  carrier: { name: string };
  /** In words or ISO, as the app prefers. */
  requestedDate?: string;
  /** In words, e.g. "Friday, December 4, 2026 at 3:00 PM UTC". */
  deadline: string;
  approveWord: 'APPROVE';
  rejectWord: 'REJECT';
};

/** The data of each template, without `desk` (see TemplateData). */
export interface TemplateDataMap {
  'carrier-acknowledgement': {
    carrier: CarrierRef;
    orders: { id: string; numbers: string[] }[];
    rejectedNumbers: { number: string; code: string; text: string }[];
  };
  'carrier-rejection': {
    order?: OrderRef;
    carrier: CarrierRef;
    numbers: string[];
    reasons: ReasonItem[];
    fields: FieldResult[];
    missing: string[];
  };
  'carrier-approval': { order: OrderRef; carrier: CarrierRef; numbers: string[]; focDate: string; completeBy?: string };
  'carrier-cancellation': { order: OrderRef; carrier: CarrierRef; numbers: string[]; reasons: ReasonItem[]; note?: string };
  'customer-verification': VerificationData;
  'customer-reminder': VerificationData;
  'customer-unclear': Omit<VerificationData, 'carrier' | 'requestedDate'>;
  'customer-decision': {
    account: { name: string };
    order: { id: string };
    numbers: string[];
    carrier: { name: string };
    outcome: 'approved' | 'rejected';
    decidedBy: 'customer' | 'auto-match' | 'support' | 'desk';
    focDate?: string;
    reasons: ReasonItem[];
  };
  'preapproval-refusal': { order?: { id: string }; numbers: string[] };
  'already-rejected': { order: { id: string }; numbers: string[] };
  'customer-completion': { account: { name: string }; order: { id: string }; numbers: string[]; lastNumberGone: boolean };
  'customer-cancellation': { account: { name: string }; order: { id: string }; numbers: string[]; reasons: ReasonItem[] };
  csr: {
    account: {
      name: string;
      company?: string;
      accountNumber: string;
      address: { street: string; unit?: string; city: string; state: string; zip: string };
    };
    numbers: { number: string; status: string }[];
    date: string;
  };
  'csr-received': Record<string, never>;
  'csr-needs-review': {
    from: string;
    provided: { name?: string; email?: string; techPrefix?: string; numbers: string[] };
    problems: string[];
  };
  'support-alert': { title: string; lines: string[]; orderId?: string };
  'daily-digest': {
    date: string;
    counts: { state: string; count: number }[];
    opened: number;
    decided: { id: string; state: string; by: string }[];
    awaiting: { id: string; expiresAt: string }[];
    failedEmails: { id: string; to: string; error: string }[];
    /** Support alerts the throttle held back since the last digest (SPEC §10). */
    heldAlerts: { at: string; from: string; subject: string; reason: string }[];
    /** Held alerts beyond those listed. */
    heldMore: number;
  };
}

/** What the renderer receives for template N. */
export type TemplateData<N extends TemplateName> = TemplateDataMap[N] & { desk: DeskInfo };
