/**
 * Invented data for the benchmarks, generated from a seed so every run (and the baseline and the
 * backlog within one run) sees the same accounts and messages: 555-01XX numbers, example.test
 * addresses, names from short lists.
 */
import { toE164 } from '../src/domain/phone.js';
import type { Account, PortOrder } from '../src/domain/records.js';
import { buildMail } from '../test/support/mail-builder.js';

/** Mulberry32: small, fast, and the same sequence on every machine. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Dana', 'Marco', 'Priya', 'Leah', 'Tomas', 'Ines', 'Kofi', 'Mira', 'Owen', 'Sana', 'Rhea', 'Jonah', 'Elif', 'Bruno', 'Ada', 'Yusuf'];
const LAST = ['Whitfield', 'Ellison', 'Castell', 'Okafor', 'Brandt', 'Moreau', 'Asante', 'Kowal', 'Lindqvist', 'Haddad', 'Varga', 'Quist', 'Demir', 'Sato', 'Ferreira', 'Nakamura'];
const COMPANY = ['Harbor Lane Bakery LLC', 'Birch Street Dental Inc', 'Northgate Logistics Corp', 'Quarry Hill Studio', 'Maple Court Clinic Co', 'Riverbend Books Ltd'];
const STREETS = ['Market Street', 'North Birch Avenue', 'Elm Court', 'Lakeview Drive', 'West Pine Road', 'Harbor Boulevard'];
const CITIES: [string, string, string][] = [
  ['Seattle', 'WA', '98101'],
  ['Portland', 'OR', '97205'],
  ['Boise', 'ID', '83702'],
  ['Madison', 'WI', '53703'],
  ['Tacoma', 'WA', '98402'],
  ['Denver', 'CO', '80202'],
];

/** NANP area codes in which libphonenumber accepts 555-0100…0199 (what the desk can read from mail). */
let validAreaCodes: number[] | undefined;
function areaCodes(): number[] {
  if (!validAreaCodes) {
    validAreaCodes = [];
    for (let ac = 200; ac < 1000; ac++) if (toE164(`${ac}-555-0100`)) validAreaCodes.push(ac);
  }
  return validAreaCodes;
}

/** The i-th readable fictional number (0 ≤ i < ~45,000): area codes in turn, 555-0100…0199 in each. */
export function readableNumber(i: number): string {
  const codes = areaCodes();
  const ac = codes[Math.floor(i / 100)];
  if (ac === undefined) throw new Error(`only ${codes.length * 100} readable 555-01XX numbers exist`);
  return `+1${ac}55501${String(i % 100).padStart(2, '0')}`;
}

/**
 * The i-th stored number for synthetic stores (0 ≤ i < 80,000): still 555-01XX, but over every
 * 3-digit area code. Records are only checked against the E.164 pattern, and these numbers are
 * never read from mail, so area codes libphonenumber would refuse are fine here. Readable ones
 * come first, so the first ~45,000 are also valid in mail.
 */
export function storedNumber(i: number): string {
  const readable = areaCodes().length * 100;
  if (i < readable) return readableNumber(i);
  const rest = i - readable;
  const invalid: number[] = [];
  const valid = new Set(areaCodes());
  for (let ac = 200; ac < 1000; ac++) if (!valid.has(ac)) invalid.push(ac);
  const ac = invalid[Math.floor(rest / 100)];
  if (ac === undefined) throw new Error('out of 555-01XX numbers');
  return `+1${ac}55501${String(rest % 100).padStart(2, '0')}`;
}

/**
 * The i-th number of billing's accounts export (0 ≤ i < ~4,000,000). An export is read like an
 * import, every number checked by libphonenumber, so unlike storedNumber every one must be valid:
 * the readable 555-01XX numbers first (the same as storedNumber's), then 555-1000…9999 over the
 * same area codes (valid NANP numbers, outside the range reserved for fiction; they never leave
 * the machine).
 */
export function billingNumber(i: number): string {
  const codes = areaCodes();
  const readable = codes.length * 100;
  if (i < readable) return readableNumber(i);
  const rest = i - readable;
  const line = 1000 + Math.floor(rest / codes.length);
  if (line > 9999) throw new Error('out of 555-XXXX numbers');
  return `+1${codes[rest % codes.length]}555${line}`;
}

/** `+12065550100` → `206-555-0100`. */
function dashed(e164: string): string {
  return `${e164.slice(2, 5)}-${e164.slice(5, 8)}-${e164.slice(8)}`;
}

