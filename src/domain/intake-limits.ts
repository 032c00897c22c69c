/** The accounts a request's numbers are on, each once: what the accounts-per-request limit counts. */
import type { Account } from './records.js';

export function distinctAccounts(dids: readonly string[], view: { findAccountByDid(did: string): Account | undefined }): Account[] {
  const accounts = new Map<string, Account>();
  for (const did of dids) {
    const account = view.findAccountByDid(did);
    if (account) accounts.set(account.id, account);
  }
  return [...accounts.values()];
}
