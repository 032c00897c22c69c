/**
 * The desk's configuration (SPEC §9): one zod schema, read once at start from the environment and
 * a `.env` file in the working directory (the environment wins). A bad value fails at start with
 * every problem listed by variable name.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { validate as validateCron } from 'node-cron';
import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { durationMs, parseDuration, type Duration } from './domain/duration.js';
import { maskUrl, maskUrlPassword } from './domain/mask-url.js';
import { isMatchField, MATCH_PRESETS, type MatchField, type MatchPreset } from './domain/match-fields.js';
import { MAIL_AUTH_MODES, type MailAuthMode } from './domain/mail-auth.js';
import { parseDnsServers, type DnsServer } from './adapters/dns-resolver.js';
import { DeskError } from './errors.js';

/** The templates shipped with the package (TEMPLATES_DIR overrides them file by file). */
export const BUILTIN_TEMPLATES_DIR = fileURLToPath(new URL('../templates/', import.meta.url));

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const bool = (fallback: boolean) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return fallback;
        const t = v.trim().toLowerCase();
        if (['true', '1', 'yes', 'on'].includes(t)) return true;
        if (['false', '0', 'no', 'off'].includes(t)) return false;
        ctx.addIssue({ code: 'custom', message: `must be true or false, got "${v}"` });
        return z.NEVER;
      }),
  );

const port = (fallback: number) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).default(fallback));

const duration = (fallback: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default(fallback)
      .transform((v, ctx): Duration => {
        const d = parseDuration(v);
        if (!d || d.amount === 0) {
          ctx.addIssue({ code: 'custom', message: `must be a duration like 90s, 15m, 72h or 5d, got "${v}"` });
          return z.NEVER;
        }
        return d;
      }),
  );

const cron = (fallback: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default(fallback)
      .refine((v) => validateCron(v), { message: 'must be a cron expression (5 fields, or 6 with seconds)' }),
  );

const email = (fallback: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default(fallback)
      .refine((v) => /^[^\s@<>]+@[^\s@<>]+$/.test(v), { message: 'must be an e-mail address like porting@example.com' }),
  );

const optionalText = z.preprocess(emptyToUndefined, z.string().optional());

const count = (fallback: number, max: number) => z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(max).default(fallback));

