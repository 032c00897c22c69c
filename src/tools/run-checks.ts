/**
 * `portdesk check`: the configuration is already valid when this runs (loadConfig threw
 * otherwise); here each connection and directory is tried, and every failure says how to fix it.
 */
import { randomBytes } from 'node:crypto';
import { access, mkdir, writeFile, rm, constants } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import type { Config } from '../config.js';
import { maskUrl, maskUrlPassword } from '../domain/mask-url.js';
import { createAccountsSource } from '../adapters/accounts-source.js';
import { createWebhookSender } from '../adapters/webhook-sender.js';
import { formatImportErrors } from '../app/import-accounts.js';
import { parseAccountsFile } from '../app/parse-accounts-file.js';
import { createPgPool } from '../adapters/pg-store.js';
import { MIGRATIONS } from '../adapters/pg-store/schema.js';
import { createDnsResolver, systemDnsServers } from '../adapters/dns-resolver.js';
import type { Logger } from '../logger.js';
import { buildRenderer, loadAnswerLinks } from '../main.js';
import { sendControlRequest } from '../adapters/control-server.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

async function checkDataDir(cfg: Config): Promise<CheckResult> {
  try {
    await mkdir(cfg.dataDir, { recursive: true });
    const probe = path.join(cfg.dataDir, `.check-${process.pid}`);
    await writeFile(probe, 'ok');
    await rm(probe);
    return { name: 'data directory', ok: true, detail: `${cfg.dataDir} is writable` };
  } catch (err) {
    return {
      name: 'data directory',
      ok: false,
      detail: `${cfg.dataDir}: ${(err as Error).message}`,
      fix: 'set DATA_DIR to a directory the desk may write, or fix its owner and permissions',
    };
  }
}

async function checkTemplates(cfg: Config): Promise<CheckResult> {
  try {
    await access(cfg.templatesDir, constants.R_OK);
  } catch {
    return {
      name: 'templates',
      ok: false,
      detail: `TEMPLATES_DIR ${cfg.templatesDir} cannot be read`,
      fix: 'unset TEMPLATES_DIR to use the built-in templates, or point it at a readable directory',
    };
  }
  try {
    const problems = buildRenderer(cfg).validateTemplates();
    if (problems.length) {
      return { name: 'templates', ok: false, detail: problems.join('; '), fix: `correct the template files under ${cfg.templatesDir}` };
    }
    return { name: 'templates', ok: true, detail: 'every template renders' };
  } catch (err) {
    return { name: 'templates', ok: false, detail: (err as Error).message, fix: `correct the template files under ${cfg.templatesDir}` };
  }
}

async function checkImap(cfg: Config, log: Logger): Promise<CheckResult> {
  if (!cfg.imap) return { name: 'IMAP', ok: true, detail: `not configured: mail is taken by the embedded SMTP listener on 127.0.0.1:${cfg.inboundSmtpPort}` };
  const i = cfg.imap;
  const client = new ImapFlow({
    host: i.host,
    port: i.port,
    secure: i.secure,
    auth: { user: i.user, pass: i.password },
    logger: false,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
  });
  client.on('error', (err) => log.debug({ err }, 'imap check error'));
  try {
    await client.connect();
    const boxes = await client.list();
    const found = boxes.some((b) => b.path.toLowerCase() === i.mailbox.toLowerCase() || (i.mailbox.toUpperCase() === 'INBOX' && b.specialUse === '\\Inbox'));
    const portDesk = boxes.filter((b) => /portdesk/i.test(b.path)).map((b) => b.path);
    await client.logout();
    if (!found) return { name: 'IMAP', ok: false, detail: `logged in as ${i.user}, but mailbox ${i.mailbox} does not exist`, fix: 'set IMAP_MAILBOX to an existing mailbox' };
    return {
      name: 'IMAP',
      ok: true,
      detail: `logged in to ${i.host}:${i.port} as ${i.user}; ${i.mailbox} found; ${portDesk.length ? `folders ${portDesk.join(', ')}` : 'PortDesk folders will be created at start'}`,
    };
  } catch (err) {
    const e = err as Error & { authenticationFailed?: boolean; code?: string };
    client.close();
    const fix = e.authenticationFailed
      ? 'check IMAP_USER and IMAP_PASSWORD'
      : 'check IMAP_HOST, IMAP_PORT and IMAP_SECURE (993 with IMAP_SECURE=true, 143 with false), and that the server is reachable';
    return { name: 'IMAP', ok: false, detail: `${i.host}:${i.port}: ${e.code ? `${e.code} ` : ''}${e.message}`, fix };
  }
}

