/**
 * `portdesk demo` (SPEC §9): plays the whole lifecycle against the real daemon, in this process, on
 * the embedded defaults — mail in through the embedded SMTP listener, mail out as .eml files — in a
 * temporary data directory with windows of seconds. A carrier sends four port-out requests for the
 * sample accounts; one customer approves by reply, one rejects, one approves with the one-click link
 * of the console (SPEC §12), one stays silent until the window expires and the details are
 * auto-matched; the carrier then reports the approved port completed. Every step is checked against
 * what the SPEC promises, and the report names the first one that did not hold. With `keep`, the
 * desk then runs on with a console user until the process is interrupted.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import nodemailer, { type Transporter } from 'nodemailer';
import type { PortOrder } from '../domain/records.js';
import { silentLogger, type Logger } from '../logger.js';
import { applyAccountImport, formatImportErrors, parseAccountsFile } from '../app/import-accounts.js';
import { openFileStore } from '../adapters/file-store.js';
import { createScryptPasswords } from '../adapters/scrypt-passwords.js';
import { startDaemon, type Daemon } from '../main.js';
import { ADMIN_FEE, CARRIER, DESK, demoConfig, SCENARIOS, SUPPORT, type Scenario } from './demo/demo-scenarios.js';
import { addressesOf, isTo, orderIdIn, OutboxReader, StepFailure } from './demo/outbox-reader.js';

/** The sample accounts shipped with the package; the demo's requests are written for them. */
export const SAMPLE_ACCOUNTS_FILE = new URL('../../data/sample-accounts.json', import.meta.url);

export interface DemoStep {
  /** Stable short name, for scripts: `start`, `accounts`, `request-approve`, … */
  name: string;
  /** What the step shows, in words; the timeline names it. */
  title: string;
  ok: boolean;
  /** What was seen, or what was expected and not seen. */
  detail: string;
  /** Milliseconds from the start of the demo. */
  atMs: number;
}

export interface DemoMail {
  atMs: number;
  direction: 'in' | 'out';
  from: string;
  to: string[];
  cc: string[];
  subject: string;
}

export interface DemoReport {
  ok: boolean;
  /** The name of the first step that did not behave as the SPEC says. */
  failedStep?: string;
  steps: DemoStep[];
  timeline: string[];
  mails: DemoMail[];
  /** The orders as they stood at the end. */
  orders: Array<Pick<PortOrder, 'id' | 'state' | 'accountId' | 'dids' | 'focDate'> & { decidedBy?: string; reasonCodes: string[] }>;
  durationMs: number;
}

export interface DemoOptions {
  /** Called with each timeline line as it happens (the command line prints them). */
  log?: (line: string) => void;
  /** The daemon's own logger; silent by default so the timeline stays readable. */
  daemonLog?: Logger;
  /**
   * After the steps, keep the desk running with a console user (its password printed) until
   * `keep` resolves — the command line resolves it on Ctrl-C — so a newcomer can click around.
   */
  keep?: Promise<void>;
}

