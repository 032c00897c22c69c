/**
 * Renders the desk's e-mails from Handlebars templates (SPEC §7).
 *
 * Layout of a templates directory:
 *   <name>/subject.hbs, <name>/text.hbs, <name>/html.hbs   one folder per e-mail
 *   partials/<p>.text.hbs, partials/<p>.html.hbs            a partial for one kind of part
 *   partials/<p>.hbs                                        a partial for both
 * A file in the override directory (TEMPLATES_DIR) replaces the built-in file of the same path.
 *
 * Subjects and text parts come from an environment compiled with `noEscape`, because a text
 * part that showed `&amp;` for a carrier's "&" would be wrong; HTML parts come from a separate,
 * escaping environment, so carrier-supplied text can never inject markup. Secrets are removed
 * from the data before any template sees it, so an operator's override cannot print them either.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { formatNumber } from '../domain/phone.js';
import { REASON_TEXT, type ReasonCode } from '../domain/reason-codes.js';
import type { RenderedMail, Renderer } from '../ports/renderer.js';
import { TEMPLATE_NAMES, type DeskInfo, type TemplateData, type TemplateName } from '../app/template-names.js';

export const TEMPLATE_PARTS = ['subject', 'text', 'html'] as const;
export type TemplatePart = (typeof TEMPLATE_PARTS)[number];

/** A template that is missing or failed to render. Permanent: the same data fails the same way. */
export class TemplateError extends Error {
  readonly code = 'TEMPLATE_ERROR';
  constructor(
    message: string,
    readonly template: string,
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TemplateError';
  }
}

export interface HandlebarsRendererOptions {
  /** The templates shipped with the desk. */
  builtinDir: string;
  /** TEMPLATES_DIR: files here win over the built-in ones, file by file. Missing is fine. */
  overrideDir?: string;
  /** Merged into every render's data as `desk` when the data has none. */
  desk?: DeskInfo;
}

export interface HandlebarsRenderer extends Renderer {
  /** Renders every template with sample data; returns the problems found (empty when all is well). */
  validateTemplates(): string[];
}

type Env = typeof Handlebars;
type Compiled = Handlebars.TemplateDelegate;

/** Keys whose values never reach a template, wherever they appear in the data. */
const SECRET_KEYS = new Set(['pin', 'portoutpin', 'password', 'token', 'onfile']);
/** Field names in a match report whose provided value is a secret. */
const SECRET_FIELDS = /^(pin|passcode|portoutpin)$/i;

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

export function createHandlebarsRenderer(options: HandlebarsRendererOptions): HandlebarsRenderer {
  const builtinDir = path.resolve(options.builtinDir);
  const overrideDir =
    options.overrideDir && path.resolve(options.overrideDir) !== builtinDir && isDirectory(options.overrideDir)
      ? path.resolve(options.overrideDir)
      : undefined;
  const dirs = overrideDir ? [builtinDir, overrideDir] : [builtinDir];

  const textEnv = Handlebars.create();
  const htmlEnv = Handlebars.create();
  registerHelpers(textEnv);
  registerHelpers(htmlEnv);
  const partialProblems = registerPartials(dirs, textEnv, htmlEnv);

  const compiled = new Map<string, { fn: Compiled; file: string }>();

  function locate(name: string, part: TemplatePart): string | undefined {
    // Later directories win: the override is searched first.
    for (const dir of [...dirs].reverse()) {
      const file = path.join(dir, name, `${part}.hbs`);
      if (existsSync(file)) return file;
    }
    return undefined;
  }

  function load(name: string, part: TemplatePart): { fn: Compiled; file: string } {
    const key = `${name}/${part}`;
    const hit = compiled.get(key);
    if (hit) return hit;
    if (!NAME_PATTERN.test(name)) throw new TemplateError(`invalid template name "${name}"`, name);
    const file = locate(name, part);
    if (!file) {
      throw new TemplateError(`template "${name}" has no ${part}.hbs (looked in ${dirs.join(', ')})`, name, `${name}/${part}.hbs`);
    }
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch (err) {
      throw new TemplateError(`template "${name}": cannot read ${file}: ${errorText(err)}`, name, file, { cause: err });
    }
    const env = part === 'html' ? htmlEnv : textEnv;
    // Handlebars compiles lazily on first call; syntax errors surface in run() with the file named.
    const fn = env.compile(source, { noEscape: part !== 'html' });
    const entry = { fn, file };
    compiled.set(key, entry);
    return entry;
  }

  function run(name: string, part: TemplatePart, data: Record<string, unknown>): string {
    const { fn, file } = load(name, part);
    try {
      return fn(data);
    } catch (err) {
      throw new TemplateError(`template "${name}" failed in ${file}: ${errorText(err)}`, name, file, { cause: err });
    }
  }

  function render(name: string, data: Record<string, unknown>): RenderedMail {
    const withDesk = options.desk && data.desk === undefined ? { ...data, desk: options.desk } : data;
    const safe = stripSecrets(withDesk) as Record<string, unknown>;
    return {
      subject: toOneLine(run(name, 'subject', safe)),
      text: tidyText(run(name, 'text', safe)),
      html: `${run(name, 'html', safe).trim()}\n`,
    };
  }

  function validateTemplates(): string[] {
    const problems = [...partialProblems];
    if (overrideDir) problems.push(...findStrayOverrides(overrideDir));
    for (const name of TEMPLATE_NAMES) {
      const sample = TEMPLATE_SAMPLES[name] as unknown as Record<string, unknown>;
      let mail: RenderedMail;
      try {
        mail = render(name, sample);
      } catch (err) {
        problems.push(errorText(err));
        continue;
      }
      if (!mail.subject) problems.push(`template "${name}": the subject is empty`);
      if (!mail.text.trim()) problems.push(`template "${name}": the text part is empty`);
      if (!mail.html.trim()) problems.push(`template "${name}": the HTML part is empty`);
      const orderId = sampleOrderId(sample);
      if (orderId && !mail.subject.includes(`[${orderId}]`)) {
        problems.push(`template "${name}": the subject does not carry the order id as [${orderId}]`);
      }
    }
    return problems;
  }

  return { render, validateTemplates };
}

