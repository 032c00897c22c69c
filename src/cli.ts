#!/usr/bin/env node
/**
 * The `portdesk` command line (SPEC §9). Thin: parse the arguments, build what the command needs,
 * call into app/, print. Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import pino from 'pino';
import { ConfigError, describeConfig, loadConfig, readDotEnv, type Config } from './config.js';
import { ORDER_STATES, type Account, type PortOrder } from './domain/records.js';
import { REASON_CODES } from './domain/reason-codes.js';
import { formatNumber } from './domain/phone.js';
import { createLogger, silentLogger, type Logger } from './logger.js';

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
  }
}

/** The package's own templates (main.ts names the same directory; importing it here would load every adapter). */
const PACKAGE_TEMPLATES_DIR = fileURLToPath(new URL('../templates/', import.meta.url));

function config(): Config {
  let cfg: Config;
  try {
    cfg = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT_USAGE);
    throw err;
  }
  // TEMPLATES_DIR defaults to ./templates, which exists only when the command runs from the
  // package directory. Run from anywhere else with nothing set, the built-in templates are what
  // the desk uses, so that is what `check` must look at too.
  const templatesSet = (process.env.TEMPLATES_DIR ?? readDotEnv(process.cwd()).TEMPLATES_DIR ?? '').trim() !== '';
  if (!templatesSet && !existsSync(cfg.templatesDir)) cfg = { ...cfg, templatesDir: PACKAGE_TEMPLATES_DIR };
  return cfg;
}

/**
 * The logger for commands that print their own output: warnings and errors only (unless LOG_LEVEL
 * asks for more), on stderr, so `--json` output on stdout stays parseable.
 */
function commandLogger(cfg: Config): Logger {
  const level = cfg.logLevel === 'info' ? 'warn' : cfg.logLevel;
  return createLogger(level, { destination: pino.destination({ fd: 2, sync: true }) });
}