export interface AccountOptions {
  /** Numbers per account. */
  didsPerAccount: number;
  /** Index of the first number (storedNumber) of account 0. */
  firstNumber?: number;
  /** Every n-th account has a port-out PIN / is locked (0: none). */
  pinEvery?: number;
  lockEvery?: number;
}

export function makeAccount(i: number, opts: AccountOptions): Account {
  const first = opts.firstNumber ?? 0;
  const [city, state, zip] = CITIES[i % CITIES.length]!;
  const dids: Account['dids'] = [];
  for (let k = 0; k < opts.didsPerAccount; k++) dids.push({ number: storedNumber(first + i * opts.didsPerAccount + k), status: 'active' });
  return {
    id: `ACC-${i}`,
    name: `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`,
    ...(i % 3 === 0 ? { company: COMPANY[i % COMPANY.length] } : {}),
    email: `customer${i}@c${i % 97}.example.test`,
    techPrefix: `T${1000 + (i % 9000)}`,
    accountNumber: `${7000000 + i}`,
    address: { street: `${100 + (i % 900)} ${STREETS[i % STREETS.length]}`, ...(i % 4 === 0 ? { unit: `Suite ${1 + (i % 20)}` } : {}), city, state, zip },
    dids,
    ...(opts.pinEvery && i % opts.pinEvery === 7 ? { portOutPin: `${4000 + (i % 5000)}` } : {}),
    portOutLock: !!opts.lockEvery && i % opts.lockEvery === 13,
    status: 'open',
  };
}

export function makeAccounts(count: number, opts: AccountOptions): Account[] {
  return Array.from({ length: count }, (_, i) => makeAccount(i, opts));
}

export const DESK_ADDRESS = 'porting@example.test';
/** The carriers' mail domains: each publishes a DKIM key and DMARC p=reject on the benchmarks' DNS server (carrier-dkim.ts). */
export const CARRIER_DOMAINS = Array.from({ length: 20 }, (_, k) => `carrier${k}.example.test`);
const CARRIERS = CARRIER_DOMAINS.map((domain, k) => ({ name: `Carrier ${k} Telecom`, email: `lnp@${domain}`, domain, ccna: `C${String(k).padStart(2, '0')}X` }));

export interface GeneratedRequest {
  raw: Buffer;
  messageId: string;
  /** Accounts whose numbers it names (one order each, SPEC rule 1). */
  accountIds: string[];
  shape: RequestShape;
  numbers: number;
  /** The carrier's domain: the From address's, and the one that signs it (carrier-dkim.ts). */
  carrierDomain: string;
}

export const REQUEST_SHAPES = ['labelled-text', 'lsr-coded', 'html-table', 'html-only', 'csv-attachment', 'ranges'] as const;
export type RequestShape = (typeof REQUEST_SHAPES)[number];

/** 1–20 numbers, most requests small, as on a real desk. */
function requestSize(random: () => number): number {
  const r = random();
  if (r < 0.6) return 1 + Math.floor(random() * 2);
  if (r < 0.85) return 3 + Math.floor(random() * 3);
  if (r < 0.95) return 6 + Math.floor(random() * 5);
  return 11 + Math.floor(random() * 10);
}

/**
 * `count` carrier port requests over `accounts` (numbers handed out in account order, so larger
 * requests span two or three accounts). About 3% also name a number on no account; PIN accounts
 * get their PIN (one in ten wrong); once every number has been asked for, later requests ask
 * again and meet the open order (TN_PENDING_ORDER), as duplicates do on a real desk.
 */
export function generateRequests(count: number, accounts: Account[], opts: { seed: number; unknownFrom: number; tag: string }): GeneratedRequest[] {
  const random = createRandom(opts.seed);
  const slots: { account: Account; number: string }[] = accounts.flatMap((a) => a.dids.map((d) => ({ account: a, number: d.number })));
  let cursor = 0;
  let unknown = 0;
  const out: GeneratedRequest[] = [];
  for (let i = 0; i < count; i++) {
    const size = requestSize(random);
    const picked: { account: Account; number: string }[] = [];
    for (let k = 0; k < size; k++) {
      picked.push(slots[cursor % slots.length]!);
      cursor++;
    }
    const numbers = picked.map((p) => p.number);
    if (random() < 0.03) numbers.push(readableNumber(opts.unknownFrom + (unknown++ % 4000)));
    const account = picked[0]!.account;
    const carrier = CARRIERS[Math.floor(random() * CARRIERS.length)]!;
    const shape = REQUEST_SHAPES[Math.floor(random() * REQUEST_SHAPES.length)]!;
    const pon = `${carrier.ccna}-${opts.tag}-${i}`;
    const pin = account.portOutPin ? (random() < 0.9 ? account.portOutPin : '0000') : undefined;
    const requestedDate = random() < 0.3 ? new Date(Date.now() + (10 + Math.floor(random() * 30)) * 86_400_000).toISOString().slice(0, 10) : undefined;
    const messageId = `req-${opts.tag}-${i}@${carrier.domain}`;
    const raw = renderRequest({ shape, account, numbers, carrier, pon, pin, requestedDate, messageId });
    out.push({ raw, messageId, accountIds: [...new Set(picked.map((p) => p.account.id))], shape, numbers: numbers.length, carrierDomain: carrier.domain });
  }
  return out;
}

