/** `portdesk users add|list|remove`: who may sign in to the console (SPEC §12). */
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { createCommandLogger } from '../logger.js';
import { CliError, print, table } from './output.js';

/** The password: the first line of standard input (piped, or typed at a prompt without echo). */
async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) process.stderr.write('password (not shown): ');
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    total += chunk.length;
    if (Buffer.concat(chunks).includes(10) || total > 4096) break;
  }
  if (stdin.isTTY) process.stderr.write('\n');
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (!line) throw new CliError('no password on standard input (e.g. `printf %s "$PASSWORD" | portdesk users add NAME`)', 2);
  return line;
}

export function addUsersCommands(program: Command): void {
  const users = program.command('users').description('console users (the password is read from standard input)');

  users
    .command('add')
    .description('add a console user; the password (at least 12 characters) is read from standard input')
    .argument('<name>', 'user name: lower-case letters, digits, dots, dashes, underscores')
    .option('--replace', 'set a new password for an existing user')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { replace?: boolean; json?: boolean }) => {
      const cfg = loadConfig();
      const { addUserNow } = await import('../tools/user-commands.js');
      const user = await addUserNow(cfg, createCommandLogger(cfg.logLevel), name, await readPassword(), opts.replace === true);
      print(opts.json, user, () => `${user.name}: ${user.passwordChangedAt ? 'password changed' : 'added'}; sign in at ${cfg.http?.publicUrl ?? '(the console is off: HTTP_PORT=0)'}`);
    });

  users
    .command('list')
    .description('list console users')
    .option('--all', 'removed users too')
    .option('--json', 'machine-readable output')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const { readRecords } = await import('../tools/read-records.js');
      const { publicUser } = await import('../app/users.js');
      const list = (await readRecords(loadConfig(), (store) => store.listUsers())).filter((u) => opts.all || !u.removedAt).map(publicUser);
      print(opts.json, list, () => table([['NAME', 'ADDED', 'PASSWORD CHANGED', 'REMOVED'], ...list.map((u) => [u.name, u.createdAt, u.passwordChangedAt ?? '', u.removedAt ?? ''])]));
    });

  users
    .command('remove')
    .description('remove a console user; their sessions end at once')
    .argument('<name>')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      const cfg = loadConfig();
      const { removeUserNow } = await import('../tools/user-commands.js');
      const user = await removeUserNow(cfg, createCommandLogger(cfg.logLevel), name);
      print(opts.json, user, () => `${user.name}: removed`);
    });
}
