/**
 * A customer's request for their Customer Service Record (SPEC §4): account data leaves only to
 * the address on file, and only when name, tech prefix and numbers all match one account. A
 * request whose From domain fails DMARC under quarantine or reject is parked (§11).
 */
import { judgeRequest } from '../../domain/mail-auth.js';
import { normalizeCompany, normalizePersonName } from '../../domain/normalize.js';
import { formatNumber } from '../../domain/phone.js';
import type { CsrRequest } from '../../domain/records.js';
import { readCsrRequest } from '../../mail/read-csr-request.js';
import { review, type Handled, type InboundInput } from './handled.js';

function sameAddress(a: string | undefined, b: string | undefined): boolean {
  return !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** SPEC §4: account data leaves only to the address on file, and only when everything matches. */
export function handleCsrRequest(input: InboundInput): Handled {
  const { core, msg, auth, ctx } = input;
  const verdict = judgeRequest(auth, core.authMode);
  // A forged sender would have the CSR mailed to the real customer: harmless, but not asked for.
  if (!verdict.accept) return review(input, verdict.reason, `CSR request not acted on: ${verdict.detail}`);
  const store = core.deps.store;
  const reading = readCsrRequest(msg);
  const sender = msg.from!.address;
  const problems: string[] = [];
  const accounts = [...new Set(reading.dids.map((d) => store.findAccountByDid(d)?.id).filter((id): id is string => !!id))];
  let account = accounts.length === 1 ? store.getAccount(accounts[0]!) : undefined;
  if (!reading.dids.length) problems.push('no telephone numbers were given');
  if (accounts.length > 1) problems.push('the numbers belong to more than one account');
  if (reading.dids.length && !accounts.length) problems.push('none of the numbers is on any account');
  if (!account && !reading.dids.length) account = store.listAccounts().find((a) => sameAddress(a.email, sender));
  if (account) {
    if (!sameAddress(sender, account.email)) problems.push('the request did not come from the e-mail address on file');
    if (reading.email && !sameAddress(reading.email, account.email)) problems.push('the account e-mail given does not match');
    const same = (a: string, b: string) => a !== '' && a === b;
    const nameOk =
      !!reading.name &&
      (same(normalizePersonName(reading.name), normalizePersonName(account.name)) ||
        (!!account.company && same(normalizeCompany(reading.name), normalizeCompany(account.company))));
    if (!reading.name) problems.push('no account name was given');
    else if (!nameOk) problems.push('the name does not match the account');
    if (!reading.techPrefix) problems.push('no tech prefix was given');
    else if (reading.techPrefix.trim().toLowerCase() !== account.techPrefix.trim().toLowerCase()) problems.push('the tech prefix does not match');
    const notOnAccount = reading.dids.filter((d) => !account!.dids.some((x) => x.number === d));
    if (notOnAccount.length) problems.push(`${notOnAccount.length} number(s) are not on the account`);
  } else if (!problems.length) problems.push('no account could be identified');

  const at = ctx.now.toISOString();
  const record: CsrRequest = {
    id: ctx.ids.recordId('csr'),
    from: sender,
    provided: {
      ...(reading.name ? { name: reading.name } : {}),
      ...(reading.email ? { email: reading.email } : {}),
      ...(reading.techPrefix ? { techPrefix: reading.techPrefix } : {}),
      dids: reading.dids,
    },
    ...(account ? { accountId: account.id } : {}),
    outcome: problems.length ? 'needs-review' : 'sent',
    reasons: problems,
    ...(msg.messageId ? { sourceMessageId: msg.messageId } : {}),
    at,
  };
  const thread = msg.messageId ? { inReplyTo: msg.messageId, references: [msg.messageId] } : {};
  if (problems.length || !account) {
    return {
      outcome: 'review',
      reviewReason: 'CSR_MISMATCH',
      reason: `CSR request needs review: ${problems.join('; ')}`,
      changes: { csrRequests: [record] },
      effects: [
        { kind: 'email', template: 'csr-received', to: [sender], data: {}, ...thread, autoSubmitted: 'auto-replied' },
        {
          kind: 'email',
          template: 'csr-needs-review',
          to: [core.deps.config.supportEmail],
          data: { from: sender, provided: { ...record.provided, numbers: reading.dids.map(formatNumber) }, problems },
          autoSubmitted: 'auto-generated',
        },
      ],
    };
  }
  return {
    outcome: 'processed',
    reason: 'CSR sent',
    changes: { csrRequests: [record] },
    effects: [
      {
        kind: 'email',
        template: 'csr',
        to: [account.email],
        cc: [core.deps.config.supportEmail],
        data: {
          account: { name: account.name, company: account.company, accountNumber: account.accountNumber, address: account.address },
          numbers: account.dids.map((d) => ({ number: formatNumber(d.number), status: d.status })),
          date: ctx.calendar.formatDate(ctx.calendar.today(ctx.now)),
        },
        ...thread,
        autoSubmitted: 'auto-replied',
      },
    ],
  };
}