interface RequestParts {
  shape: RequestShape;
  account: Account;
  numbers: string[];
  carrier: (typeof CARRIERS)[number];
  pon: string;
  pin: string | undefined;
  requestedDate: string | undefined;
  messageId: string;
}

/** Runs of consecutive numbers as "206-555-0100 thru 0103", the way block requests are written. */
function asRanges(numbers: string[]): string[] {
  const sorted = [...numbers].sort();
  const out: string[] = [];
  let start = 0;
  for (let i = 1; i <= sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i];
    if (cur !== undefined && cur.slice(0, -2) === prev.slice(0, -2) && Number(cur.slice(-2)) === Number(prev.slice(-2)) + 1) continue;
    const first = sorted[start]!;
    out.push(i - 1 === start ? dashed(first) : `${dashed(first)} thru ${prev.slice(-4)}`);
    start = i;
  }
  return out;
}

function renderRequest(p: RequestParts): Buffer {
  const a = p.account;
  const from = `${p.carrier.name} LNP <${p.carrier.email}>`;
  const street = a.address.unit ? `${a.address.street} ${a.address.unit}` : a.address.street;
  const subject = `Port-out request PON ${p.pon}`;
  const fields: [string, string][] = [
    ['Account Name', a.company ?? a.name],
    ['Account Number', a.accountNumber],
    ['Service Address', street],
    ['City', a.address.city],
    ['State', a.address.state],
    ['ZIP', a.address.zip],
    ['PON', p.pon],
    ...(p.pin ? ([['PIN', p.pin]] as [string, string][]) : []),
    ...(p.requestedDate ? ([['Desired Due Date', p.requestedDate]] as [string, string][]) : []),
    ['Authorized By', a.name],
  ];
  const numbersText = p.numbers.map(dashed);
  switch (p.shape) {
    case 'labelled-text':
    case 'ranges': {
      const list = p.shape === 'ranges' ? asRanges(p.numbers) : numbersText;
      const text = ['Hello,', '', 'Please process the following port-out request.', '', ...fields.map(([k, v]) => `${k}: ${v}`), `Telephone Numbers: ${list.join(', ')}`, '', 'Thank you,', `${p.carrier.name} porting team`].join('\n');
      return buildMail({ from, to: DESK_ADDRESS, subject, text, messageId: p.messageId });
    }
    case 'lsr-coded': {
      const text = [
        'LOCAL SERVICE REQUEST',
        `CCNA: ${p.carrier.ccna}`,
        `PON: ${p.pon}`,
        'VER: 00',
        ...(p.requestedDate ? [`DDD: ${p.requestedDate}`] : []),
        `AN: ${a.accountNumber}`,
        `ATN: ${dashed(a.dids[0]!.number)}`,
        `EU NAME: ${(a.company ?? a.name).toUpperCase()}`,
        `SASN: ${street.toUpperCase()}`,
        `CITY: ${a.address.city.toUpperCase()}`,
        `STATE: ${a.address.state}`,
        `ZIP: ${a.address.zip}`,
        ...(p.pin ? [`PIN: ${p.pin}`] : []),
        `AUTHNM: ${a.name.toUpperCase()}`,
        ...numbersText.map((n) => `TN: ${n}`),
      ].join('\n');
      return buildMail({ from, to: DESK_ADDRESS, subject: `LSR PON ${p.pon} VER 00`, text, messageId: p.messageId });
    }
    case 'html-table':
    case 'html-only': {
      const rows = [...fields, ['Numbers', numbersText.join('<br>')] as [string, string]]
        .map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`)
        .join('\n');
      const html = `<html><body><p>Please port the following numbers.</p>\n<table border="1">\n${rows}\n</table>\n<p>Regards,<br>${p.carrier.name}</p></body></html>`;
      if (p.shape === 'html-only') return buildHtmlOnly({ from, subject, html, messageId: p.messageId });
      const text = ['Port Request', '', ...fields.flatMap(([k, v]) => [k, '', v, '']), 'Numbers', '', ...numbersText].join('\n');
      return buildMail({ from, to: DESK_ADDRESS, subject, text, html, messageId: p.messageId });
    }
    case 'csv-attachment': {
      const text = ['Port-out request, numbers in the attached file.', '', ...fields.map(([k, v]) => `${k}: ${v}`), ''].join('\n');
      const csv = ['Account Number,Telephone Number,Location', ...numbersText.map((n, i) => `${a.accountNumber},${n},Line ${i + 1}`)].join('\r\n');
      return buildWithAttachment({ from, subject, text, csv, messageId: p.messageId });
    }
  }
}

function headers(from: string, subject: string, messageId: string): string[] {
  return [`From: ${from}`, `To: Porting Desk <${DESK_ADDRESS}>`, `Subject: ${subject}`, `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`, `Message-ID: <${messageId}>`, 'MIME-Version: 1.0'];
}

function buildHtmlOnly(p: { from: string; subject: string; html: string; messageId: string }): Buffer {
  return Buffer.from([...headers(p.from, p.subject, p.messageId), 'Content-Type: text/html; charset=utf-8', '', p.html, ''].join('\r\n'));
}

function buildWithAttachment(p: { from: string; subject: string; text: string; csv: string; messageId: string }): Buffer {
  const b = `mix-${p.messageId.replace(/[^a-z0-9]/gi, '')}`;
  return Buffer.from(
    [
      ...headers(p.from, p.subject, p.messageId),
      `Content-Type: multipart/mixed; boundary="${b}"`,
      '',
      `--${b}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      p.text,
      `--${b}`,
      'Content-Type: text/csv; name="tns.csv"',
      'Content-Disposition: attachment; filename="tns.csv"',
      '',
      p.csv,
      `--${b}--`,
      '',
    ].join('\r\n'),
  );
}

