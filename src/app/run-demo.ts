/**
 * `portdesk demo` (SPEC §9): plays the whole lifecycle against the real daemon, in this process, on
 * the embedded defaults — mail in through the embedded SMTP listener, mail out as .eml files — in a
 * temporary data directory with windows of seconds. A carrier sends three port-out requests for the
 * sample accounts; one customer approves, one rejects, one stays silent until the window expires
 * and the details are auto-matched; the carrier then reports the approved port completed. Every step
 * is checked against what the SPEC promises, and the report names the first one that did not hold.
 */
import { watch, type FSWatcher } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import nodemailer, { type Transporter } from 'nodemailer';
import { loadConfig, type Config } from '../config.js';
import type { PortOrder } from '../domain/records.js';
import { silentLogger, type Logger } from '../logger.js';
import { openFileStore } from '../adapters/file-store.js';
import { BUILTIN_TEMPLATES_DIR, startDaemon, type Daemon } from '../main.js';
import { formatImportErrors, parseAccountsFile, planAccountImport } from './import-accounts.js';

/** The sample accounts shipped with the package; the demo's requests are written for them. */
export const SAMPLE_ACCOUNTS_FILE = new URL('../../data/sample-accounts.json', import.meta.url);

const DESK = 'porting@desk.example.test';
const SUPPORT = 'support@desk.example.test';
const CARRIER = { name: 'Northwind Telecom LNP', email: 'lnp@northwind.example.test' };
const ADMIN_FEE = '$15';
const WAIT_MS = 10_000;

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
}

/** Who asks for what: each request is written for one sample account. */
interface Scenario {
  step: string;
  title: string;
  accountId: string;
  customer: string;
  pon: string;
  lines: string[];
}

const SCENARIOS = {
  approve: {
    step: 'request-approve',
    title: "Northwind asks to port Priya Raman's only number",
    accountId: 'ACC-1003',
    customer: 'priya.raman@example.test',
    pon: 'NW-24101',
    lines: [
      'Account Name: Priya Raman',
      'Account Number: 100-2233',
      'Service Address: 3307 SE Hawthorne Blvd, Apt 4B',
      'City: Portland',
      'State: OR',
      'ZIP: 97214',
      'Telephone Numbers: (503) 555-0177',
      'Authorized Name: Priya Raman',
    ],
  },
  reject: {
    step: 'request-reject',
    title: 'Northwind asks to port two numbers of Cascade Coffee Roasters',
    accountId: 'ACC-1001',
    customer: 'maria.delgado@example.test',
    pon: 'NW-24102',
    lines: [
      'End User: Cascade Coffee Roasters',
      'Service Address: 1420 Pine St Ste 310',
      'City: Seattle',
      'State: WA',
      'ZIP: 98101',
      'Telephone Numbers: 206-555-0100, 206-555-0101',
    ],
  },
  silent: {
    step: 'request-silent',
    title: 'Northwind asks to port one number of Brooks Hardware',
    accountId: 'ACC-1005',
    customer: 'dan@brooks-hardware.example.test',
    pon: 'NW-24103',
    lines: [
      'Name on Account: Daniel Brooks',
      'Company: Brooks Hardware Co.',
      'Service Address: 45 Main Street, Unit 2',
      'City: Burlington',
      'State: VT',
      'ZIP: 05401-1234',
      'Telephone Numbers: 802 555 0163',
    ],
  },
} satisfies Record<string, Scenario>;

class StepFailure extends Error {}

function addressesOf(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return list.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase())).filter(Boolean);
}

function isTo(address: string, m: ParsedMail): boolean {
  return addressesOf(m.to).includes(address.toLowerCase());
}

function orderIdIn(subject: string | undefined): string | undefined {
  return /PO-[0-9A-Z]{6}/.exec(subject ?? '')?.[0];
}

/**
 * Reads the .eml files the desk writes, as a customer's or carrier's mail client would receive
 * them. fs.watch says when something changed; a slow rescan covers platforms where it misses.
 */
