/**
 * One complete, invented data set per template, and the desk facts they carry: what
 * `validateTemplates` (and `portdesk check`) renders, and what previews and benchmarks use.
 */
import { REASON_TEXT } from '../../domain/reason-codes.js';
import type { DeskInfo, TemplateData, TemplateName } from '../../ports/renderer.js';

/** Desk facts used for samples, previews and `portdesk check`. */
export const SAMPLE_DESK: DeskInfo = {
  name: 'Port-out desk',
  from: 'porting@voip.example.test',
  supportEmail: 'support@voip.example.test',
  adminFee: '$15',
  verificationWindow: '72 hours',
};

const sampleCarrier = { name: 'Cascade Fiber & Voice', email: 'lnp@cascade.example.test', pon: 'CF-20931' };

export const TEMPLATE_SAMPLES: { [N in TemplateName]: TemplateData<N> } = {
  'carrier-acknowledgement': {
    desk: SAMPLE_DESK,
    carrier: sampleCarrier,
    orders: [
      { id: 'PO-7K3F9Q', numbers: ['+12065550100', '+12065550101'] },
      { id: 'PO-M2X8RT', numbers: ['+12065550142'] },
    ],
    rejectedNumbers: [{ number: '+12065550199', code: 'TN_NOT_FOUND', text: REASON_TEXT.TN_NOT_FOUND }],
  },
  'carrier-rejection': {
    desk: SAMPLE_DESK,
    order: { id: 'PO-7K3F9Q', pon: 'CF-20931' },
    carrier: sampleCarrier,
    numbers: ['+12065550100', '+12065550101'],
    reasons: [
      { code: 'ZIP_MISMATCH', text: REASON_TEXT.ZIP_MISMATCH },
      { code: 'ADDRESS_MISMATCH', text: REASON_TEXT.ADDRESS_MISMATCH },
    ],
    fields: [
      { field: 'nameOrCompany', provided: 'Harbor Lane Bakery', result: 'match', reason: 'matches the company on file' },
      { field: 'street', provided: '410 Pine Street', result: 'mismatch', reason: 'the street address differs' },
      { field: 'zip', provided: '98109', result: 'mismatch', reason: 'the ZIP code differs' },
    ],
    missing: [],
  },
  'carrier-approval': {
    desk: SAMPLE_DESK,
    order: { id: 'PO-7K3F9Q', pon: 'CF-20931' },
    carrier: sampleCarrier,
    numbers: ['+12065550100', '+12065550101'],
    focDate: 'Tuesday, December 8, 2026',
  },
  'carrier-cancellation': {
    desk: SAMPLE_DESK,
    order: { id: 'PO-7K3F9Q', pon: 'CF-20931' },
    carrier: sampleCarrier,
    numbers: ['+12065550100'],
    reasons: [{ code: 'NOT_COMPLETED_IN_TIME', text: REASON_TEXT.NOT_COMPLETED_IN_TIME }],
    note: 'The completion date was Tuesday, December 8, 2026.',
  },
  'customer-verification': {
    desk: SAMPLE_DESK,
    account: { name: 'Dana Whitfield' },
    order: { id: 'PO-7K3F9Q' },
    numbers: ['+12065550100', '+12065550101'],
    carrier: { name: sampleCarrier.name, domain: 'cascade.example.test' },
    requestedDate: 'Monday, December 7, 2026',
    deadline: 'Friday, December 4, 2026 at 3:00 PM UTC',
    approveWord: 'APPROVE',
    rejectWord: 'REJECT',
    answerLink: 'https://porting.example.test/v/PO-7K3F9Q.sample-signature',
  },
  'customer-reminder': {
    desk: SAMPLE_DESK,
    account: { name: 'Dana Whitfield' },
    order: { id: 'PO-7K3F9Q' },
    numbers: ['+12065550100'],
    carrier: { name: sampleCarrier.name, domain: 'cascade.example.test' },
    deadline: 'Friday, December 4, 2026 at 3:00 PM UTC',
    approveWord: 'APPROVE',
    rejectWord: 'REJECT',
  },
  'customer-unclear': {
    desk: SAMPLE_DESK,
    account: { name: 'Dana Whitfield' },
    order: { id: 'PO-7K3F9Q' },
    numbers: ['+12065550100'],
    deadline: 'Friday, December 4, 2026 at 3:00 PM UTC',
    approveWord: 'APPROVE',
    rejectWord: 'REJECT',
  },
  'customer-decision': {
    desk: SAMPLE_DESK,
    account: { name: 'Dana Whitfield' },
    order: { id: 'PO-7K3F9Q' },
    numbers: ['+12065550100'],
    carrier: { name: sampleCarrier.name, domain: 'cascade.example.test' },
    outcome: 'approved',
    decidedBy: 'customer',
    focDate: 'Tuesday, December 8, 2026',
    reasons: [],
  },
  'preapproval-refusal': { desk: SAMPLE_DESK, order: { id: 'PO-7K3F9Q' }, numbers: ['+12065550100'] },
  'already-rejected': { desk: SAMPLE_DESK, order: { id: 'PO-7K3F9Q' }, numbers: ['+12065550100'] },
  'customer-completion': {
    desk: SAMPLE_DESK,
    account: { name: 'Dana Whitfield' },
    order: { id: 'PO-7K3F9Q' },
    numbers: ['+12065550100'],
    lastNumberGone: true,
  },
  'customer-cancellation': {
    desk: SAMPLE_DESK,
    account: { name: 'Dana Whitfield' },
    order: { id: 'PO-7K3F9Q' },
    numbers: ['+12065550100'],
    reasons: [{ code: 'CARRIER_CANCELED', text: REASON_TEXT.CARRIER_CANCELED }],
  },
  csr: {
    desk: SAMPLE_DESK,
    account: {
      name: 'Dana Whitfield',
      company: 'Harbor Lane Bakery LLC',
      accountNumber: 'AC-100245',
      address: { street: '410 Pine Street', unit: 'Suite 200', city: 'Seattle', state: 'WA', zip: '98101' },
    },
    numbers: [
      { number: '+12065550100', status: 'active' },
      { number: '+12065550101', status: 'ported-out' },
    ],
    date: 'December 1, 2026',
  },
  'csr-received': { desk: SAMPLE_DESK },
  'csr-needs-review': {
    desk: SAMPLE_DESK,
    from: 'dana@bakery.example.test',
    provided: { name: 'Dana Whitfield', techPrefix: '4471', numbers: ['+12065550100'] },
    problems: ['the sender is not the e-mail address on file for the account', 'the tech prefix does not match'],
  },
  'support-alert': {
    desk: SAMPLE_DESK,
    title: 'An e-mail could not be delivered',
    lines: ['To: lnp@cascade.example.test', 'Subject: [PO-7K3F9Q] Port-out approved', 'Last error: 550 5.1.1 mailbox unavailable'],
    orderId: 'PO-7K3F9Q',
  },
  'daily-digest': {
    desk: SAMPLE_DESK,
    date: 'December 1, 2026',
    counts: [
      { state: 'pending_verification', count: 3 },
      { state: 'approved', count: 2 },
      { state: 'completed', count: 5 },
    ],
    opened: 4,
    decided: [{ id: 'PO-7K3F9Q', state: 'approved', by: 'customer' }],
    awaiting: [{ id: 'PO-M2X8RT', expiresAt: '2026-12-04T15:00:00Z' }],
    failedEmails: [],
    heldAlerts: [{ at: 'December 1, 2026 9:14 AM', from: 'priya.raman@example.test', subject: 'Re: [PO-7K3F9Q] Please confirm', reason: 'NOT_BOUND: a reply that carries no secret of the verification' }],
    heldMore: 0,
  },
};
