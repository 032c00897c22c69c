/**
 * The data each e-mail is rendered with, by template name. The templates in `templates/<name>/`
 * read nothing else, so a field added here is the only way new facts reach an e-mail (and a secret
 * never is one). The core builds these values (effects.ts types an e-mail's data by its template);
 * the Renderer port renders them. The runtime list of names is TEMPLATE_NAMES in
 * app/template-names.ts.
 */
import type { Decision } from './records.js';
import type { ReasonCode } from './reason-codes.js';

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
  /** As the carrier gave it, cleaned (carrier-text.ts): customers see it only beside `domain`. */
  name: string;
  email?: string;
  /** The mail domain the carrier writes from: how customers are told who asks. */
  domain?: string;
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
  carrier: Pick<CarrierRef, 'name' | 'domain'>;
  /** In words or ISO, as the app prefers. */
  requestedDate?: string;
  /** In words, e.g. "Friday, December 4, 2026 at 3:00 PM UTC". */
  deadline: string;
  approveWord: 'APPROVE';
  rejectWord: 'REJECT';
  /** The one-click answer page (SPEC §12), added when the e-mail is composed; unset with the console off. */
  answerLink?: string;
};

/** The data of each template, without `desk` (see TemplateData). Its keys are the template names. */
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
    carrier: Pick<CarrierRef, 'name' | 'domain'>;
    outcome: 'approved' | 'rejected';
    decidedBy: Decision['by'];
    focDate?: string;
    reasons: ReasonItem[];
  };
  'preapproval-refusal': { order?: { id: string }; numbers: string[] };
  'already-rejected': { order: { id: string }; numbers: string[] };
  'customer-completion': { account: { name: string }; order: { id: string }; numbers: string[]; lastNumberGone: boolean };
  'customer-cancellation': { account: { name: string }; order: { id: string }; numbers: string[]; reasons: ReasonItem[]; note?: string };
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
  /** Nothing but `desk`. */
  'csr-received': Record<never, never>;
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

/** Every e-mail the desk sends. */
export type TemplateName = keyof TemplateDataMap;

/**
 * What the renderer receives for template N: its data and `desk`. Written as a map indexed by N
 * (not `TemplateDataMap[N] & {...}`) so that a fake renderer taking `Record<string, unknown>`
 * still implements the port.
 */
export type TemplateData<N extends TemplateName> = { [K in TemplateName]: TemplateDataMap[K] & { desk: DeskInfo } }[N];