async function checkSmtp(cfg: Config): Promise<CheckResult> {
  if (!cfg.smtp) return { name: 'SMTP', ok: true, detail: `not configured: e-mails are written as .eml files to ${path.join(cfg.dataDir, 'outbox-files')}` };
  const s = cfg.smtp;
  const transport = nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.secure,
    ...(s.user ? { auth: { user: s.user, pass: s.password } } : {}),
    connectionTimeout: 15_000,
  });
  try {
    await transport.verify();
    return { name: 'SMTP', ok: true, detail: `${s.host}:${s.port} accepts connections${s.user ? ` and the login of ${s.user}` : ''}` };
  } catch (err) {
    const e = err as Error & { code?: string; responseCode?: number };
    const fix = e.code === 'EAUTH' ? 'check SMTP_USER and SMTP_PASSWORD' : 'check SMTP_HOST, SMTP_PORT and SMTP_SECURE (465 with SMTP_SECURE=true, 587 or 25 with false)';
    return { name: 'SMTP', ok: false, detail: `${s.host}:${s.port}: ${e.code ? `${e.code} ` : ''}${e.message}`, fix };
  } finally {
    transport.close();
  }
}

/** SPEC §11: the mode, the resolvers and whether they answer, and whose Authentication-Results count. */
async function checkMailAuth(cfg: Config): Promise<CheckResult> {
  const c = cfg.mailAuth;
  const name = 'mail authentication';
  if (c.mode === 'off') {
    return { name, ok: true, detail: 'MAIL_AUTH=off: senders are not checked (DKIM, SPF, DMARC); replies count on the verification secret alone' };
  }
  const servers = c.dns ?? systemDnsServers();
  const where = `${servers.map((s) => `${s.host}:${s.port}`).join(', ')}${c.dns ? ' (MAIL_AUTH_DNS)' : ' (system)'}`;
  const trusted = c.trustedAuthservIds.length
    ? `Authentication-Results trusted from ${c.trustedAuthservIds.join(', ')}`
    : 'no trusted Authentication-Results (the desk checks DKIM and DMARC itself; SPF only for mail through the embedded listener)';
  const probe = `_dmarc.${cfg.mailFrom.slice(cfg.mailFrom.lastIndexOf('@') + 1)}`;
  const resolver = createDnsResolver({ servers, timeoutMs: 3000, tries: 1 });
  try {
    let answer: string;
    try {
      const records = await resolver.resolve(probe, 'TXT');
      answer = `${records.length} record(s)`;
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'ERROR';
      if (code !== 'ENOTFOUND' && code !== 'ENODATA') {
        return {
          name,
          ok: false,
          detail: `MAIL_AUTH=${c.mode}; resolvers ${where} did not answer (${probe} TXT: ${code})`,
          fix: 'set MAIL_AUTH_DNS to resolvers this machine can reach (host[:port], comma-separated); until they answer, mail that needs checking waits (451 or left in the mailbox)',
        };
      }
      answer = code === 'ENOTFOUND' ? 'no such name' : 'no record';
    }
    return { name, ok: true, detail: `MAIL_AUTH=${c.mode}; resolvers ${where} answer (${probe} TXT: ${answer}); AUTHSERV_ID ${c.authservId}; ${trusted}` };
  } finally {
    resolver.close();
  }
}

/**
 * The console (SPEC §12): the port is free (or this desk's daemon holds it), the link key can be
 * read or made, and PUBLIC_URL is an address customers can reach from their mail.
 */
async function checkConsole(cfg: Config): Promise<CheckResult> {
  const name = 'console';
  const http = cfg.http;
  if (!http) return { name, ok: true, detail: 'off (HTTP_PORT=0): e-mails carry no one-click link' };
  try {
    // With a database the key is kept there (checked with the database).
    if (!cfg.database) await loadAnswerLinks(cfg);
  } catch (err) {
    return { name, ok: false, detail: `the answer-link key: ${(err as Error).message}`, fix: 'set LINK_SECRET (32 characters or more), or let the desk make one in DATA_DIR' };
  }
  const ownDaemon = (await sendControlRequest(cfg.dataDir, { cmd: 'ping' }, 2_000).catch(() => undefined))?.ok === true;
  if (!ownDaemon) {
    const free = await new Promise<Error | undefined>((resolve) => {
      const server = net.createServer();
      server.once('error', (err) => resolve(err));
      server.listen(http.port, http.host, () => server.close(() => resolve(undefined)));
    });
    if (free) {
      return {
        name,
        ok: false,
        detail: `${http.host}:${http.port}: ${(free as NodeJS.ErrnoException).code ?? free.message}`,
        fix: 'set HTTP_PORT to a free port (or HTTP_PORT=0 to turn the console off), or HTTP_HOST to an address of this machine',
      };
    }
  }
  const host = new URL(http.publicUrl).hostname;
  if (/^(127\.|localhost$|\[?::1\]?$|0\.0\.0\.0$|\[?::\]?$)/.test(host)) {
    return {
      name,
      ok: true,
      detail: `serving ${http.host}:${http.port}${ownDaemon ? ' (the running daemon)' : ''}; but PUBLIC_URL is ${http.publicUrl}, which customers cannot open from their mail`,
      fix: 'set PUBLIC_URL to the address customers reach the console at (e.g. https://porting.example.com behind your proxy)',
    };
  }
  return { name, ok: true, detail: `serving ${http.host}:${http.port}${ownDaemon ? ' (the running daemon)' : ''}; links in e-mails go to ${http.publicUrl}` };
}

