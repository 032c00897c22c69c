/**
 * The desk idle on IDLE; port requests appended one at a time at random intervals; the time
 * from the APPEND to the verification arriving at the sink.
 */
import { signRequests, startCarrierDns } from '../carrier-dkim.js';
import { createRandom, generateRequests, makeAccounts } from '../fixtures.js';
import { benchConfig, makeDataDir, runDaemon, seedAccounts, startMailbox, startSinkProcess } from '../mailroom.js';
import { makeTarget, targetEnv, type StoreKind } from '../pg.js';
import type { SizeSpec } from '../sizes.js';

export interface LatencyResult {
  /** Where the desk kept its records: the file store, or PostgreSQL (DATABASE_URL). */
  storeKind: StoreKind;
  /** The daemon's start-up (ms), store open included. */
  startupMs: number;
  requests: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** APPEND → the desk starts handling it (IDLE notice, fetch, parse). */
  pickupP50: number;
  pickupP95: number;
  /** Handling starts → verification accepted by the sink (decide, render, commit, SMTP). */
  handlingP50: number;
  handlingP95: number;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export async function runLatency(size: SizeSpec, storeKind: StoreKind = 'file'): Promise<LatencyResult> {
  const { requests: n, minGapMs, maxGapMs } = size.latency;
  // One account per request with room for 20 numbers, no PIN or lock: every request is verified.
  const accounts = makeAccounts(n, { didsPerAccount: 20 });
  const { keys, dns } = await startCarrierDns();
  const unsigned = accounts.map((a, i) => generateRequests(1, [a], { seed: 7000 + i, unknownFrom: n * 20, tag: `l${i}` })[0]!);
  const requests = await signRequests(unsigned, keys, 'latency');
  const random = createRandom(4242);

  const mailbox = await startMailbox();
  const sink = await startSinkProcess();
  const data = await makeDataDir();
  const backing = await makeTarget(storeKind, data.dir);
  try {
    await seedAccounts(backing.target, accounts);
    const s0 = Date.now();
    const daemon = await runDaemon(benchConfig(mailbox, sink, data.dir, { mode: 'enforce', dns }, targetEnv(backing.target)));
    const startupMs = Date.now() - s0;
    const appender = await mailbox.client();
    const arrived = new Map<string, number>();
    sink.onReport((r) => {
      if (r.subject.includes('Please confirm')) for (const to of r.to) if (!arrived.has(to)) arrived.set(to, r.at);
    });
    // Let the source finish its first pass and settle into IDLE.
    await new Promise((r) => setTimeout(r, 2000));
    const sentAt: number[] = [];
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setTimeout(r, minGapMs + random() * (maxGapMs - minGapMs)));
      sentAt.push(Date.now());
      await appender.append('INBOX', requests[i]!.raw);
    }
    const emails = accounts.map((a) => a.email.toLowerCase());
    await sink.until(() => emails.every((e) => arrived.has(e)), 120_000);
    const total: number[] = [];
    const pickup: number[] = [];
    const handling: number[] = [];
    for (let i = 0; i < n; i++) {
      const at = arrived.get(emails[i]!)!;
      const handled = Date.parse(daemon.store.getInbound(requests[i]!.messageId)?.at ?? '');
      total.push(at - sentAt[i]!);
      pickup.push(handled - sentAt[i]!);
      handling.push(at - handled);
    }
    await appender.logout().catch(() => appender.close());
    await daemon.stop();
    return {
      storeKind,
      startupMs,
      requests: n,
      p50: percentile(total, 50),
      p95: percentile(total, 95),
      p99: percentile(total, 99),
      max: Math.max(...total),
      pickupP50: percentile(pickup, 50),
      pickupP95: percentile(pickup, 95),
      handlingP50: percentile(handling, 50),
      handlingP95: percentile(handling, 95),
    };
  } finally {
    await dns.stop();
    await sink.stop();
    await mailbox.stop();
    await backing.remove();
    await data.remove();
  }
}
