/**
 * Sends outbox entries over SMTP with nodemailer's pooled transport (SPEC §7).
 *
 * The pool runs on a worker thread (smtp-send-worker.js): composing and streaming MIME is the
 * largest CPU cost of a busy desk, and on the thread it overlaps with the desk deciding the next
 * messages instead of queueing behind them. This side builds the message options, relays them,
 * and classifies the answer.
 *
 * The mailer only delivers and classifies: SMTP 5xx answers are permanent (the same message
 * would be refused again), everything else — connection errors, timeouts, 4xx, a thread that
 * died — is transient and left to the outbox's backoff. It never retries on its own, so one
 * attempt is one outbox attempt.
 */
import { Worker } from 'node:worker_threads';
import type { SendMailOptions } from 'nodemailer';
import type { SmtpConfig } from '../config.js';
import { DeskError, type ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { OutboxEntry } from '../domain/records.js';
import type { Mailer, SendResult } from '../ports/mailer.js';

export interface SmtpMailerOptions {
  log?: Logger;
  /** Connections kept open at most (default 5). */
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

/** The SMTP pool's connections, and so the e-mails worth having in flight at once. */
export const SMTP_CONNECTIONS = 5;

const WORKER_FILE = new URL('./smtp-send-worker.js', import.meta.url);

type WorkerAnswer = { id: number; ok: true; response?: string; rejected?: string[] } | { id: number; ok: false; error: SmtpErrorLike };

export function createSmtpMailer(config: SmtpConfig, opts: SmtpMailerOptions = {}): SmtpMailer {
  const { log } = opts;
  const transport = {
    pool: true,
    host: config.host,
    port: config.port,
    secure: config.secure,
    auth: config.user ? { user: config.user, pass: config.password ?? '' } : undefined,
    maxConnections: opts.maxConnections ?? SMTP_CONNECTIONS,
    connectionTimeout: opts.timeouts?.connection ?? 30_000,
    greetingTimeout: opts.timeouts?.greeting ?? 30_000,
    socketTimeout: opts.timeouts?.socket ?? 60_000,
    tls: opts.tls,
    // Message content is ours, but a path or URL in it must never be read off the machine.
    disableFileAccess: true,
    disableUrlAccess: true,
  };

  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, { resolve: (a: WorkerAnswer) => void }>();

  /** Fails every request in flight (the thread is gone) and forgets the thread. */
  const abandon = (worker_: Worker, why: string) => {
    if (worker !== worker_) return;
    worker = undefined;
    const code: ErrorCode = 'SMTP_THREAD_FAILED';
    for (const [id, p] of pending) p.resolve({ id, ok: false, error: { code, message: why } });
    pending.clear();
  };

  const startWorker = (): Worker => {
    const w = new Worker(WORKER_FILE, {
      workerData: { transport },
      // It holds a few messages at a time: a small heap keeps the desk's memory what it was
      // without the thread.
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 },
    });
    w.on('message', (answer: WorkerAnswer) => {
      const p = pending.get(answer.id);
      if (!p) return;
      pending.delete(answer.id);
      p.resolve(answer);
      // An idle thread must not keep a finished command-line run alive.
      if (pending.size === 0) w.unref();
    });
    w.on('error', (err) => {
      log?.error({ err: { message: err.message } }, 'the SMTP thread failed; it is started again for the next e-mail');
      abandon(w, `the SMTP thread failed: ${err.message}`);
    });
    w.on('exit', (code) => abandon(w, `the SMTP thread stopped (exit code ${code})`));
    return w;
  };

  const request = (message: { type: 'send'; mail: SendMailOptions } | { type: 'verify' } | { type: 'close' }): Promise<WorkerAnswer> => {
    worker ??= startWorker();
    const w = worker;
    const id = ++nextId;
    return new Promise((resolve) => {
      pending.set(id, { resolve });
      w.ref();
      w.postMessage({ id, ...message });
    });
  };

  async function send(entry: OutboxEntry): Promise<SendResult> {
    const answer = await request({ type: 'send', mail: buildMailOptions(entry) });
    if (answer.ok) {
      const rejected = answer.rejected ?? [];
      if (rejected.length > 0) {
        // Some recipients were refused and the rest accepted: the message is out, and a resend
        // would duplicate it for those who got it, so this counts as sent and is logged.
        log?.warn({ outboxId: entry.id, rejected, response: answer.response }, 'some recipients were refused');
      }
      // Not the Message-ID: a verification's is a secret that binds the customer's reply (rule 4).
      log?.info({ outboxId: entry.id, template: entry.template }, 'e-mail sent');
      return { ok: true, ...(answer.response !== undefined ? { response: answer.response } : {}) };
    }
    const result = classifySmtpError(answer.error);
    log?.warn({ outboxId: entry.id, permanent: result.permanent, error: result.error }, 'e-mail not sent');
    return result;
  }

  return {
    send,
    async verify() {
      const answer = await request({ type: 'verify' });
      // The server's own answer (nodemailer's code, the SMTP response code) is the cause.
      if (!answer.ok) throw new DeskError('SMTP_CHECK_FAILED', answer.error.response ?? answer.error.message ?? 'SMTP check failed', { cause: answer.error });
    },
    async close() {
      const w = worker;
      if (!w) return;
      await request({ type: 'close' });
      worker = undefined;
      await w.terminate();
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