/** What the verification e-mail said, as the customer's mail client quotes it back. */
export interface VerificationToAnswer {
  customer: string;
  replyTo: string;
  subject: string;
  messageId: string;
  text: string;
}

const REPLY_STYLES = ['gmail', 'outlook', 'top-only', 'apple'] as const;

/** The customer's answer: mostly APPROVE, some REJECT, quoted the way common clients quote. */
export function buildReply(v: VerificationToAnswer, i: number, random: () => number): { raw: Buffer; decision: 'approve' | 'reject' } {
  const decision = random() < 0.7 ? 'approve' : 'reject';
  const word = decision === 'approve' ? (random() < 0.5 ? 'APPROVE' : 'Yes, I approve this port.') : random() < 0.5 ? 'REJECT' : 'No - I do not approve this, please reject it.';
  const style = REPLY_STYLES[i % REPLY_STYLES.length]!;
  const quoted = v.text.split('\n').map((l) => `> ${l}`).join('\n');
  let body: string;
  switch (style) {
    case 'gmail':
      body = `${word}\n\nThanks\n\nOn Mon, Nov 30, 2026 at 9:00 AM Port-out desk <${DESK_ADDRESS}> wrote:\n${quoted}\n`;
      break;
    case 'outlook':
      body = `${word}\n\n________________________________\nFrom: Port-out desk <${DESK_ADDRESS}>\nSent: Monday, November 30, 2026 9:00 AM\nTo: ${v.customer}\nSubject: ${v.subject}\n\n${v.text}\n`;
      break;
    case 'apple':
      body = `${word}\n\nSent from my phone\n\n> On Nov 30, 2026, at 09:00, Port-out desk <${DESK_ADDRESS}> wrote:\n${quoted}\n`;
      break;
    default:
      body = `${word}\n`;
  }
  const domain = v.customer.split('@')[1] ?? 'example.test';
  const raw = buildMail({
    from: v.customer,
    to: v.replyTo,
    subject: `Re: ${v.subject}`,
    text: body,
    inReplyTo: v.messageId,
    references: [v.messageId],
    messageId: `reply-${i}-${Math.floor(random() * 1e9)}@${domain}`,
  });
  return { raw, decision };
}

export type { PortOrder };