function print(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

function table(rows: string[][]): string {
  if (!rows.length) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/**
 * PINs are shown to nobody: `orders show` prints whether one was given, not its value. Nor the
 * secrets that bind a customer's reply (the token, the Message-IDs of the e-mails to the
 * customer): output gets pasted into tickets and chats, and whoever holds them can answer for the
 * customer.
 */
function maskOrder(o: PortOrder): PortOrder {
  const v = o.verification;
  return {
    ...o,
    token: SECRET,
    provided: o.provided.pin ? { ...o.provided, pin: '***' } : o.provided,
    ...(v ? { verification: { ...v, messageId: SECRET, ...(v.followUpIds ? { followUpIds: v.followUpIds.map(() => SECRET) } : {}) } } : {}),
  };
}

const SECRET = '(secret)';

function maskAccount(a: Account): Account {
  return a.portOutPin ? { ...a, portOutPin: '***' } : a;
}

async function openReadStore(cfg: Config) {
  const { openFileStore } = await import('./adapters/file-store.js');
  if (!existsSync(cfg.dataDir)) throw new CliError(`no data directory at ${cfg.dataDir} (set DATA_DIR, or import accounts first)`);
  return openFileStore(cfg.dataDir, { readOnly: true });
}

/**
 * Runs a command that changes records: through the running daemon when there is one (it holds
 * the data directory), otherwise directly under the data-directory lock.
 */
async function withWriter<T>(
  cfg: Config,
  viaDaemon: () => Promise<{ ok: true; result?: unknown } | { ok: false; error: { code: string; message: string } } | undefined>,
  direct: (daemon: Awaited<ReturnType<typeof startOffline>>) => Promise<T>,
): Promise<T | unknown> {
  const answer = await viaDaemon();
  if (answer) {
    if (!answer.ok) throw new CliError(`${answer.error.code}: ${answer.error.message}`);
    return answer.result;
  }
  const offline = await startOffline(cfg);
  try {
    return await direct(offline);
  } finally {
    await offline.close();
  }
}

/** The desk without sources or schedules, for one command while no daemon runs. */
async function startOffline(cfg: Config) {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(cfg.dataDir, { recursive: true });
  const { acquireDataDirLock } = await import('./adapters/data-dir-lock.js');
  const { openFileStore } = await import('./adapters/file-store.js');
  const { buildDesk } = await import('./main.js');
  const { systemClock } = await import('./ports/clock.js');
  const lock = await acquireDataDirLock(cfg.dataDir).catch((err: Error) => {
    throw new CliError(`cannot use ${cfg.dataDir}: ${err.message}`);
  });
  const log = commandLogger(cfg);
  const store = await openFileStore(cfg.dataDir, { clock: systemClock });
  const { desk, delivery, mailer } = buildDesk(cfg, { store, clock: systemClock, log, deliverOnQueue: false });
  return {
    desk,
    store,
    delivery,
    close: async () => {
      await desk.idle();
      await delivery.deliverDue();
      await mailer.close();
      await store.close();
      await lock.release();
    },
  };
}

function orderRow(o: PortOrder): string[] {
  return [o.id, o.state, o.accountId, o.carrier.name, o.dids.map(formatNumber).join(', '), o.focDate ?? '', o.updatedAt];
}

function showOrder(o: PortOrder): string {
  const lines = [
    `Order ${o.id}  (${o.state})`,
    `  account:    ${o.accountId}`,
    `  numbers:    ${o.dids.map(formatNumber).join(', ')}`,
    `  carrier:    ${o.carrier.name} <${o.carrier.email}>${o.carrier.pon ? `  PON ${o.carrier.pon}` : ''}`,
    `  requested:  ${o.requestedDate ?? '-'}    completion date: ${o.focDate ?? '-'}`,
  ];
  const p = o.provided;
  lines.push(`  provided:   ${[p.name, p.company, p.street, p.city, p.state, p.zip].filter(Boolean).join(', ') || '-'}`);
  if (p.accountNumber) lines.push(`              account number ${p.accountNumber}`);
  if (p.pin) lines.push('              PIN given');
  if (o.verification) {
    const v = o.verification;
    lines.push(`  verification: sent to ${v.sentTo} at ${v.sentAt}, expires ${v.expiresAt}${v.reminderSentAt ? `, reminded ${v.reminderSentAt}` : ''}`);
  }
  if (o.decision) {
    lines.push(`  decision:   ${o.state} by ${o.decision.by} at ${o.decision.at}${o.decision.reasonCodes.length ? ` — ${o.decision.reasonCodes.join(', ')}` : ''}`);
    if (o.decision.note) lines.push(`              ${o.decision.note}`);
    for (const f of o.decision.matchReport?.fields ?? []) {
      lines.push(`    ${f.result.padEnd(8)} ${f.field.padEnd(14)} ${f.reason}`);
    }
  }
  lines.push('  history:');
  for (const h of o.history) lines.push(`    ${h.at}  ${h.event}${h.detail ? `  ${h.detail}` : ''}`);
  return lines.join('\n');
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** After a usage error, every command prints its own usage line (not the whole help). */
function showUsageAfterErrors(cmd: Command): void {
  const name = commandPath(cmd);
  cmd.showHelpAfterError(`usage: ${name} ${cmd.usage()}\n(run '${name} --help' for details)`);
  for (const sub of cmd.commands) showUsageAfterErrors(sub);
}

export function buildProgram(): Command {
  const program = new Command('portdesk')
    .description('Port-out desk over e-mail: reads port requests, verifies with customers, answers carriers.')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .addHelpText(
      'after',
      [
        '',
        'Configuration comes from the environment and a .env file in the working directory',
        '(DATA_DIR, IMAP_HOST, SMTP_HOST, ... — see the README). `portdesk check` tries it.',
        '',
        'Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration.',
      ].join('\n'),
    );
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('start')
    .description('run the daemon until SIGINT or SIGTERM')
    .action(async () => {
      const cfg = config();
      const log = createLogger(cfg.logLevel);
      const { startDaemon } = await import('./main.js');
      const daemon = await startDaemon(cfg, { log }).catch((err: Error & { code?: string }) => {
        if (err.code === 'EADDRINUSE' && !cfg.imap) {
          throw new CliError(
            `127.0.0.1:${cfg.inboundSmtpPort} is already in use, so the embedded SMTP listener cannot start; stop what listens there or set INBOUND_SMTP_PORT to a free port`,
          );
        }
        throw err;
      });
      const banner = [
        'portdesk is running.',
        `  mail in:   ${daemon.inbound}${cfg.imap ? '' : '   (embedded SMTP listener; set IMAP_HOST to read a mailbox)'}`,
        `  mail out:  ${daemon.outbound}${cfg.smtp ? '' : '   (.eml files; set SMTP_HOST to send)'}`,
        `  data:      ${cfg.dataDir}`,
        `  jobs:      ${cfg.jobsSchedule}   digest: ${cfg.digestSchedule} (${cfg.timezone})`,
        'Stop with Ctrl-C or SIGTERM.',
      ];
      process.stderr.write(`${banner.join('\n')}\n`);
      log.info({ inbound: daemon.inbound, outbound: daemon.outbound, dataDir: cfg.dataDir, config: describeConfig(cfg) }, 'started');
      let failure: Error | undefined;
      await new Promise<void>((resolve) => {
        void daemon.failed.then((err) => {
          failure = err;
          resolve();
        });
        let stopping = false;
        const onSignal = (signal: string) => {
          if (stopping) {
            // A second signal: the operator will not wait for the message in hand. Records are
            // journalled before anything is acted on, so the next start picks up where this left.
            log.warn({ signal }, 'second signal: exiting without a clean stop');
            process.exit(EXIT_FAILURE);
          }
          stopping = true;
          log.info({ signal }, 'signal received, stopping');
          resolve();
        };
        process.on('SIGTERM', () => onSignal('SIGTERM'));
        process.on('SIGINT', () => onSignal('SIGINT'));
      });
      await daemon.stop();
      // A restart (systemd's Restart=on-failure) reloads the records from disk.
      if (failure) throw new CliError(`stopped: ${failure.message}`);
    });

  const accounts = program.command('accounts').description('customer accounts');
  accounts
    .command('import')
    .description('load accounts from a JSON or CSV file; every row is checked and nothing changes on error')
    .argument('<file>', 'accounts.json or accounts.csv')
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { json?: boolean }) => {
      const cfg = config();
      const { formatImportErrors, parseAccountsFile, planAccountImport } = await import('./app/import-accounts.js');
      const content = await readFile(file, 'utf8').catch((err: Error) => {
        throw new CliError(`cannot read ${file}: ${err.message}`);
      });
      const format = path.extname(file).toLowerCase() === '.csv' ? 'csv' : 'json';
      const parsed = parseAccountsFile(content, format);
      if (!parsed.ok) {
        const lines = formatImportErrors(parsed.errors).map((l) => `  ${l}`);
        throw new CliError(`${file}: ${parsed.errors.length} row(s) with errors, nothing imported\n${lines.join('\n')}`);
      }
      const { sendControlRequest } = await import('./adapters/control-server.js');
      const result = (await withWriter(
        cfg,
        () => sendControlRequest(cfg.dataDir, { cmd: 'import-accounts', accounts: parsed.accounts }),
        async ({ store }) => {
          const plan = planAccountImport(store, parsed.accounts);
          if (!plan.ok) throw new CliError(`${file}: nothing imported\n${formatImportErrors(plan.errors).map((l) => `  ${l}`).join('\n')}`);
          await store.commit(plan.changes);
          return { created: plan.created, updated: plan.updated };
        },
      )) as { created: string[]; updated: string[] };
      print(opts.json, result, () => `imported ${parsed.accounts.length} account(s) into ${cfg.dataDir}: ${result.created.length} new, ${result.updated.length} updated`);
    });
  accounts
    .command('list')
    .description('list accounts')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const store = await openReadStore(config());
      const list = store.listAccounts().map(maskAccount);
      print(opts.json, list, () =>
        table([
          ['ID', 'NAME', 'COMPANY', 'EMAIL', 'NUMBERS', 'FLAGS'],
          ...list.map((a) => [
            a.id,
            a.name,
            a.company ?? '',
            a.email,
            String(a.dids.filter((d) => d.status === 'active').length),
            [a.portOutLock ? 'locked' : '', a.portOutPin ? 'pin' : '', a.status === 'closed' ? 'closed' : ''].filter(Boolean).join(','),
          ]),
        ]),
      );
    });
  accounts
    .command('show')
    .description('show one account')
    .argument('<id>')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      const store = await openReadStore(config());
      const a = store.getAccount(id);
      if (!a) throw new CliError(`no account ${id}`);
      const m = maskAccount(a);
      print(opts.json, m, () =>
        [
          `Account ${m.id}  (${m.status})`,
          `  name:     ${m.name}${m.company ? ` — ${m.company}` : ''}`,
          `  email:    ${m.email}`,
          `  number:   ${m.accountNumber}   tech prefix: ${m.techPrefix}`,
          `  address:  ${m.address.street}${m.address.unit ? `, ${m.address.unit}` : ''}, ${m.address.city}, ${m.address.state} ${m.address.zip}`,
          `  port-out: ${m.portOutLock ? 'LOCKED' : 'allowed'}${m.portOutPin ? ', PIN required' : ''}`,
          '  numbers:',
          ...m.dids.map((d) => `    ${formatNumber(d.number).padEnd(16)} ${d.status}${d.portOrderId ? ` (${d.portOrderId})` : ''}`),
        ].join('\n'),
      );
    });

  const orders = program.command('orders').description('port-out orders');
  orders
    .command('list')
    .description('list orders')
    .addOption(new Option('--state <state>', 'only orders in this state').choices([...ORDER_STATES]))
    .option('--all', 'include archived orders')
    .option('--json', 'machine-readable output')
    .action(async (opts: { state?: PortOrder['state']; json?: boolean; all?: boolean }) => {
      const store = await openReadStore(config());
      const list = store.listOrders({ ...(opts.state ? { state: opts.state } : {}), ...(opts.all ? { includeArchived: true } : {}) }).map(maskOrder);
      print(opts.json, list, () =>
        list.length ? table([['ID', 'STATE', 'ACCOUNT', 'CARRIER', 'NUMBERS', 'FOC', 'UPDATED'], ...list.map(orderRow)]) : 'no orders',
      );
    });
  orders
    .command('show')
    .description('show one order with its history and match report')
    .argument('<id>')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      const store = await openReadStore(config());
      const o = store.getOrder(id.trim().toUpperCase());
      if (!o) throw new CliError(`no order ${id}`);
      print(opts.json, maskOrder(o), () => showOrder(maskOrder(o)));
    });
  orders
    .command('complete')
    .description('mark an approved order completed; the customer gets the completion e-mail')
    .argument('<id>')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      const cfg = config();
      const { sendControlRequest } = await import('./adapters/control-server.js');
      const order = (await withWriter(
        cfg,
        () => sendControlRequest(cfg.dataDir, { cmd: 'complete', id }),
        ({ desk }) => desk.completeOrder(id),
      ).catch(rethrowAction)) as PortOrder;
      print(opts.json, maskOrder(order), () => `${order.id} is now ${order.state}`);
    });
  orders
    .command('cancel')
    .description('cancel an open order; carrier and customer are told')
    .argument('<id>')
    .requiredOption('--reason <text>', 'why, in words (sent to the carrier and the customer)')
    .addOption(new Option('--code <code>', 'reason code sent with the cancellation').choices([...REASON_CODES]).default('CARRIER_CANCELED'))
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { reason: string; code: string; json?: boolean }) => {
      const cfg = config();
      const { sendControlRequest } = await import('./adapters/control-server.js');
      const order = (await withWriter(
        cfg,
        () => sendControlRequest(cfg.dataDir, { cmd: 'cancel', id, reason: opts.reason, code: opts.code }),
        ({ desk }) => desk.cancelOrder(id, opts.reason, opts.code),
      ).catch(rethrowAction)) as PortOrder;
      print(opts.json, maskOrder(order), () => `${order.id} is now ${order.state}`);
    });

  program
    .command('jobs')
    .description('timed jobs')
    .command('run')
    .description('run every job once, now (reminders, expiry, overdue cancellation, outbox)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const cfg = config();
      const { sendControlRequest } = await import('./adapters/control-server.js');
      const result = await withWriter(
        cfg,
        () => sendControlRequest(cfg.dataDir, { cmd: 'jobs-run' }),
        async ({ desk, delivery }) => {
          const jobs = await desk.runOrderJobs();
          const outbox = await delivery.deliverDue();
          return { ranBy: 'command', jobs, outbox };
        },
      );
      // The daemon runs them in its own scheduler and reports no counts; run here, they are known.
      const report = (result ?? { ranBy: 'daemon' }) as { ranBy?: string; jobs?: Array<{ job: string; changed: number }>; outbox?: { sent: number; retried: number; failed: number } };
      print(opts.json, report, () =>
        report.jobs
          ? [
              ...report.jobs.map((j) => `${j.job.padEnd(22)} ${j.changed} order(s) changed`),
              ...(report.outbox ? [`${'outbox'.padEnd(22)} ${report.outbox.sent} sent, ${report.outbox.retried} to retry, ${report.outbox.failed} failed`] : []),
            ].join('\n')
          : `every job ran once in the running daemon (${cfg.dataDir})`,
      );
    });

  program
    .command('inspect')
    .description('show how the desk reads one message; changes nothing')
    .argument('<file>', 'an .eml file')
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { json?: boolean }) => {
      const cfg = config();
      const raw = await readFile(file).catch((err: Error) => {
        throw new CliError(`cannot read ${file}: ${err.message}`);
      });
      const { inspectMessage } = await import('./app/inspect-message.js');
      let orderExists: ((id: string) => boolean) | undefined;
      if (existsSync(path.join(cfg.dataDir, 'desk.json')) || existsSync(path.join(cfg.dataDir, 'journal.jsonl'))) {
        const store = await openReadStore(cfg).catch(() => undefined);
        if (store) orderExists = (id) => !!store.getOrder(id);
      }
      const { buildAuthenticator } = await import('./main.js');
      const { authenticator, resolver } = buildAuthenticator(cfg, silentLogger());
      const result = await inspectMessage(raw, { deskAddresses: [cfg.mailFrom], ...(orderExists ? { orderExists } : {}), ...(authenticator ? { authenticator } : {}) }).finally(() =>
        resolver?.close(),
      );
      print(opts.json, result, () => {
        const lines = [`kind:      ${result.kind}`];
        if (result.decision) lines.push(`decision:  ${result.decision}`);
        if (result.auth) lines.push(`auth:      dkim=${result.auth.dkim} spf=${result.auth.spf} dmarc=${result.auth.dmarc}${result.auth.aligned ? ' (aligned)' : ''}`);
        if (result.review) lines.push(`review:    ${result.review.reason}: ${result.review.detail}`);
        if (result.request) {
          lines.push('request:');
          for (const [k, v] of Object.entries(result.request)) {
            lines.push(`  ${k.padEnd(15)} ${Array.isArray(v) ? v.map(formatNumber).join(', ') : k === 'pin' ? '(given)' : v}`);
          }
        }
        if (result.notes.length) lines.push('notes:', ...result.notes.map((n) => `  - ${n}`));
        return lines.join('\n');
      });
    });

  program
    .command('check')
    .description('validate the configuration and try every connection')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const cfg = config();
      const { runChecks } = await import('./app/run-checks.js');
      const results = await runChecks(cfg, { log: silentLogger() });
      print(opts.json, results, () => results.map((r) => `${r.ok ? 'ok  ' : 'FAIL'}  ${r.name}: ${r.detail}${r.fix ? `\n        fix: ${r.fix}` : ''}`).join('\n'));
      if (results.some((r) => !r.ok)) process.exitCode = EXIT_FAILURE;
    });

  program
    .command('demo')
    .description('play the whole lifecycle on the embedded defaults, in a temporary directory, and print what happened')
    .option('--json', 'machine-readable output: the steps, the timeline, every e-mail and the final orders')
    .action(async (opts: { json?: boolean }) => {
      const { runDemo } = await import('./app/run-demo.js');
      const report = await runDemo(opts.json ? {} : { log: (line) => process.stdout.write(`${line}\n`) });
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else if (!report.ok) {
        const failed = report.steps.find((s) => !s.ok);
        process.stderr.write(`portdesk: demo failed at step "${failed?.name}": ${failed?.detail}\n`);
      }
      if (!report.ok) process.exitCode = EXIT_FAILURE;
    });

  showUsageAfterErrors(program);
  return program;
}

function rethrowAction(err: unknown): never {
  if (err instanceof CliError) throw err;
  const e = err as Error & { code?: string };
  throw new CliError(e.code ? `${e.code}: ${e.message}` : e.message);
}

export async function runCli(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Asked-for help and the version are successes. Help shown because no command was given
      // (`portdesk`, `portdesk orders`) comes with exit code 1 from commander: bad usage. Every
      // other refusal has already printed what is wrong and the usage line.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
      if (err.code === 'commander.help') return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      return EXIT_USAGE;
    }
    if (err instanceof CliError) {
      process.stderr.write(`portdesk: ${err.message}\n`);
      return err.exitCode;
    }
    const e = err as Error & { code?: string };
    process.stderr.write(`portdesk: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
    return EXIT_FAILURE;
  }
}

// An unhandled rejection means a bug: log it and exit non-zero rather than run on in an unknown state.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`portdesk: unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}\n`);
  process.exit(EXIT_FAILURE);
});

runCli().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`portdesk: ${(err as Error).message}\n`);
    process.exit(EXIT_FAILURE);
  },
);
