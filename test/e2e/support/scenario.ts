/**
 * Accounts and messages for end-to-end scenarios. Each scenario gets its own account and numbers
 * so scenarios sharing one daemon cannot disturb each other.
 */
import type { ParsedMail } from 'mailparser';
import type { Account } from '../../../src/domain/records.js';
import { buildMail, newMessageId } from '../../support/mail-builder.js';

export const CARRIER = 'lnp@newcarrier.example.test';

export function account(n: number, overrides: Partial<Account> = {}): Account {
  const did = (i: number) => `+1206555${String(1000 + n * 10 + i).slice(-4)}`;
  return {
    id: `ACCT-${n}`,
    name: `Customer ${n} Person`,
    email: `customer${n}@example.test`,
    techPrefix: `TP${n}`,
    accountNumber: `10${n}`,
    address: { street: `${100 + n} N Main St`, unit: 'Ste 5', city: 'Seattle', state: 'WA', zip: '98101' },
    dids: [
      { number: did(1), status: 'active' },
      { number: did(2), status: 'active' },
    ],
    portOutLock: false,
    status: 'open',
    ...overrides,
  };
}

/** "(206) 555-1011" for account n, number i. */
export function number(n: number, i: number): string {
  const d = String(1000 + n * 10 + i).slice(-4);
  return `(206) 555-${d}`;
}

export interface RequestSpec {
  pon: string;
  numbers: string[];
  name?: string;
  street?: string;
  zip?: string;
  accountNumber?: string;
  pin?: string;
  from?: string;
  messageId?: string;
}

export function portRequest(spec: RequestSpec): Buffer {
  const lines = [
    'Hello,',
    '',
    'Please process the following port-out request.',
    '',
    `PON: ${spec.pon}`,
    ...(spec.name ? [`Account Name: ${spec.name}`] : []),
    ...(spec.accountNumber ? [`Account Number: ${spec.accountNumber}`] : []),
    ...(spec.street ? [`Service Address: ${spec.street}`] : []),
    'City: Seattle',
    'State: WA',
    ...(spec.zip ? [`ZIP: ${spec.zip}`] : []),
    ...(spec.pin ? [`PIN: ${spec.pin}`] : []),
    `Telephone Numbers: ${spec.numbers.join(', ')}`,
    '',
    'Thank you,',
    'New Carrier LNP team',
  ];
  return buildMail({
    from: spec.from ?? `New Carrier LNP <${CARRIER}>`,
    to: 'porting@example.test',
    subject: `Port-out request ${spec.pon}`,
    text: lines.join('\n'),
    messageId: spec.messageId ?? newMessageId('newcarrier.example.test'),
  });
}

/** A request whose details match account n on file. */
export function matchingRequest(n: number, pon: string, numbers = [number(n, 1)]): Buffer {
  return portRequest({ pon, numbers, name: `Customer ${n} Person`, street: `${100 + n} North Main Street Suite 5`, zip: '98101-1234' });
}

export function orderIdOf(m: ParsedMail): string {
  const id = /PO-[0-9A-Z]{6}/.exec(m.subject ?? '')?.[0];
  if (!id) throw new Error(`no order id in subject "${m.subject}"`);
  return id;
}

function replyToOf(m: ParsedMail): string {
  return m.replyTo?.value[0]?.address ?? 'porting@example.test';
}

/** The customer answers a verification the way a mail client does, quoting it. */
export function replyTo(verification: ParsedMail, opts: { from: string; text: string }): Buffer {
  const quoted = (verification.text ?? '')
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
  const mid = verification.messageId!;
  return buildMail({
    from: opts.from,
    to: replyToOf(verification),
    subject: `Re: ${verification.subject}`,
    text: `${opts.text}\n\nOn Mon, Nov 30, 2026 at 9:00 AM Port-out desk <porting@example.test> wrote:\n${quoted}\n`,
    inReplyTo: mid,
    references: [mid],
    messageId: newMessageId(opts.from.split('@')[1]),
  });
}

export function text(m: ParsedMail): string {
  return m.text ?? '';
}