class OutboxReader {
  readonly mails: Array<{ atMs: number; file: string; parsed: ParsedMail }> = [];
  private readonly seen = new Set<string>();
  private readonly consumed = new Set<ParsedMail>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly dir: string,
    private readonly elapsed: () => number,
    private readonly onMail: (atMs: number, m: ParsedMail) => void,
  ) {}

  start(): void {
    this.watchDir();
    this.timer = setInterval(() => {
      if (!this.watcher) this.watchDir();
      void this.scan();
    }, 250);
  }

  private watchDir(): void {
    try {
      this.watcher = watch(this.dir, () => void this.scan());
      this.watcher.on('error', () => undefined);
    } catch {
      // The directory appears with the first e-mail; the periodic rescan retries.
    }
  }

  stop(): void {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }

  private scan(): Promise<void> {
    if (this.scanning) {
      this.rescan = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.rescan = false;
        const names = await readdir(this.dir).catch(() => [] as string[]);
        // Dot files are the mailer's temporary files, renamed into place when complete.
        for (const name of names.filter((n) => n.endsWith('.eml') && !n.startsWith('.')).sort()) {
          if (this.seen.has(name)) continue;
          this.seen.add(name);
          const parsed = await simpleParser(await readFile(path.join(this.dir, name)));
          const atMs = this.elapsed();
          this.mails.push({ atMs, file: name, parsed });
          this.onMail(atMs, parsed);
        }
      } while (this.rescan);
    })().finally(() => {
      this.scanning = undefined;
      for (const wake of [...this.waiters]) wake();
    });
    return this.scanning;
  }

  /** The first e-mail not yet taken that matches, waiting for it to be written. */
  async take(what: string, predicate: (m: ParsedMail) => boolean, timeoutMs = WAIT_MS): Promise<ParsedMail> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.mails.find((x) => !this.consumed.has(x.parsed) && predicate(x.parsed));
      if (found) {
        this.consumed.add(found.parsed);
        return found.parsed;
      }
      const left = until - Date.now();
      if (left <= 0) throw new StepFailure(`expected ${what}; it was not written within ${timeoutMs / 1000}s`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 1_000));
        this.waiters.add(wake);
      });
    }
  }

  count(predicate: (m: ParsedMail) => boolean): number {
    return this.mails.filter((x) => predicate(x.parsed)).length;
  }
}

function demoConfig(dataDir: string): Config {
  return loadConfig(
    {
      DATA_DIR: dataDir,
      TEMPLATES_DIR: BUILTIN_TEMPLATES_DIR,
      INBOUND_SMTP_PORT: '0',
      MAIL_FROM: DESK,
      SUPPORT_EMAIL: SUPPORT,
      TIMEZONE: 'UTC',
      VERIFICATION_WINDOW: '3s',
      REMINDER_AFTER: '1s',
      COMPLETION_GRACE: '5d',
      FOC_MIN_BUSINESS_DAYS: '1',
      JOBS_SCHEDULE: '* * * * * *',
      DIGEST_SCHEDULE: '0 8 * * *',
      ADMIN_FEE,
      MATCH_FIELDS: 'account-info',
      REPLY_SUBADDRESS: 'true',
      // Its made-up domains would be looked up on the network; the demo stays on loopback, and a
      // reply still counts only when it carries the verification's secret.
      MAIL_AUTH: 'off',
      LOG_LEVEL: 'silent',
    },
    { cwd: dataDir, dotenv: false },
  );
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
  const config = demoConfig(dataDir);
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
        const plan = planAccountImport(store, parsed.accounts);
        if (!plan.ok) throw new StepFailure(`the sample accounts do not load: ${formatImportErrors(plan.errors).join('; ')}`);
        await store.commit(plan.changes);
      } finally {
        await store.close();
      }
      note(`   loaded ${parsed.accounts.length} sample accounts (${parsed.accounts.map((a) => a.id).join(', ')})`);
      daemon = await startDaemon(config, { log: opts.daemonLog ?? silentLogger() });
      const port = Number(/:(\d+)$/.exec(daemon.inbound)?.[1]);
      if (!port) throw new StepFailure(`the desk reports no listener port (${daemon.inbound})`);
      transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
      outbox.start();
      return `listening on ${daemon.inbound}; e-mails written to ${outboxDir}; verification window 3s, reminder after 1s, jobs every second`;
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
