/** `portdesk start` and `portdesk jobs run`. */
import type { Command } from 'commander';
import { describeConfig, loadConfig } from '../config.js';
import { maskUrlPassword } from '../domain/mask-url.js';
import { durationMs } from '../domain/duration.js';
import { createCommandLogger, createLogger } from '../logger.js';
import { CliError, print } from './output.js';

export function addStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the daemon until SIGINT or SIGTERM')
    .action(async () => {
      const cfg = loadConfig();
      const log = createLogger(cfg.logLevel);
      const { runUntilStopped, startDaemon } = await import('../main.js');
      // A signal before the daemon runs (standing by, or starting) is a clean stop too (exit 0):
      // the handlers stay until runUntilStopped installs its own.
      let onSignal!: () => void;
      const stopped = new Promise<void>((resolve) => (onSignal = resolve));
      let signalled = false;
      void stopped.then(() => (signalled = true));
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      const dropSignals = () => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      };
      let lease: import('../start-on-database.js').HeldLease | undefined;
      if (cfg.database) {
        const { waitForLease } = await import('../start-on-database.js');
        // With PostgreSQL, one daemon is active; the others stand by until its lease ends.
        process.stderr.write(`portdesk: on the database ${maskUrlPassword(cfg.database.url)}; active at once, or standing by while another daemon is\n`);
        lease = await waitForLease(cfg, { log, stopped }).catch((err: unknown) => {
          dropSignals();
          throw err;
        });
        if (!lease) {
          dropSignals();
          log.info('stopped while standing by');
          return;
        }
      }
      const daemon = await startDaemon(cfg, { log, ...(lease ? { lease } : {}) }).catch((err: Error & { code?: string }) => {
        dropSignals();
        if (err.code === 'EADDRINUSE' && !cfg.imap) {
          throw new CliError(
            `127.0.0.1:${cfg.inboundSmtpPort} is already in use, so the embedded SMTP listener cannot start; stop what listens there or set INBOUND_SMTP_PORT to a free port`,
          );
        }
        throw err;
      });
      dropSignals();
      if (signalled) {
        log.info('signal received while starting: stopping');
        await daemon.stop();
        return;
      }
      const banner = [
        'portdesk is running.',
        `  mail in:   ${daemon.inbound}${cfg.imap ? '' : '   (embedded SMTP listener; set IMAP_HOST to read a mailbox)'}`,
        `  mail out:  ${daemon.outbound}${cfg.smtp ? '' : '   (.eml files; set SMTP_HOST to send)'}`,
        `  console:   ${daemon.console ? `${daemon.console}   (users: portdesk users add NAME; links in e-mails: ${cfg.http!.publicUrl})` : 'off (HTTP_PORT=0)'}`,
        `  data:      ${cfg.database ? `${maskUrlPassword(cfg.database.url)} (this daemon is the active one)` : cfg.dataDir}`,
        `  jobs:      ${cfg.jobsSchedule}   digest: ${cfg.digestSchedule} (${cfg.timezone})`,
        'Stop with Ctrl-C or SIGTERM.',
      ];
      process.stderr.write(`${banner.join('\n')}\n`);
      log.info({ inbound: daemon.inbound, outbound: daemon.outbound, console: daemon.console, dataDir: cfg.dataDir, config: describeConfig(cfg) }, 'started');
      const failure = await runUntilStopped(daemon, log, durationMs(cfg.stopTimeout));
      // A restart (systemd's Restart=on-failure) reloads the records from disk.
      if (failure) throw new CliError(`stopped: ${failure.message}`);
    });
}

export function addMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('bring the database (DATABASE_URL) up to date; with --from-dir, copy a file store into it')
    .option('--from-dir <dir>', 'a data directory to copy into the (empty) database; its counts are checked')
    .option('--json', 'machine-readable output')
    .action(async (opts: { fromDir?: string; json?: boolean }) => {
      const cfg = loadConfig();
      if (!cfg.database) throw new CliError('DATABASE_URL is not set: `portdesk migrate` works on a PostgreSQL database', 2);
      const { migrateStore } = await import('../tools/migrate-store.js');
      const report = await migrateStore(cfg, createCommandLogger(cfg.logLevel), opts.fromDir);
      print(opts.json, report, () =>
        [
          report.schema.from === report.schema.to ? `schema up to date (version ${report.schema.to})` : `schema upgraded from version ${report.schema.from} to ${report.schema.to}`,
          ...Object.entries(report.copied ?? {}).map(([kind, c]) => `  ${kind.padEnd(12)} ${c.source} copied, ${c.database} in the database`),
        ].join('\n'),
      );
    });
}

export function addJobsCommands(program: Command): void {
  program
    .command('jobs')
    .description('timed jobs')
    .command('run')
    .description('run every job once, now (reminders, expiry, overdue cancellation, outbox)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const cfg = loadConfig();
      const { runJobsNow } = await import('../tools/support-commands.js');
      const report = await runJobsNow(cfg, createCommandLogger(cfg.logLevel));
      print(opts.json, report, () =>
        report.ranBy === 'command'
          ? [
              ...report.jobs.map((j) => `${j.job.padEnd(22)} ${j.changed} order(s) changed`),
              `${'outbox'.padEnd(22)} ${report.outbox.sent} sent, ${report.outbox.retried} to retry, ${report.outbox.failed} failed`,
            ].join('\n')
          : `every job ran once in the running daemon (${cfg.dataDir})`,
      );
    });
}