const EnvSchema = z.object({
  IMAP_HOST: optionalText,
  IMAP_PORT: port(993),
  IMAP_SECURE: bool(true),
  IMAP_USER: optionalText,
  IMAP_PASSWORD: optionalText,
  IMAP_MAILBOX: z.preprocess(emptyToUndefined, z.string().default('INBOX')),
  IMAP_CHECK_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(600_000).default(250)),
  SMTP_HOST: optionalText,
  SMTP_PORT: port(587),
  SMTP_SECURE: bool(false),
  SMTP_USER: optionalText,
  SMTP_PASSWORD: optionalText,
  INBOUND_SMTP_PORT: port(2525),
  HTTP_HOST: z.preprocess(emptyToUndefined, z.string().default('127.0.0.1')),
  HTTP_PORT: port(8025),
  PUBLIC_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .refine((v) => v === undefined || /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/i.test(v), { message: 'must be an http(s) address like https://porting.example.com' }),
  ),
  LINK_SECRET: z.preprocess(
    emptyToUndefined,
    z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)').optional(),
  ),
  METRICS_FROM_ANYWHERE: bool(false),
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .refine((v) => v === undefined || /^postgres(ql)?:\/\//i.test(v), { message: 'must be a PostgreSQL URL like postgres://portdesk@db.example.com/portdesk' }),
  ),
  FAILOVER_AFTER: duration('15s'),
  WEBHOOK_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return [];
        const urls = v.split(',').map((u) => u.trim()).filter(Boolean);
        for (const u of urls) {
          if (!/^https?:\/\/[^\s/?#]+(\/[^\s]*)?$/i.test(u)) ctx.addIssue({ code: 'custom', message: `must be http(s) addresses separated by commas, got "${maskUrlPassword(u)}"` });
        }
        // Deliveries are recorded under the masked address (no password or query): two that differ
        // only there would be one endpoint, and a password can change without losing what waits.
        if (new Set(urls.map(maskUrl)).size !== urls.length) ctx.addIssue({ code: 'custom', message: 'names the same address twice (addresses that differ only in their password or query count as one)' });
        return urls;
      }),
  ),
  WEBHOOK_SECRET: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .refine((v) => v === undefined || /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/.test(v), {
        message: 'must be whsec_ followed by at least 24 random bytes in base64 (e.g. `echo whsec_$(openssl rand -base64 32)`)',
      }),
  ),
  ACCOUNTS_URL: optionalText,
  ACCOUNTS_TOKEN: optionalText,
  ACCOUNTS_SYNC: duration('5m').refine((d) => durationMs(d) <= 86_400_000, { message: 'must be at most 24h' }),
  MAIL_FROM: email('porting@localhost'),
  SUPPORT_EMAIL: email('support@localhost'),
  DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('./data')),
  TEMPLATES_DIR: z.preprocess(emptyToUndefined, z.string().default('./templates')),
  TIMEZONE: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default('UTC')
      .refine((v) => IANAZone.isValidZone(v), { message: 'must be an IANA time zone like America/Los_Angeles' }),
  ),
  HOLIDAYS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return [];
        const dates = v
          .split(',')
          .map((d) => d.trim())
          .filter(Boolean);
        for (const d of dates) {
          if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || !DateTime.fromISO(d, { zone: 'UTC' }).isValid) {
            ctx.addIssue({ code: 'custom', message: `must be comma-separated dates like 2026-12-24, got "${d}"` });
          }
        }
        return dates;
      }),
  ),
  VERIFICATION_WINDOW: duration('72h'),
  REMINDER_AFTER: duration('24h'),
  COMPLETION_GRACE: duration('5d'),
  STOP_TIMEOUT: duration('20s'),
  FOC_MIN_BUSINESS_DAYS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(60).default(1)),
  JOBS_SCHEDULE: cron('* * * * *'),
  DIGEST_SCHEDULE: cron('0 8 * * *'),
  ADMIN_FEE: z.preprocess(emptyToUndefined, z.string().default('$15')),
  MATCH_FIELDS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default('account-info')
      .transform((v, ctx): { preset?: MatchPreset; fields: MatchField[] } => {
        const t = v.trim();
        if (t in MATCH_PRESETS) return { preset: t as MatchPreset, fields: [...MATCH_PRESETS[t as MatchPreset]] };
        const names = t
          .split(',')
          .map((n) => n.trim())
          .filter(Boolean);
        const bad = names.filter((n) => !isMatchField(n));
        if (names.length === 0 || bad.length > 0) {
          ctx.addIssue({
            code: 'custom',
            message:
              `must be account-info, simple-port or a comma-separated list of fields` +
              (bad.length ? ` (unknown: ${bad.join(', ')})` : ''),
          });
          return z.NEVER;
        }
        return { fields: names as MatchField[] };
      }),
  ),
  REPLY_SUBADDRESS: bool(true),
  MAX_ACCOUNTS_PER_REQUEST: count(10, 100_000),
  MAX_REQUESTS_PER_CARRIER_PER_HOUR: count(30, 1_000_000),
  MAX_EMAILS_PER_CUSTOMER_PER_DAY: count(8, 1_000_000),
  MAX_WRONG_PINS: count(3, 100),
  MAIL_AUTH: z.preprocess(
    (v) => (typeof v === 'string' ? emptyToUndefined(v.trim().toLowerCase()) : v),
    z.enum(MAIL_AUTH_MODES, { message: 'must be enforce, report or off' }).default('enforce'),
  ),
  MAIL_AUTH_DNS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .transform((v, ctx): DnsServer[] | undefined => {
        if (v === undefined) return undefined;
        try {
          return parseDnsServers(v);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `must be comma-separated resolvers host[:port]: ${(err as Error).message}` });
          return z.NEVER;
        }
      }),
  ),
  AUTHSERV_ID: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .refine((v) => v === undefined || /^[A-Za-z0-9.-]+$/.test(v), { message: 'must be a host name like mx.example.com' }),
  ),
  TRUSTED_AUTHSERV_IDS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        const ids = (v ?? '')
          .split(',')
          .map((id) => id.trim())
          .filter(Boolean);
        for (const id of ids) if (!/^[A-Za-z0-9.-]+$/.test(id)) ctx.addIssue({ code: 'custom', message: `must be comma-separated host names, got "${id}"` });
        return ids;
      }),
  ),
  LOG_LEVEL: z.preprocess(
    (v) => (typeof v === 'string' ? emptyToUndefined(v.toLowerCase()) : v),
    z.enum(LOG_LEVELS).default('info'),
  ),
});

