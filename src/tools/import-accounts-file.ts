/**
 * `portdesk accounts import FILE`: the file read and every row checked here, before anything is
 * asked of the daemon; PINs hashed here too (a PIN unchanged keeps the hash the store has), so no
 * PIN in clear crosses the control socket and the daemon spends no time on them; then one import,
 * all rows or none, through the daemon or offline.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { DeskError } from '../errors.js';
import type { Logger } from '../logger.js';
import { applyAccountImport, formatImportErrors, hashImportedPins, parseAccountsFile, type ImportAccountsResult } from '../app/import-accounts.js';
import { createScryptPins } from '../adapters/scrypt-pins.js';
import type { Account } from '../domain/records.js';
import { systemClock } from '../ports/clock.js';
import { runAsWriter } from './desk-writer.js';
import { openReadStore } from './read-records.js';

export interface ImportedFile {
  /** Accounts in the file. */
  count: number;
  created: string[];
  updated: string[];
}

export async function importAccountsFile(cfg: Config, log: Logger, file: string): Promise<ImportedFile> {
  const content = await readFile(file, 'utf8').catch((err: Error) => {
    throw new DeskError('FILE_UNREADABLE', `cannot read ${file}: ${err.message}`, { cause: err });
  });
  const parsed = parseAccountsFile(content, path.extname(file).toLowerCase() === '.csv' ? 'csv' : 'json');
  if (!parsed.ok) {
    throw new DeskError('IMPORT_INVALID', `${file}: ${parsed.errors.length} row(s) with errors, nothing imported\n${indent(formatImportErrors(parsed.errors))}`);
  }
  const accounts = await hashPins(cfg, parsed.accounts);
  const { result } = await runAsWriter(cfg, log, { cmd: 'import-accounts', accounts }, ({ store, pins }) =>
    applyAccountImport(store, accounts, { pins, now: systemClock.now() }),
  );
  const imported = result as ImportAccountsResult;
  if (!imported.ok) throw new DeskError('IMPORT_INVALID', `${file}: nothing imported\n${indent(formatImportErrors(imported.errors))}`);
  return { count: accounts.length, created: imported.created, updated: imported.updated };
}

function indent(lines: string[]): string {
  return lines.map((l) => `  ${l}`).join('\n');
}

/** The accounts with hashed PINs; the store is read (not locked) to keep the hashes of PINs that did not change. */
async function hashPins(cfg: Config, accounts: Account[]): Promise<Account[]> {
  if (!accounts.some((a) => a.portOutPin !== undefined)) return accounts;
  const store = await openReadStore(cfg, { missingOk: true }).catch(() => undefined);
  try {
    return await hashImportedPins(store, accounts, createScryptPins());
  } finally {
    await store?.close();
  }
}
