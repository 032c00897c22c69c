/**
 * What every command shares for its output and its exit: the exit codes, the one refusal type of
 * the command line, `--json` or words, and tables.
 *
 * Output is written, never followed by process.exit(): the process ends by itself once stdout has
 * drained, so a pipe read slowly (`portdesk orders list --json | jq`) still gets every byte.
 */
import os from 'node:os';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A refusal of the command line itself, printed as `portdesk: message`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * Where a command that printed its whole report leaves its exit code (`check` with a failed check):
 * commander ignores what an action returns, and a thrown error would print a second message.
 */
export interface ExitCodeSink {
  exitCode: number;
}

/** Prints `value` as JSON with `--json`, else the words `human()` makes of it. */
export function print(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

export function table(rows: string[][]): string {
  if (!rows.length) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** Who acts, for the record (Review dismissals, lock clearings): the operator's login name. */
export function operator(): string | undefined {
  try {
    return os.userInfo().username || undefined;
  } catch {
    return undefined;
  }
}
