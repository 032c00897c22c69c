/**
 * A customer's request for their Customer Service Record (SPEC §4): account data leaves only to
 * the address on file, and only when name, tech prefix and numbers all match one account. A
 * request whose From domain fails DMARC under quarantine or reject is parked (§11).
 */
import { judgeRequest } from '../../domain/mail-auth.js';
import { matchCsrRequest } from '../../domain/csr-match.js';
import { formatNumber } from '../../domain/phone.js';
import type { CsrRequest } from '../../domain/records.js';
import { readCsrRequest } from '../../mail/read-csr-request.js';
import { review, type Handled, type InboundInput } from './handled.js';

/** SPEC §4: account data leaves only to the address on file, and only when everything matches. */
export function handleCsrRequest(input: InboundInput): Handled {
  const { core, msg, auth, ctx } = input;
  const verdict = judgeRequest(auth, core.authMode);
  // A forged sender would have the CSR mailed to the real customer: harmless, but not asked for.
  if (!verdict.accept) return review(input, verdict.reason, `CSR request not acted on: ${verdict.detail}`);
  const reading = readCsrRequest(msg);
  const sender = msg.from!.address;
  const { account, problems } = matchCsrRequest(
    { sender, ...(reading.name ? { name: reading.name } : {}), ...(reading.email ? { email: reading.email } : {}), ...(reading.techPrefix ? { techPrefix: reading.techPrefix } : {}), dids: reading.dids },
    core.deps.store,
  );

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