function registerPartials(dirs: string[], textEnv: Env, htmlEnv: Env): string[] {
  const problems: string[] = [];
  const forText = new Map<string, string>();
  const forHtml = new Map<string, string>();
  for (const dir of dirs) {
    const partialsDir = path.join(dir, 'partials');
    if (!isDirectory(partialsDir)) continue;
    // Shared files first, so a kind-specific file in the same directory wins over them.
    const files = readdirSync(partialsDir)
      .filter((f) => f.endsWith('.hbs'))
      .sort((a, b) => a.split('.').length - b.split('.').length || a.localeCompare(b));
    for (const file of files) {
      const m = /^([A-Za-z0-9_-]+)(?:\.(text|html))?\.hbs$/.exec(file);
      if (!m) {
        problems.push(`partial file ${path.join(partialsDir, file)}: name must be NAME.hbs, NAME.text.hbs or NAME.html.hbs`);
        continue;
      }
      const [, name, kind] = m as unknown as [string, string, 'text' | 'html' | undefined];
      const full = path.join(partialsDir, file);
      if (kind !== 'html') forText.set(name, full);
      if (kind !== 'text') forHtml.set(name, full);
    }
  }
  for (const [name, file] of forText) textEnv.registerPartial(name, readFileSync(file, 'utf8'));
  for (const [name, file] of forHtml) htmlEnv.registerPartial(name, readFileSync(file, 'utf8'));
  return problems;
}

/** Files in TEMPLATES_DIR that no template reads: most likely a typo the operator wants to hear of. */
function findStrayOverrides(dir: string): string[] {
  const problems: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (!isDirectory(full) || entry === 'partials') continue;
    if (!(TEMPLATE_NAMES as readonly string[]).includes(entry)) {
      problems.push(`${full}: not a template the desk sends (known: ${TEMPLATE_NAMES.join(', ')})`);
      continue;
    }
    for (const file of readdirSync(full)) {
      if (!TEMPLATE_PARTS.some((p) => file === `${p}.hbs`)) {
        problems.push(`${path.join(full, file)}: ignored (a template folder holds subject.hbs, text.hbs and html.hbs)`);
      }
    }
  }
  return problems;
}

function registerHelpers(env: Env): void {
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
export function formatList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * A deep copy without secret values: keys like `pin` are dropped, and a match-report row about
 * the PIN loses the value the carrier wrote. What breaks if this goes: SPEC §10, PINs in e-mails.
 */
export function stripSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripSecrets);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(source)) {
    if (SECRET_KEYS.has(key.toLowerCase())) continue;
    out[key] = stripSecrets(v);
  }
  if (typeof source.field === 'string' && SECRET_FIELDS.test(source.field) && out.provided !== undefined) {
    out.provided = '(not shown)';
  }
  return out;
}

function toOneLine(subject: string): string {
  return subject.replace(/\s+/g, ' ').trim();
}

/** Template whitespace is for the template's reader; the recipient gets tidy paragraphs. */
function tidyText(text: string): string {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/[ \t]+$/, ''));
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sampleOrderId(sample: Record<string, unknown>): string | undefined {
  const order = sample.order as { id?: unknown } | undefined;
  if (order && typeof order.id === 'string') return order.id;
  return typeof sample.orderId === 'string' ? sample.orderId : undefined;
}

/** Desk facts used for samples, previews and `portdesk check`. */
export const SAMPLE_DESK: DeskInfo = {
  name: 'Port-out desk',
  from: 'porting@voip.example.test',
  supportEmail: 'support@voip.example.test',
  adminFee: '$15',
  verificationWindow: '72 hours',
};

const sampleCarrier = { name: 'Cascade Fiber & Voice', email: 'lnp@cascade.example.test', pon: 'CF-20931' };

/** One complete, invented data set per template: what `validateTemplates` renders. */
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
    carrier: { name: sampleCarrier.name },
    requestedDate: 'Monday, December 7, 2026',
    deadline: 'Friday, December 4, 2026 at 3:00 PM UTC',
    approveWord: 'APPROVE',
    rejectWord: 'REJECT',
  },
  'customer-reminder': {
    desk: SAMPLE_DESK,
    account: { name: 'Dana Whitfield' },
    order: { id: 'PO-7K3F9Q' },
    numbers: ['+12065550100'],
    carrier: { name: sampleCarrier.name },
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
    carrier: { name: sampleCarrier.name },
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
  'csr-received': { desk: SAMPLE_DESK } as TemplateData<'csr-received'>,
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
