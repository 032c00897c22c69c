/** `portdesk accounts import|list|show|unlock-pin`. */
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { createCommandLogger } from '../logger.js';
import { ACCOUNT_COLUMNS, accountRow, maskAccount, showAccount } from './format-records.js';
import { CliError, print, table } from './output.js';
import { operator } from './output.js';

export function addAccountsCommands(program: Command): void {
  const accounts = program.command('accounts').description('customer accounts');

  accounts
    .command('import')
    .description('load accounts from a JSON or CSV file; every row is checked and nothing changes on error')
    .argument('<file>', 'accounts.json or accounts.csv')
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { json?: boolean }) => {
      const cfg = loadConfig();
      const { importAccountsFile } = await import('../tools/import-accounts-file.js');
      const { count, created, updated } = await importAccountsFile(cfg, createCommandLogger(cfg.logLevel), file);
      print(opts.json, { created, updated }, () => `imported ${count} account(s) into ${cfg.dataDir}: ${created.length} new, ${updated.length} updated`);
      // With billing as the source, an account only imported here is closed by the next sync.
      if (cfg.accountsSource) process.stderr.write('note: ACCOUNTS_URL is set: the next sync from billing closes every account its document does not list\n');
    });

  accounts
    .command('list')
    .description('list accounts')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const { readRecords } = await import('../tools/read-records.js');
      const list = (await readRecords(loadConfig(), (store) => store.listAccounts())).map(maskAccount);
      print(opts.json, list, () => table([ACCOUNT_COLUMNS, ...list.map(accountRow)]));
    });

  accounts
    .command('show')
    .description('show one account')
    .argument('<id>')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      const { readRecords } = await import('../tools/read-records.js');
      const account = await readRecords(loadConfig(), (store) => store.getAccount(id));
      if (!account) throw new CliError(`no account ${id}`);
      const masked = maskAccount(account);
      print(opts.json, masked, () => showAccount(masked));
    });

  accounts
    .command('unlock-pin')
    .description('clear the lock set by wrong PINs, against one carrier (its mail domain) or every carrier')
    .argument('<id>', 'account id')
    .option('--carrier <domain>', 'the carrier locked out: its mail domain (or an address at it); default: every carrier')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { carrier?: string; json?: boolean }) => {
      const cfg = loadConfig();
      const { unlockPinNow } = await import('../tools/support-commands.js');
      const result = await unlockPinNow(cfg, createCommandLogger(cfg.logLevel), id, opts.carrier, operator());
      print(opts.json, result, () =>
        result.cleared.length
          ? `${result.accountId}: PIN lock cleared for ${result.cleared.map((l) => l.carrier).join(', ')}`
          : `${result.accountId}: no PIN lock${opts.carrier ? ` against ${opts.carrier}` : ''}; nothing changed`,
      );
    });
}

