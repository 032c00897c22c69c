/**
 * Whether a customer's CSR request may be answered with the account's data (SPEC §4): it must come
 * from the e-mail on file and give the account's name (or company), tech prefix and numbers, all
 * on one account. Every reason it may not is listed, for the sender's answer and for support.
 * A CSR holds what a fraudster needs to fill in a port request, so nothing is fuzzy here.
 */
import { normalizeCompany, normalizePersonName } from './normalize.js';
import type { Account } from './records.js';

/** What the customer gave, as read from the message. */
export interface CsrAsked {
  sender: string;
  name?: string;
  email?: string;
  techPrefix?: string;
  /** E.164 numbers. */
  dids: readonly string[];
}

export interface CsrView {
  findAccountByDid(did: string): Account | undefined;
  listAccounts(): Account[];
}

export interface CsrMatch {
  /** The one account the request is about, when one could be told. */
  account?: Account;
  /** Empty when the CSR may be sent to the account's e-mail on file. */
  problems: string[];
}

function sameAddress(a: string | undefined, b: string | undefined): boolean {
  return !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();
}

function sameName(given: string, account: Account): boolean {
  const same = (a: string, b: string) => a !== '' && a === b;
  return same(normalizePersonName(given), normalizePersonName(account.name)) || (!!account.company && same(normalizeCompany(given), normalizeCompany(account.company)));
}

export function matchCsrRequest(asked: CsrAsked, view: CsrView): CsrMatch {
  const problems: string[] = [];
  const holders = new Map<string, Account>();
  for (const did of asked.dids) {
    const holder = view.findAccountByDid(did);
    if (holder) holders.set(holder.id, holder);
  }
  let account = holders.size === 1 ? [...holders.values()][0] : undefined;
  if (!asked.dids.length) problems.push('no telephone numbers were given');
  if (holders.size > 1) problems.push('the numbers belong to more than one account');
  if (asked.dids.length && !holders.size) problems.push('none of the numbers is on any account');
  // Without numbers, the sender's own account is the only one it could be about.
  if (!account && !asked.dids.length) account = view.listAccounts().find((a) => sameAddress(a.email, asked.sender));
  if (!account) {
    if (!problems.length) problems.push('no account could be identified');
    return { problems };
  }
  if (!sameAddress(asked.sender, account.email)) problems.push('the request did not come from the e-mail address on file');
  if (asked.email && !sameAddress(asked.email, account.email)) problems.push('the account e-mail given does not match');
  if (!asked.name) problems.push('no account name was given');
  else if (!sameName(asked.name, account)) problems.push('the name does not match the account');
  if (!asked.techPrefix) problems.push('no tech prefix was given');
  else if (asked.techPrefix.trim().toLowerCase() !== account.techPrefix.trim().toLowerCase()) problems.push('the tech prefix does not match');
  const notOnAccount = asked.dids.filter((d) => !account!.dids.some((x) => x.number === d));
  if (notOnAccount.length) problems.push(`${notOnAccount.length} number(s) are not on the account`);
  return { account, problems };
}
