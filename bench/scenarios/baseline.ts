/**
 * The ceiling for ingest: imapflow fetching the backlog's messages (full source) and mailparser
 * parsing each, nothing else — no classification, no store, no MOVE, no SMTP.
 */
import { simpleParser } from 'mailparser';
import { makeAccounts, generateRequests } from '../fixtures.js';
import { startMailbox } from '../mailroom.js';
import type { SizeSpec } from '../sizes.js';
import { backlogAccountOptions, BACKLOG_SEED } from './backlog.js';

export interface BaselineResult {
  messages: number;
  bytes: number;
  ms: number;
  msgPerSec: number;
}

export async function runBaseline(size: SizeSpec): Promise<BaselineResult> {
  const { requests: n, accounts: a } = size.backlog;
  const accounts = makeAccounts(a, backlogAccountOptions);
  const requests = generateRequests(n, accounts, { seed: BACKLOG_SEED, unknownFrom: a * backlogAccountOptions.didsPerAccount, tag: 'b' });
  const mailbox = await startMailbox();
  try {
    await mailbox.deliver(requests.map((r) => r.raw));
    // Same starting point as the backlog: Dovecot has already indexed the new messages.
    await mailbox.prime();
    const client = await mailbox.client();
    try {
      await client.mailboxOpen('INBOX', { readOnly: true });
      let messages = 0;
      let bytes = 0;
      const t0 = performance.now();
      for await (const m of client.fetch('1:*', { uid: true, source: true })) {
        if (!m.source) continue;
        await simpleParser(m.source);
        messages++;
        bytes += m.source.length;
      }
      const ms = performance.now() - t0;
      return { messages, bytes, ms, msgPerSec: (messages / ms) * 1000 };
    } finally {
      await client.logout().catch(() => client.close());
    }
  } finally {
    await mailbox.stop();
  }
}
