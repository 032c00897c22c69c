/** `portdesk inspect`, `portdesk check` and `portdesk demo`. */
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { formatNumber } from '../domain/phone.js';
import { silentLogger } from '../logger.js';
import { EXIT_FAILURE, EXIT_OK, print, type ExitCodeSink } from './output.js';

export function addToolCommands(program: Command, exit: ExitCodeSink): void {
  program
    .command('inspect')
    .description('show how the desk reads one message; changes nothing')
    .argument('<file>', 'an .eml file')
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { json?: boolean }) => {
      const cfg = loadConfig();
      const { inspectFile } = await import('../tools/inspect-file.js');
      const result = await inspectFile(cfg, file);
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
      const cfg = loadConfig();
      const { runChecks } = await import('../tools/run-checks.js');
      const results = await runChecks(cfg, { log: silentLogger() });
      print(opts.json, results, () => results.map((r) => `${r.ok ? 'ok  ' : 'FAIL'}  ${r.name}: ${r.detail}${r.fix ? `\n        fix: ${r.fix}` : ''}`).join('\n'));
      exit.exitCode = results.some((r) => !r.ok) ? EXIT_FAILURE : EXIT_OK;
    });

  program
    .command('demo')
    .description('play the whole lifecycle on the embedded defaults, in a temporary directory, and print what happened')
    .option('--json', 'machine-readable output: the steps, the timeline, every e-mail and the final orders')
    .option('--keep', 'after the steps, keep the desk and its console running (a user and password are printed) until Ctrl-C')
    .action(async (opts: { json?: boolean; keep?: boolean }) => {
      const { runDemo } = await import('../tools/run-demo.js');
      const keep = opts.keep
        ? new Promise<void>((resolve) => {
            process.once('SIGINT', () => resolve());
            process.once('SIGTERM', () => resolve());
          })
        : undefined;
      const report = await runDemo({ ...(opts.json ? {} : { log: (line: string) => process.stdout.write(`${line}\n`) }), ...(keep ? { keep } : {}) });
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else if (!report.ok) {
        const failed = report.steps.find((s) => !s.ok);
        process.stderr.write(`portdesk: demo failed at step "${failed?.name}": ${failed?.detail}\n`);
      }
      exit.exitCode = report.ok ? EXIT_OK : EXIT_FAILURE;
    });
}
