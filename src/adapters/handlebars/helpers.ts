/**
 * The helpers templates may call, registered on both environments (text and HTML) so an override
 * can use any of them in either part. They take plain values and return text; escaping is the
 * environment's job, not theirs.
 */
import type Handlebars from 'handlebars';
import { formatNumber } from '../../domain/phone.js';
import { REASON_TEXT, type ReasonCode } from '../../domain/reason-codes.js';

export function registerHelpers(env: typeof Handlebars): void {
  // Handlebars passes its options object last; these helpers take plain values only.
  const args = (all: unknown[]): unknown[] => all.slice(0, -1);

  env.registerHelper('phone', (value: unknown) => formatPhone(value));
  env.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  /** `{{#if (hasReason reasons "PORT_PROTECTED")}}`: whether a reason list carries a code. */
  env.registerHelper('hasReason', (list: unknown, code: unknown) => Array.isArray(list) && list.some((r) => (r as { code?: unknown })?.code === code));
  env.registerHelper('gt', (a: unknown, b: unknown) => Number(a) > Number(b));
  env.registerHelper('concat', (...all: unknown[]) => args(all).map((v) => (v == null ? '' : String(v))).join(''));
  env.registerHelper('plural', (n: unknown, one: unknown, many: unknown) => (sizeOf(n) === 1 ? one : many));
  env.registerHelper('countOf', (...all: unknown[]) => {
    const [n, noun, nouns] = args(all);
    const size = sizeOf(n);
    return `${size} ${size === 1 ? String(noun) : typeof nouns === 'string' ? nouns : `${String(noun)}s`}`;
  });
  env.registerHelper('pluck', (list: unknown, key: unknown) =>
    Array.isArray(list) ? list.map((item) => (item && typeof item === 'object' ? (item as Record<string, unknown>)[String(key)] : undefined)) : [],
  );
  env.registerHelper('formatList', (list: unknown, options: Handlebars.HelperOptions) => {
    const items = (Array.isArray(list) ? list : [])
      .filter((v) => v != null && v !== '')
      .map((v) => (options.hash?.phone ? formatPhone(v) : String(v)));
    return formatList(items);
  });
  env.registerHelper('reasonText', (code: unknown, text: unknown) => {
    if (typeof text === 'string' && text.trim()) return text;
    return REASON_TEXT[String(code) as ReasonCode] ?? 'See the details below.';
  });
  env.registerHelper('fieldLabel', (field: unknown) => labelField(String(field ?? '')));
  env.registerHelper('resultText', (result: unknown) => RESULT_TEXT[String(result)] ?? String(result ?? ''));
  env.registerHelper('words', (value: unknown) => String(value ?? '').replace(/[_-]+/g, ' '));
  env.registerHelper('padEnd', (value: unknown, width: unknown) => String(value ?? '').padEnd(Number(width) || 0));
}

const RESULT_TEXT: Record<string, string> = {
  match: 'matches',
  mismatch: 'does not match the account',
  missing: 'missing',
};

const FIELD_LABELS: Record<string, string> = {
  nameOrCompany: 'Name or company',
  name: 'Name on account',
  company: 'Company name',
  street: 'Service address',
  address: 'Service address',
  city: 'City',
  state: 'State',
  zip: 'ZIP code',
  accountNumber: 'Account number',
  pin: 'Port-out PIN',
  dids: 'Telephone numbers',
  numbers: 'Telephone numbers',
  btn: 'Billing telephone number (BTN)',
  authorizedName: 'Authorized name',
  requestedDate: 'Desired due date',
  pon: 'PON',
};

function labelField(field: string): string {
  const known = FIELD_LABELS[field];
  if (known) return known;
  const spaced = field.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

function formatPhone(value: unknown): string {
  const text = value == null ? '' : String(value);
  return /^\+[1-9]\d{6,14}$/.test(text) ? formatNumber(text) : text;
}

function sizeOf(n: unknown): number {
  return Array.isArray(n) ? n.length : Number(n);
}

/** "a", "a and b", "a, b and c". */
function formatList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