export interface ImapConfig {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password: string;
  mailbox: string;
  /** While idle, ask for new mail this often besides IDLE (ms); 0 = IDLE alone. */
  checkIntervalMs?: number;
}

export interface SmtpConfig {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: string;
}

/** Limits per request and per sender (SPEC §10); each breach parks the message in Review. */
export interface DeskLimits {
  /** A request naming more accounts is a project port: it waits in Review before any e-mail. */
  accountsPerRequest: number;
  /** Port requests one sender may make in an hour before the next waits in Review. */
  requestsPerCarrierPerHour: number;
  /** E-mails one customer address may get from the desk in a day before the next request about them waits. */
  emailsPerCustomerPerDay: number;
  /** Wrong PINs from one carrier within a day that lock the account against it. */
  wrongPinsBeforeLock: number;
}

export const DEFAULT_LIMITS: DeskLimits = { accountsPerRequest: 10, requestsPerCarrierPerHour: 30, emailsPerCustomerPerDay: 8, wrongPinsBeforeLock: 3 };

export interface MailAuthConfig {
  mode: MailAuthMode;
  /** Resolvers for every look-up; undefined: the system's (/etc/resolv.conf). */
  dns?: DnsServer[];
  /** The desk's name in Authentication-Results (default: MAIL_FROM's domain). */
  authservId: string;
  /** Authentication-Results headers from these ids (the provider's own MX) are believed. */
  trustedAuthservIds: string[];
}

export interface HttpConfig {
  host: string;
  port: number;
  /** The console's address as written into e-mails, without a trailing slash. */
  publicUrl: string;
  /** LINK_SECRET when set; otherwise the one made on first start and kept in DATA_DIR. */
  linkSecret?: string;
  /** /metrics answers every client, not only the same host. */
  metricsFromAnywhere: boolean;
}

export interface Config {
  imap?: ImapConfig;
  smtp?: SmtpConfig;
  inboundSmtpPort: number;
  mailFrom: string;
  supportEmail: string;
  dataDir: string;
  templatesDir: string;
  timezone: string;
  /** Extra non-business days, on top of US federal holidays. */
  holidays: string[];
  verificationWindow: Duration;
  reminderAfter: Duration;
  completionGrace: Duration;
  focMinBusinessDays: number;
  jobsSchedule: string;
  digestSchedule: string;
  adminFee: string;
  matchPreset?: MatchPreset;
  matchFields: MatchField[];
  replySubaddress: boolean;
  limits: DeskLimits;
  mailAuth: MailAuthConfig;
  /** The console, the one-click answers, /healthz and /metrics (SPEC §12); undefined: HTTP_PORT=0. */
  http?: HttpConfig;
  /** PostgreSQL (SPEC §13): the records live there, shared by every daemon on it; undefined: the file store. */
  database?: { url: string; failoverAfter: Duration };
  /** Events out (SPEC §14): where they go and the key they are signed with; undefined: no events written. */
  webhooks?: { urls: string[]; secret: string };
  /** Accounts from billing (SPEC §14): an http(s) URL or a file, loaded at start and every `every`. */
  accountsSource?: { location: string; token?: string; every: Duration };
  /** How long a stop (SIGTERM) may take before the process exits without finishing it. */
  stopTimeout: Duration;
  logLevel: (typeof LOG_LEVELS)[number];
}