/** The database (SPEC §13): reachable, its schema this desk's, and who is active on it. */
async function checkDatabase(cfg: Config): Promise<CheckResult> {
  const name = 'database';
  if (!cfg.database) return { name, ok: true, detail: `none (DATABASE_URL unset): records in ${cfg.dataDir}` };
  const pool = createPgPool(cfg.database.url);
  try {
    const schema = await pool.query<{ version: number }>('SELECT version FROM portdesk_schema').catch(() => undefined);
    const version = schema?.rows[0]?.version ?? 0;
    if (version < MIGRATIONS.length) {
      return { name, ok: true, detail: `reachable; schema version ${version}, ${MIGRATIONS.length} expected`, fix: 'the first daemon to start brings it up to date (or run `portdesk migrate`)' };
    }
    if (version > MIGRATIONS.length) return { name, ok: false, detail: `schema version ${version} is newer than this portdesk (${MIGRATIONS.length})`, fix: 'run the newer portdesk that wrote it' };
    const lease = await pool.query<{ holder: string | null; expires_at: Date | null }>("SELECT holder, expires_at FROM lease WHERE name = 'desk'");
    const row = lease.rows[0];
    const active = row?.holder && row.expires_at && row.expires_at.getTime() > Date.now() ? `active: ${row.holder} (lease until ${row.expires_at.toISOString()})` : 'no daemon active';
    return { name, ok: true, detail: `reachable, schema version ${version}; ${active}` };
  } catch (err) {
    return { name, ok: false, detail: `${maskUrlPassword(cfg.database.url)}: ${(err as Error).message}`, fix: 'check DATABASE_URL (host, port, user, password, database) and that PostgreSQL accepts connections from this machine' };
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** Events out (SPEC §14): each endpoint is sent a signed `ping` and must answer 2xx. */
async function checkWebhooks(cfg: Config): Promise<CheckResult[]> {
  if (!cfg.webhooks) return [{ name: 'webhooks', ok: true, detail: 'none (WEBHOOK_URL unset): no events are written' }];
  const sender = createWebhookSender(cfg.webhooks.secret);
  const at = new Date();
  try {
    return await Promise.all(
      cfg.webhooks.urls.map(async (url): Promise<CheckResult> => {
        const name = `webhook ${maskUrl(url)}`;
        const ping = { id: `msg_${at.getTime().toString(36)}${randomBytes(8).toString('hex')}`, type: 'ping' as const, timestamp: at.toISOString(), data: { message: 'portdesk check' } };
        const r = await sender.send(url, ping);
        if (r.ok) return { name, ok: true, detail: `answered ${r.status} to a signed ping` };
        return { name, ok: false, detail: `a signed ping was not accepted: ${r.error}`, fix: 'check WEBHOOK_URL, that the receiver accepts POSTs there, and that it verifies with the same WEBHOOK_SECRET' };
      }),
    );
  } finally {
    sender.close();
  }
}

/** Accounts from billing (SPEC §14): fetched and validated (nothing applied), then fetched again conditionally. */
async function checkAccountsSource(cfg: Config): Promise<CheckResult> {
  const name = 'accounts source';
  const c = cfg.accountsSource;
  if (!c) return { name, ok: true, detail: 'none (ACCOUNTS_URL unset): accounts come from `portdesk accounts import`' };
  try {
    const source = createAccountsSource(c.location, c.token ? { token: c.token } : {});
    const first = await source.fetch();
    if (!first.changed) return { name, ok: false, detail: `${source.location} answered "not modified" to a plain request`, fix: 'the source must send the document when asked without validators' };
    const parsed = parseAccountsFile(first.text, first.format);
    if (!parsed.ok) {
      const problems = formatImportErrors(parsed.errors);
      return { name, ok: false, detail: `${source.location}: the document is invalid: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`, fix: 'correct the export; until then every sync changes nothing' };
    }
    const v = first.validators;
    if (!v.etag && !v.lastModified) {
      return { name, ok: true, detail: `${source.location}: ${parsed.accounts.length} accounts (${first.format}); no ETag or Last-Modified, so every sync downloads the whole document` };
    }
    const again = await source.fetch(v);
    const conditional = again.changed ? 'a conditional request got the whole document again (the source ignores If-None-Match / If-Modified-Since)' : 'a conditional request was answered "not modified"';
    return { name, ok: true, detail: `${source.location}: ${parsed.accounts.length} accounts (${first.format}); ${conditional}` };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message, fix: 'check ACCOUNTS_URL and ACCOUNTS_TOKEN, and that billing serves the export to this machine' };
  }
}

export async function runChecks(cfg: Config, { log }: { log: Logger }): Promise<CheckResult[]> {
  const config: CheckResult = { name: 'configuration', ok: true, detail: `valid (match fields: ${cfg.matchPreset ?? cfg.matchFields.join(',')}; time zone ${cfg.timezone})` };
  return [config, await checkDataDir(cfg), await checkTemplates(cfg), await checkImap(cfg, log), await checkSmtp(cfg), await checkMailAuth(cfg), await checkConsole(cfg), await checkDatabase(cfg), ...(await checkWebhooks(cfg)), await checkAccountsSource(cfg)];
}