/** 8025 when it is free, so the printed addresses are the usual ones; any free port otherwise. */
async function pickHttpPort(): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => {
        const a = server.address();
        server.close(() => resolve(a && typeof a === 'object' ? a.port : undefined));
      });
    });
  return (await tryPort(8025)) ?? (await tryPort(0)) ?? 8025;
}
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1).padStart(5)}s`;
}

export async function runDemo(opts: DemoOptions = {}): Promise<DemoReport> {
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  const timeline: string[] = [];
  const steps: DemoStep[] = [];
  const mails: DemoMail[] = [];
  const note = (line: string, atMs = elapsed()) => {
    const entry = `${seconds(atMs)}  ${line}`;
    timeline.push(entry);
    opts.log?.(entry);
  };
  const noteMail = (raw: DemoMail) => {
    // A verification token is a secret even in a demo: the timeline shows where it goes, not what it is.
    const hide = (address: string) => address.replace(/\+[a-z0-9]+@/i, '+TOKEN@');
    const mail = { ...raw, to: raw.to.map(hide), cc: raw.cc.map(hide) };
    mails.push(mail);
    const to = [...mail.to, ...mail.cc.map((c) => `cc ${c}`)].join(', ');
    note(`${mail.direction === 'in' ? 'mail in ' : 'mail out'}  ${mail.from} → ${to}  "${mail.subject}"`, mail.atMs);
  };

  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-demo-'));
  const outboxDir = path.join(dataDir, 'outbox-files');
  const config = demoConfig(dataDir, await pickHttpPort());
  const outbox = new OutboxReader(outboxDir, elapsed, (atMs, m) =>
    noteMail({ atMs, direction: 'out', from: addressesOf(m.from)[0] ?? '?', to: addressesOf(m.to), cc: addressesOf(m.cc), subject: m.subject ?? '' }),
  );
  let daemon: Daemon | undefined;
  let transport: Transporter | undefined;
  let failed = false;

  /** Runs one step unless an earlier one failed; a StepFailure (or any error) fails it. */
  const step = async (name: string, title: string, body: () => Promise<string>) => {
    if (failed) {
      steps.push({ name, title, ok: false, detail: 'skipped: an earlier step failed', atMs: elapsed() });
      return;
    }
    const atMs = elapsed();
    note(`── ${title}`);
    try {
      const detail = await body();
      steps.push({ name, title, ok: true, detail, atMs });
      note(`   ok: ${detail}`);
    } catch (err) {
      failed = true;
      const detail = err instanceof StepFailure ? err.message : `unexpected error: ${(err as Error).message}`;
      steps.push({ name, title, ok: false, detail, atMs });
      note(`   FAILED (${name}): ${detail}`);
    }
  };

  const order = (id: string): PortOrder => {
    const o = daemon?.store.getOrder(id);
    if (!o) throw new StepFailure(`order ${id} is not in the store`);
    return o;
  };
  const expectState = (id: string, state: PortOrder['state']) => {
    const o = order(id);
    if (o.state !== state) throw new StepFailure(`expected ${id} to be ${state}, it is ${o.state}`);
    return o;
  };

  const send = async (mail: { from: string; to: string; subject: string; text: string; inReplyTo?: string; references?: string[] }) => {
    if (!transport) throw new StepFailure('no connection to the desk');
    await transport.sendMail(mail);
    noteMail({ atMs: elapsed(), direction: 'in', from: mail.from.replace(/^.*<(.+)>$/, '$1'), to: [mail.to], cc: [], subject: mail.subject });
  };

  const sendRequest = (s: Scenario) =>
    send({
      from: `${CARRIER.name} <${CARRIER.email}>`,
      to: DESK,
      subject: `Port-out request PON ${s.pon}`,
      text: ['Hello,', '', 'Please process the following port-out request.', '', `PON: ${s.pon}`, ...s.lines, '', 'Thank you,', CARRIER.name].join('\n'),
    });

  /** The acknowledgement to the carrier and the verification to the account's e-mail on file. */
  const expectIntake = async (s: Scenario) => {
    const ack = await outbox.take(`the carrier's acknowledgement of PON ${s.pon}`, (m) => isTo(CARRIER.email, m) && /received/i.test(m.subject ?? '') && (m.text ?? '').includes(s.pon));
    const orderId = orderIdIn(ack.subject);
    if (!orderId) throw new StepFailure(`the acknowledgement "${ack.subject}" names no order id`);
    const verification = await outbox.take(`a verification to ${s.customer}`, (m) => isTo(s.customer, m) && /confirm/i.test(m.subject ?? '') && orderIdIn(m.subject) === orderId);
    const o = expectState(orderId, 'pending_verification');
    if (o.accountId !== s.accountId) throw new StepFailure(`${orderId} is on account ${o.accountId}, expected ${s.accountId}`);
    if (o.verification?.sentTo.toLowerCase() !== s.customer) throw new StepFailure(`the verification went to ${o.verification?.sentTo}, not the e-mail on file`);
    return { orderId, verification };
  };

  /** The customer answers the way a mail client does: to the Reply-To, threaded, quoting. */
  const reply = (verification: ParsedMail, from: string, text: string) => {
    const quoted = (verification.text ?? '').split('\n').map((l) => `> ${l}`).join('\n');
    return send({
      from,
      to: addressesOf(verification.replyTo)[0] ?? DESK,
      subject: `Re: ${verification.subject}`,
      text: `${text}\n\nOn ${new Date().toUTCString()}, ${DESK} wrote:\n${quoted}\n`,
      ...(verification.messageId ? { inReplyTo: verification.messageId, references: [verification.messageId] } : {}),
    });
  };

  const ids: Partial<Record<keyof typeof SCENARIOS, { orderId: string; verification: ParsedMail }>> = {};
  let approvalToCarrier: ParsedMail | undefined;
  let finalOrders: DemoReport['orders'] = [];

  try {
    await step('start', 'start the desk on a temporary data directory (embedded SMTP listener, .eml outbox)', async () => {
      const content = await readFile(SAMPLE_ACCOUNTS_FILE, 'utf8').catch((err: Error) => {
        throw new StepFailure(`cannot read the sample accounts: ${err.message}`);
      });
      const parsed = parseAccountsFile(content, 'json');
      if (!parsed.ok) throw new StepFailure(`the sample accounts do not load: ${formatImportErrors(parsed.errors).join('; ')}`);
      const store = await openFileStore(dataDir);
      try {
        const imported = await applyAccountImport(store, parsed.accounts);
        if (!imported.ok) throw new StepFailure(`the sample accounts do not load: ${formatImportErrors(imported.errors).join('; ')}`);
      } finally {
        await store.close();
      }
      note(`   loaded ${parsed.accounts.length} sample accounts (${parsed.accounts.map((a) => a.id).join(', ')})`);
      daemon = await startDaemon(config, { log: opts.daemonLog ?? silentLogger() });
      const port = Number(/:(\d+)$/.exec(daemon.inbound)?.[1]);
      if (!port) throw new StepFailure(`the desk reports no listener port (${daemon.inbound})`);
      transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
      outbox.start();
      return `listening on ${daemon.inbound}; console at ${daemon.console}; e-mails written to ${outboxDir}; verification window 3s, reminder after 1s, jobs every second`;
    });

    await step(SCENARIOS.approve.step, SCENARIOS.approve.title, async () => {
      await sendRequest(SCENARIOS.approve);
      ids.approve = await expectIntake(SCENARIOS.approve);
      return `${ids.approve.orderId} is pending_verification; carrier acknowledged, ${SCENARIOS.approve.customer} asked to confirm`;
    });

    await step('customer-approves', 'Priya Raman answers APPROVE', async () => {
      const { orderId, verification } = ids.approve!;
      await reply(verification, SCENARIOS.approve.customer, 'APPROVE\n\nThanks,\nPriya');
      const approval = await outbox.take('the approval with the completion date to the carrier', (m) => isTo(CARRIER.email, m) && orderIdIn(m.subject) === orderId && /approved/i.test(m.subject ?? ''));
      await outbox.take(`the decision notice to ${SCENARIOS.approve.customer}`, (m) => isTo(SCENARIOS.approve.customer, m) && orderIdIn(m.subject) === orderId && /approved/i.test(m.subject ?? ''));
      const o = expectState(orderId, 'approved');
      if (o.decision?.by !== 'customer') throw new StepFailure(`${orderId} was decided by ${o.decision?.by}, expected the customer`);
      if (!o.focDate || !/completion date/i.test(approval.subject ?? '')) throw new StepFailure(`the approval "${approval.subject}" does not give the completion date`);
      approvalToCarrier = approval;
      return `${orderId} approved by the customer; completion date ${o.focDate} sent to the carrier`;
    });

    await step(SCENARIOS.reject.step, SCENARIOS.reject.title, async () => {
      await sendRequest(SCENARIOS.reject);
      ids.reject = await expectIntake(SCENARIOS.reject);
      return `${ids.reject.orderId} is pending_verification; ${SCENARIOS.reject.customer} asked to confirm`;
    });

    await step('forged-approval', "someone writes APPROVE from Maria Delgado's address, with the order id but without the verification's secret", async () => {
      const { orderId } = ids.reject!;
      await send({ from: SCENARIOS.reject.customer, to: DESK, subject: `Re: [${orderId}] Please confirm`, text: 'APPROVE' });
      await outbox.take('a support alert about the unbound reply', (m) => isTo(SUPPORT, m) && orderIdIn(m.subject) === orderId && /no secret/i.test(m.subject ?? ''));
      expectState(orderId, 'pending_verification');
      return `${orderId} is still pending_verification: the order id alone binds nothing (the carrier has it); support told (NOT_BOUND)`;
    });

    await step('customer-rejects', 'Maria Delgado answers that she did not ask for this', async () => {
      const { orderId, verification } = ids.reject!;
      await reply(verification, SCENARIOS.reject.customer, 'REJECT. I did not ask for this, please keep our numbers where they are.\n\nMaria');
      const rejection = await outbox.take('the rejection to the carrier', (m) => isTo(CARRIER.email, m) && orderIdIn(m.subject) === orderId && /rejected/i.test(m.subject ?? ''));
      await outbox.take(`the decision notice to ${SCENARIOS.reject.customer}`, (m) => isTo(SCENARIOS.reject.customer, m) && orderIdIn(m.subject) === orderId && /rejected/i.test(m.subject ?? ''));
      const o = expectState(orderId, 'rejected');
      if (!o.decision?.reasonCodes.includes('CUSTOMER_REJECTED')) throw new StepFailure(`${orderId} carries ${o.decision?.reasonCodes.join(', ')}, expected CUSTOMER_REJECTED`);
      if (!(rejection.text ?? '').includes('CUSTOMER_REJECTED')) throw new StepFailure('the carrier rejection does not name CUSTOMER_REJECTED');
      return `${orderId} rejected (CUSTOMER_REJECTED); carrier and customer told`;
    });

    await step(SCENARIOS.link.step, SCENARIOS.link.title, async () => {
      await sendRequest(SCENARIOS.link);
      ids.link = await expectIntake(SCENARIOS.link);
      return `${ids.link.orderId} is pending_verification; ${SCENARIOS.link.customer} asked to confirm, with a one-click link`;
    });

    await step('customer-approves-by-link', 'Aiko Tanaka opens the link in the verification and presses Approve', async () => {
      const { orderId, verification } = ids.link!;
      const link = /https?:\/\/\S+\/v\/\S+/.exec(verification.text ?? '')?.[0];
      if (!link) throw new StepFailure('the verification carries no answer link');
      // A mail scanner fetching the link decides nothing.
      const page = await fetch(link);
      const html = await page.text();
      expectState(orderId, 'pending_verification');
      const formToken = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
      if (page.status !== 200 || !formToken) throw new StepFailure(`the link's page answered ${page.status} without its buttons`);
      const pressed = await fetch(link, { method: 'POST', body: new URLSearchParams({ _csrf: formToken, decision: 'approve' }) });
      if (pressed.status !== 200) throw new StepFailure(`pressing Approve answered ${pressed.status}`);
      await outbox.take('the approval with the completion date to the carrier', (m) => isTo(CARRIER.email, m) && orderIdIn(m.subject) === orderId && /approved/i.test(m.subject ?? ''));
      const o = expectState(orderId, 'approved');
      if (!o.history.some((h) => /via link/.test(h.detail ?? ''))) throw new StepFailure(`the history of ${orderId} does not say the decision came by link`);
      const again = await fetch(link, { method: 'POST', body: new URLSearchParams({ _csrf: formToken, decision: 'approve' }) });
      if (again.status !== 410) throw new StepFailure(`pressing Approve again answered ${again.status}, expected 410`);
      note(`   the link: ${link.replace(/\.[A-Za-z0-9_-]+$/, '.…')} (the part after the order id is a signature only the desk can make)`);
      return `${orderId} approved by the customer via link (the page's GET changed nothing; a second press changed nothing)`;
    });

    await step(SCENARIOS.silent.step, SCENARIOS.silent.title, async () => {
      await sendRequest(SCENARIOS.silent);
      ids.silent = await expectIntake(SCENARIOS.silent);
      return `${ids.silent.orderId} is pending_verification; ${SCENARIOS.silent.customer} asked to confirm, and does not answer`;
    });

    await step('reminder', 'no answer after REMINDER_AFTER (1s): one reminder', async () => {
      const { orderId, verification } = ids.silent!;
      const reminder = await outbox.take(`a reminder to ${SCENARIOS.silent.customer}`, (m) => isTo(SCENARIOS.silent.customer, m) && orderIdIn(m.subject) === orderId && /remind/i.test(m.subject ?? ''));
      if (reminder.inReplyTo !== verification.messageId) throw new StepFailure('the reminder is not threaded to the verification');
      return `reminder sent for ${orderId}, threaded to the verification`;
    });

    await step('auto-match', 'no answer by the end of VERIFICATION_WINDOW (3s): the carrier details are matched to the account', async () => {
      const { orderId } = ids.silent!;
      await outbox.take('the approval to the carrier after auto-match', (m) => isTo(CARRIER.email, m) && orderIdIn(m.subject) === orderId && /approved/i.test(m.subject ?? ''));
      const o = expectState(orderId, 'approved');
      if (o.decision?.by !== 'auto-match') throw new StepFailure(`${orderId} was decided by ${o.decision?.by}, expected auto-match`);
      const fields = o.decision.matchReport?.fields.map((f) => `${f.field} ${f.result}`).join(', ') ?? '';
      const reminders = outbox.count((m) => isTo(SCENARIOS.silent.customer, m) && /remind/i.test(m.subject ?? ''));
      if (reminders !== 1) throw new StepFailure(`${reminders} reminders were sent, expected one`);
      return `${orderId} approved by auto-match (${fields}); completion date ${o.focDate}`;
    });

    await step('completion', "Northwind reports Priya Raman's port completed", async () => {
      const { orderId } = ids.approve!;
      // In the desk's thread with the carrier: that is what lets an unsigned notice count.
      const thread = approvalToCarrier?.messageId ? { inReplyTo: approvalToCarrier.messageId, references: [approvalToCarrier.messageId] } : {};
      await send({
        from: `${CARRIER.name} <${CARRIER.email}>`,
        to: DESK,
        ...thread,
        subject: `Re: ${approvalToCarrier?.subject ?? `Port completed - ${orderId} PON ${SCENARIOS.approve.pon}`}`,
        text: `The port for order ${orderId} (PON ${SCENARIOS.approve.pon}) has been completed. (503) 555-0177 is now active with us.\n\n${CARRIER.name}`,
      });
      const done = await outbox.take(`the completion e-mail to ${SCENARIOS.approve.customer}`, (m) => isTo(SCENARIOS.approve.customer, m) && orderIdIn(m.subject) === orderId && /ported out/i.test(m.subject ?? ''));
      expectState(orderId, 'completed');
      const did = daemon?.store.getAccount(SCENARIOS.approve.accountId)?.dids[0];
      if (did?.status !== 'ported-out') throw new StepFailure(`the number is ${did?.status}, expected ported-out (kept on the account)`);
      if (!(done.text ?? '').includes(ADMIN_FEE)) throw new StepFailure(`the completion e-mail does not explain the ${ADMIN_FEE} admin fee for an account with no numbers left`);
      return `${orderId} completed; the number is marked ported-out and the customer is told of the ${ADMIN_FEE} monthly admin fee`;
    });

    if (opts.keep && !failed && daemon?.console) {
      const password = randomBytes(12).toString('base64url');
      await daemon.store.commit({ users: [{ name: 'demo', passwordHash: await createScryptPasswords().hash(password), createdAt: new Date().toISOString() }] });
      note('── the desk keeps running (--keep): click around, then press Ctrl-C');
      note(`   console:  ${daemon.console}   user demo, password ${password}`);
      note(`   link:     the verification e-mails in ${outboxDir} carry the customers' links`);
      note(`   mail in:  ${daemon.inbound} (send it a port request to see a new order)`);
      await opts.keep;
    }

    await step('outbox', 'every e-mail went out once', async () => {
      const pairs = outbox.mails.map((m) => m.parsed.messageId ?? m.file);
      const duplicates = pairs.filter((id, i) => pairs.indexOf(id) !== i);
      if (duplicates.length) throw new StepFailure(`written twice: ${duplicates.join(', ')}`);
      for (const s of Object.values(SCENARIOS)) {
        const n = outbox.count((m) => isTo(s.customer, m) && /please confirm/i.test(m.subject ?? '') && !/remind/i.test(m.subject ?? ''));
        if (n !== 1) throw new StepFailure(`${s.customer} got ${n} verification e-mails, expected one`);
      }
      return `${outbox.mails.length} e-mails written to ${outboxDir}, each once`;
    });
  } finally {
    finalOrders = daemon
      ? daemon.store.listOrders({}).map((o) => ({
          id: o.id,
          state: o.state,
          accountId: o.accountId,
          dids: o.dids,
          ...(o.focDate ? { focDate: o.focDate } : {}),
          ...(o.decision ? { decidedBy: o.decision.by } : {}),
          reasonCodes: o.decision?.reasonCodes ?? [],
        }))
      : [];
    outbox.stop();
    transport?.close();
    const stopAt = elapsed();
    if (daemon) {
      note('── stop the desk and remove the temporary data directory');
      try {
        await daemon.stop();
        steps.push({ name: 'stop', title: 'stop the desk and remove the temporary data directory', ok: true, detail: 'stopped cleanly', atMs: stopAt });
      } catch (err) {
        steps.push({ name: 'stop', title: 'stop the desk', ok: false, detail: (err as Error).message, atMs: stopAt });
        note(`   FAILED (stop): ${(err as Error).message}`);
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  }

  const failedStep = steps.find((s) => !s.ok)?.name;
  const durationMs = elapsed();
  note(failedStep ? `demo FAILED at step "${failedStep}"` : `demo finished: every step behaved as specified (${(durationMs / 1000).toFixed(1)}s)`);
  return { ok: !failedStep, ...(failedStep ? { failedStep } : {}), steps, timeline, mails, orders: finalOrders, durationMs };
}