/** A configuration error (CONFIG_INVALID): every problem, each naming its variable. */
export class ConfigError extends DeskError<'CONFIG_INVALID'> {
  constructor(readonly problems: string[]) {
    super('CONFIG_INVALID', `invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads KEY=value lines from `.env` in `cwd`, if there is one. */
export function readDotEnv(cwd: string): Record<string, string> {
  const file = path.join(cwd, '.env');
  if (!existsSync(file)) return {};
  return parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
}

/**
 * Builds the configuration from `env` (default: the process environment) over the `.env` file in
 * `cwd`. Relative DATA_DIR and TEMPLATES_DIR are resolved against `cwd`. Throws ConfigError.
 *
 * TEMPLATES_DIR defaults to ./templates, which exists only when the desk runs from the package
 * directory; run from anywhere else with nothing set, the built-in templates are what the desk
 * uses, so that is what the configuration names (and what `portdesk check` looks at).
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  { cwd = process.cwd(), dotenv = true }: { cwd?: string; dotenv?: boolean } = {},
): Config {
  const merged = { ...(dotenv ? readDotEnv(cwd) : {}), ...env };
  const parsed = EnvSchema.safeParse(merged);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${issue.path.join('.') || '(environment)'}: ${issue.message}`);
    }
  }
  const set = (k: string) => (merged[k] ?? '').trim() !== '';
  if (set('IMAP_HOST')) {
    if (!set('IMAP_USER')) problems.push('IMAP_USER: required when IMAP_HOST is set');
    if (!set('IMAP_PASSWORD')) problems.push('IMAP_PASSWORD: required when IMAP_HOST is set');
  }
  if (set('SMTP_USER') && !set('SMTP_PASSWORD')) problems.push('SMTP_PASSWORD: required when SMTP_USER is set');
  if (set('WEBHOOK_URL') && !set('WEBHOOK_SECRET')) problems.push('WEBHOOK_SECRET: required when WEBHOOK_URL is set (events are always signed)');
  if (set('ACCOUNTS_TOKEN') && !set('ACCOUNTS_URL')) problems.push('ACCOUNTS_TOKEN: set without ACCOUNTS_URL');
  // The accounts decide where verifications go: an export anyone on the path could rewrite would
  // let them send a customer's verification to themselves.
  const accountsUrl = (merged.ACCOUNTS_URL ?? '').trim();
  if (/^http:\/\//i.test(accountsUrl) && !isLoopbackUrl(accountsUrl)) {
    problems.push('ACCOUNTS_URL: plain http:// to another host lets anyone on the way rewrite the accounts (and so where verifications go); use https://');
  }
  if (problems.length || !parsed.success) throw new ConfigError(problems);
  const e = parsed.data;

  return {
    imap: e.IMAP_HOST
      ? {
          host: e.IMAP_HOST,
          port: e.IMAP_PORT,
          secure: e.IMAP_SECURE,
          user: e.IMAP_USER!,
          password: e.IMAP_PASSWORD!,
          mailbox: e.IMAP_MAILBOX,
          checkIntervalMs: e.IMAP_CHECK_MS,
        }
      : undefined,
    smtp: e.SMTP_HOST
      ? { host: e.SMTP_HOST, port: e.SMTP_PORT, secure: e.SMTP_SECURE, user: e.SMTP_USER, password: e.SMTP_PASSWORD }
      : undefined,
    inboundSmtpPort: e.INBOUND_SMTP_PORT,
    mailFrom: e.MAIL_FROM,
    supportEmail: e.SUPPORT_EMAIL,
    dataDir: path.resolve(cwd, e.DATA_DIR),
    templatesDir: set('TEMPLATES_DIR') || existsSync(path.resolve(cwd, e.TEMPLATES_DIR)) ? path.resolve(cwd, e.TEMPLATES_DIR) : BUILTIN_TEMPLATES_DIR,
    timezone: e.TIMEZONE,
    holidays: e.HOLIDAYS,
    verificationWindow: e.VERIFICATION_WINDOW,
    reminderAfter: e.REMINDER_AFTER,
    completionGrace: e.COMPLETION_GRACE,
    focMinBusinessDays: e.FOC_MIN_BUSINESS_DAYS,
    jobsSchedule: e.JOBS_SCHEDULE,
    digestSchedule: e.DIGEST_SCHEDULE,
    adminFee: e.ADMIN_FEE,
    matchPreset: e.MATCH_FIELDS.preset,
    matchFields: e.MATCH_FIELDS.fields,
    replySubaddress: e.REPLY_SUBADDRESS,
    limits: {
      accountsPerRequest: e.MAX_ACCOUNTS_PER_REQUEST,
      requestsPerCarrierPerHour: e.MAX_REQUESTS_PER_CARRIER_PER_HOUR,
      emailsPerCustomerPerDay: e.MAX_EMAILS_PER_CUSTOMER_PER_DAY,
      wrongPinsBeforeLock: e.MAX_WRONG_PINS,
    },
    mailAuth: {
      mode: e.MAIL_AUTH,
      ...(e.MAIL_AUTH_DNS ? { dns: e.MAIL_AUTH_DNS } : {}),
      authservId: e.AUTHSERV_ID ?? (e.MAIL_FROM.slice(e.MAIL_FROM.lastIndexOf('@') + 1) || 'localhost'),
      trustedAuthservIds: e.TRUSTED_AUTHSERV_IDS,
    },
    http:
      e.HTTP_PORT === 0
        ? undefined
        : {
            host: e.HTTP_HOST,
            port: e.HTTP_PORT,
            publicUrl: (e.PUBLIC_URL ?? `http://${e.HTTP_HOST.includes(':') ? `[${e.HTTP_HOST}]` : e.HTTP_HOST}:${e.HTTP_PORT}`).replace(/\/+$/, ''),
            ...(e.LINK_SECRET ? { linkSecret: e.LINK_SECRET } : {}),
            metricsFromAnywhere: e.METRICS_FROM_ANYWHERE,
          },
    ...(e.DATABASE_URL ? { database: { url: e.DATABASE_URL, failoverAfter: e.FAILOVER_AFTER } } : {}),
    ...(e.WEBHOOK_URL.length ? { webhooks: { urls: e.WEBHOOK_URL, secret: e.WEBHOOK_SECRET! } } : {}),
    ...(e.ACCOUNTS_URL
      ? { accountsSource: { location: e.ACCOUNTS_URL.trim(), ...(e.ACCOUNTS_TOKEN ? { token: e.ACCOUNTS_TOKEN } : {}), every: e.ACCOUNTS_SYNC } }
      : {}),
    stopTimeout: e.STOP_TIMEOUT,
    logLevel: e.LOG_LEVEL,
  };
}

/** Whether a URL's host (as a URL parser reads it, not its text) is this machine. */
function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** `localhost`, `[::1]` or 127.x.y.z: a parsed URL's `hostname`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The configuration with secrets masked, for `check` and start-up logs. */
export function describeConfig(c: Config): Record<string, unknown> {
  return {
    ...c,
    imap: c.imap ? { ...c.imap, password: '***' } : undefined,
    smtp: c.smtp ? { ...c.smtp, password: c.smtp.password ? '***' : undefined } : undefined,
    http: c.http ? { ...c.http, linkSecret: c.http.linkSecret ? '***' : undefined } : undefined,
    database: c.database ? { ...c.database, url: maskUrlPassword(c.database.url) } : undefined,
    webhooks: c.webhooks ? { urls: c.webhooks.urls.map(maskUrl), secret: '***' } : undefined,
    accountsSource: c.accountsSource
      ? { ...c.accountsSource, location: maskUrl(c.accountsSource.location), token: c.accountsSource.token ? '***' : undefined }
      : undefined,
  };
}
