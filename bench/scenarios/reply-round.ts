/**
 * 2,000 open verifications answered at once by their customers: the time until every decision
 * is recorded and every carrier e-mail (approval or rejection) has reached the sink.
 *
 * The open verifications are made by the desk itself (its own use case on the store the daemon
 * then runs on — the file store or PostgreSQL — no mail servers), so the orders, tokens and
 * verification texts are exactly what the desk writes; their e-mails are then marked sent so the
 * daemon starts with an empty outbox.
 */
import { silentLogger } from '../../src/logger.js';
import { buildDesk } from '../../src/main.js';
import { systemClock } from '../../src/ports/clock.js';
import { signRequests, startCarrierDns } from '../carrier-dkim.js';
import { buildReply, createRandom, generateRequests, makeAccounts } from '../fixtures.js';
import { benchConfig, makeDataDir, pollUntil, runDaemon, startMailbox, startSinkProcess } from '../mailroom.js';
import { makeTarget, targetEnv, type StoreKind } from '../pg.js';
import type { SizeSpec } from '../sizes.js';
import { openStoreWriter } from '../stores.js';

export interface ReplyRoundResult {
  /** Where the desk kept its records: the file store, or PostgreSQL (DATABASE_URL). */
  storeKind: StoreKind;
  startupMs: number;
  replies: number;
  ms: number;
  msgPerSec: number;
  approved: number;
  rejected: number;
  pending: number;
  carrierEmails: number;
  prepareMs: number;
}

export async function runReplyRound(size: SizeSpec, storeKind: StoreKind = 'file'): Promise<ReplyRoundResult> {
  const n = size.replyRound.verifications;
  const accounts = makeAccounts(n, { didsPerAccount: 20 });
  const { keys, dns } = await startCarrierDns();
  const unsigned = accounts.map((a, i) => generateRequests(1, [a], { seed: 9000 + i, unknownFrom: n * 20, tag: `r${i}` })[0]!);
  const requests = await signRequests(unsigned, keys, 'reply-round');
  const mailbox = await startMailbox();
  const sink = await startSinkProcess();
  const data = await makeDataDir();
  const backing = await makeTarget(storeKind, data.dir);
  try {
    const config = benchConfig(mailbox, sink, data.dir, { mode: 'enforce', dns }, targetEnv(backing.target));
    const p0 = performance.now();
    const writer = await openStoreWriter(backing.target);
    const store = writer.store;
    await store.commit({ accounts });
    const { desk, resolver } = buildDesk(config, { store, clock: systemClock, log: silentLogger(), deliverOnQueue: false });
    for (const r of requests) await desk.handleMessage(r.raw, {});
    resolver?.close();
    const now = new Date().toISOString();
    const queued = store.listQueuedOutbox();
    await store.commit({ outbox: queued.map((e) => ({ ...e, status: 'sent' as const, attempts: 1, sentAt: now })) });
    const verifications = store
      .listOutbox()
      .filter((e) => e.template === 'customer-verification')
      .map((e) => ({ customer: e.to[0]!, replyTo: e.replyTo ?? 'porting@example.test', subject: e.subject, messageId: e.messageId, text: e.text, orderId: e.orderId! }));
    await writer.close();
    const prepareMs = performance.now() - p0;

    const random = createRandom(31337);
    const replies = verifications.map((v, i) => buildReply(v, i, random).raw);
    const orderIds = new Set(verifications.map((v) => v.orderId));
    const s0 = Date.now();
    const daemon = await runDaemon(config);
    const startupMs = Date.now() - s0;
    await new Promise((r) => setTimeout(r, 2000)); // settled into IDLE
    const carrierDone = new Map<string, number>();
    sink.onReport((r) => {
      if (r.orderId && orderIds.has(r.orderId) && r.to.some((t) => t.startsWith('lnp@'))) carrierDone.set(r.orderId, r.at);
    });
    const t0 = Date.now();
    await mailbox.deliver(replies);
    await sink.until(() => carrierDone.size >= orderIds.size, 30 * 60_000);
    const ms = Math.max(...carrierDone.values()) - t0;
    await pollUntil(async () => (await mailbox.count()) === 0, 60_000, 200);
    const states = [...orderIds].map((id) => daemon.store.getOrder(id)?.state);
    await daemon.stop();
    return {
      storeKind,
      startupMs,
      replies: replies.length,
      ms,
      msgPerSec: (replies.length / ms) * 1000,
      approved: states.filter((s) => s === 'approved').length,
      rejected: states.filter((s) => s === 'rejected').length,
      pending: states.filter((s) => s === 'pending_verification').length,
      carrierEmails: carrierDone.size,
      prepareMs,
    };
  } finally {
    await dns.stop();
    await sink.stop();
    await mailbox.stop();
    await backing.remove();
    await data.remove();
  }
}
