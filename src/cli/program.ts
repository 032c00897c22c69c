/**
 * The `portdesk` command line (SPEC §9): the program, and the run that turns its outcome into an
 * exit code. Commands parse their arguments, call one function in app/ or tools/, and print; each
 * group is a file of its own beside this one. Exit codes: 0 success, 1 runtime failure, 2 bad
 * usage or configuration.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isDeskError } from '../errors.js';
import { addAccountsCommands } from './accounts-commands.js';
import { addJobsCommands, addMigrateCommand, addStartCommand } from './daemon-commands.js';
import { addOrdersCommands } from './orders-commands.js';
import { addReviewCommands } from './review-commands.js';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type ExitCodeSink } from './output.js';
import { addToolCommands } from './tool-commands.js';
import { addUsersCommands } from './users-commands.js';

export function buildProgram(exit: ExitCodeSink = { exitCode: EXIT_OK }): Command {
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
  addStartCommand(program);
  addAccountsCommands(program);
  addOrdersCommands(program);
  addReviewCommands(program);
  addJobsCommands(program);
  addUsersCommands(program);
  addMigrateCommand(program);
  addToolCommands(program, exit);
  showUsageAfterErrors(program);
  return program;
}

/**
 * Runs the command line and resolves with the exit code. Never exits the process itself: the
 * caller sets process.exitCode and the process ends once its output has drained.
 */
export async function runCli(argv: string[]): Promise<number> {
  // An unhandled rejection means a bug: say so and exit non-zero rather than run on in an unknown state.
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`portdesk: unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}\n`);
    process.exit(EXIT_FAILURE);
  });
  const exit: ExitCodeSink = { exitCode: EXIT_OK };
  try {
    await buildProgram(exit).parseAsync(argv);
    return exit.exitCode;
  } catch (err) {
    return reportFailure(err);
  }
}

/** Prints what went wrong and returns the exit code for it. */
function reportFailure(err: unknown): number {
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
  // A bad configuration names every variable at fault; nothing else needs saying.
  if (isDeskError(err, 'CONFIG_INVALID')) {
    process.stderr.write(`portdesk: ${err.message}\n`);
    return EXIT_USAGE;
  }
  const e = err as Error & { code?: unknown };
  process.stderr.write(`portdesk: ${typeof e.code === 'string' ? `${e.code}: ` : ''}${e?.message ?? String(err)}\n`);
  return EXIT_FAILURE;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
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
