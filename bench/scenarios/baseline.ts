/**
 * The ceilings. Ingest: imapflow fetching the backlog's messages (full source) and mailparser
 * parsing each, nothing else — no classification, no store, no MOVE, no SMTP. Sending: the desk's
 * own SMTP mailer (nodemailer's pool on its thread) sending rendered verification e-mails to the
 * sink as fast as it takes them, nothing else — no desk, no store.
 */
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { createHandlebarsRenderer, TEMPLATE_SAMPLES } from '../../src/adapters/handlebars-renderer.js';
import { createSmtpMailer, SMTP_CONNECTIONS } from '../../src/adapters/smtp-mailer.js';
import { buildOutboxEntry } from '../../src/app/deliver-outbox.js';
import { loadCarrierKeys } from '../carrier-dkim.js';
import { startMailbox, startSinkProcess } from '../mailroom.js';
import type { SizeSpec } from '../sizes.js';
import { backlogRequests } from './backlog.js';

export interface BaselineResult {
  messages: number;
  bytes: number;
  ms: number;
  msgPerSec: number;
  smtp: SendCeiling;
}

export interface SendCeiling {
  emails: number;
  ms: number;
  emailsPerSec: number;
  /** CPU of this process (the relay on the main thread and the SMTP thread) per e-mail. */
  cpuMsPerEmail: number;
}

export async function runBaseline(size: SizeSpec): Promise<BaselineResult> {
  const n = size.backlog.requests;
  // The backlog's own (signed) messages.
  const { requests } = await backlogRequests(size, await loadCarrierKeys());
  const mailbox = await startMailbox();
  try {
    await mailbox.deliver(requests.map((r) => r.raw));
    // Same starting point as the backlog: Dovecot has already indexed the new messages.
    await mailbox.prime();
    const client = await mailbox.client();
    try {
      await client.mailboxOpen('INBOX', { readOnly: true });
      let messages = 0;
      let bytes = 0;
      const t0 = performance.now();
      for await (const m of client.fetch('1:*', { uid: true, source: true })) {
        if (!m.source) continue;
        await simpleParser(m.source);
        messages++;
        bytes += m.source.length;
      }
      const ms = performance.now() - t0;
      const smtp = await measureSending(2 * n);
      return { messages, bytes, ms, msgPerSec: (messages / ms) * 1000, smtp };
    } finally {
      await client.logout().catch(() => client.close());
    }
  } finally {
    await mailbox.stop();
  }
}

/** `count` verification e-mails through the desk's SMTP mailer, as many in flight as the desk keeps. */
async function measureSending(count: number): Promise<SendCeiling> {
  const renderer = createHandlebarsRenderer({ builtinDir: fileURLToPath(new URL('../../templates/', import.meta.url)) });
  const rendered = renderer.render('customer-verification', TEMPLATE_SAMPLES['customer-verification']);
  const now = new Date();
  const entries = Array.from({ length: count + 1 }, (_, i) =>
    buildOutboxEntry({
      id: `ceiling-${i}`,
      messageId: `ceiling-${i}@desk.example.test`,
      template: 'customer-verification',
      rendered,
      from: 'Porting Desk <porting@desk.example.test>',
      to: `customer${i}@example.test`,
      replyTo: `porting+token${i}@desk.example.test`,
      autoSubmitted: 'auto-generated',
      orderId: `PO-C${i}`,
      now,
    }),
  );
  const sink = await startSinkProcess();
  const mailer = createSmtpMailer({ host: '127.0.0.1', port: sink.port, secure: false });
  try {
    // The first one starts the thread and opens a connection: not part of the figure.
    await mailer.send(entries[0]!);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 1;
    const worker = async () => {
      while (next <= count) {
        const result = await mailer.send(entries[next++]!);
        if (!result.ok) throw new Error(`the sink refused an e-mail: ${result.error}`);
      }
    };
    await Promise.all(Array.from({ length: SMTP_CONNECTIONS }, worker));
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { emails: count, ms, emailsPerSec: (count / ms) * 1000, cpuMsPerEmail: (cpu.user + cpu.system) / 1000 / count };
  } finally {
    await mailer.close();
    await sink.stop();
  }
}
