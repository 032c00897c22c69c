/**
 * Sends outbox entries over SMTP with nodemailer's pooled transport (SPEC §7).
 *
 * The mailer only delivers and classifies: SMTP 5xx answers are permanent (the same message
 * would be refused again), everything else — connection errors, timeouts, 4xx — is transient and
 * left to the outbox's backoff. It never retries on its own, so one attempt is one outbox attempt.
 */
import nodemailer from 'nodemailer';
import type { SendMailOptions } from 'nodemailer';
import type { SmtpConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { OutboxEntry } from '../domain/records.js';
import type { Mailer, SendResult } from '../ports/mailer.js';

export interface SmtpMailerOptions {
  log?: Logger;
  /** Connections kept open at most (default 3). */
  maxConnections?: number;
  /** Milliseconds to wait for the TCP connection, the greeting, and socket inactivity. */
  timeouts?: { connection?: number; greeting?: number; socket?: number };
  /** Extra TLS options, e.g. `{ rejectUnauthorized: false }` for a relay with a private CA. */
  tls?: { rejectUnauthorized?: boolean; servername?: string };
}

export interface SmtpMailer extends Mailer {
  /** Connects and authenticates once, for `portdesk check`; throws with the server's answer. */
  verify(): Promise<void>;
}

export function createSmtpMailer(config: SmtpConfig, opts: SmtpMailerOptions = {}): SmtpMailer {
  const { log } = opts;
  const transport = nodemailer.createTransport({
    pool: true,
    host: config.host,
    port: config.port,
    secure: config.secure,
    auth: config.user ? { user: config.user, pass: config.password ?? '' } : undefined,
    maxConnections: opts.maxConnections ?? 3,
    connectionTimeout: opts.timeouts?.connection ?? 30_000,
    greetingTimeout: opts.timeouts?.greeting ?? 30_000,
    socketTimeout: opts.timeouts?.socket ?? 60_000,
    tls: opts.tls,
    // Message content is ours, but a path or URL in it must never be read off the machine.
    disableFileAccess: true,
    disableUrlAccess: true,
  });

  async function send(entry: OutboxEntry): Promise<SendResult> {
    try {
      const info = await transport.sendMail(buildMailOptions(entry));
      const rejected = (info.rejected ?? []).map(String);
      if (rejected.length > 0) {
        // Some recipients were refused and the rest accepted: the message is out, and a resend
        // would duplicate it for those who got it, so this counts as sent and is logged.
        log?.warn({ outboxId: entry.id, rejected, response: info.response }, 'some recipients were refused');
      }
      log?.info({ outboxId: entry.id, messageId: entry.messageId, template: entry.template }, 'e-mail sent');
      return { ok: true, response: info.response };
    } catch (err) {
      const result = classifySmtpError(err);
      log?.warn({ outboxId: entry.id, permanent: result.permanent, error: result.error }, 'e-mail not sent');
      return result;
    }
  }

  return {
    send,
    async verify() {
      await transport.verify();
    },
    async close() {
      transport.close();
    },
  };
}

interface SmtpErrorLike {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/**
 * 5xx answers are permanent; 4xx, connection errors and timeouts are transient. An
 * authentication failure (535) is a configuration problem, not this message's: it stays
 * transient so that nothing is dropped while the operator fixes the password.
 */
export function classifySmtpError(err: unknown): { ok: false; permanent: boolean; error: string } {
  const e = (err && typeof err === 'object' ? err : { message: String(err) }) as SmtpErrorLike;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const detail = (e.response ?? e.message ?? 'unknown error').replace(/\s+/g, ' ').trim();
  const error = [code, responseCode, detail].filter((p) => p !== undefined && p !== '').join(' ');
  const permanent =
    code !== 'EAUTH' && code !== 'ENOAUTH' && responseCode !== undefined && responseCode >= 500 && responseCode < 600;
  return { ok: false, permanent, error };
}

/** The nodemailer message for an outbox entry; the .eml writer builds the very same one. */
export function buildMailOptions(entry: OutboxEntry): SendMailOptions {
  return {
    messageId: entry.messageId,
    // RFC 5322: the time the message was ready to go, so a retried message keeps its date.
    date: new Date(entry.createdAt),
    from: entry.from,
    to: entry.to,
    cc: entry.cc.length > 0 ? entry.cc : undefined,
    replyTo: entry.replyTo,
    subject: entry.subject,
    text: entry.text,
    html: entry.html,
    inReplyTo: entry.inReplyTo,
    references: entry.references.length > 0 ? entry.references : undefined,
    headers: {
      // RFC 3834: tells other robots (vacation responders, ticket systems) not to answer us.
      'Auto-Submitted': entry.autoSubmitted,
      'X-Auto-Response-Suppress': 'OOF, AutoReply',
      ...(entry.orderId ? { 'X-Portdesk-Order': entry.orderId } : {}),
    },
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
