/**
 * 50,000 orders waiting for their customers, 10,000 of whose windows ran out at once: the time
 * for one expiry run (auto-match, decide, render and queue the e-mails, commit). The desk is
 * built on the store (the file store, or PostgreSQL with the lease taken as the daemon holds it)
 * with a renderer and no mailer: delivery is not part of the job.
 */
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { buildDesk } from '../../src/main.js';
import { systemClock } from '../../src/ports/clock.js';
import { startCarrierDns } from '../carrier-dkim.js';
import { makeDataDir } from '../mailroom.js';
import { liveCounts, makeTarget, writeCounters, type StoreKind } from '../pg.js';
import type { SizeSpec } from '../sizes.js';
import { buildJobsStore, openStoreWriter } from '../stores.js';

export interface JobsResult {
  /** Where the records were: the file store, or PostgreSQL. */
  storeKind: StoreKind;
  open: number;
  expired: number;
  expiryMs: number;
  openMs: number;
  buildMs: number;
  detail: Record<string, number>;
  emailsQueued: number;
  /** The file store's write counters (none on PostgreSQL). */
  store?: { commits: number; journalSyncs: number; compactions: number };
}

export async function runJobs(size: SizeSpec, storeKind: StoreKind = 'file'): Promise<JobsResult> {
  const { open, expiring } = size.jobs;
  const data = await makeDataDir();
  const backing = await makeTarget(storeKind, data.dir);
  // The job reads no mail, but the desk is built as shipped: authenticating, through the bench DNS.
  const { dns } = await startCarrierDns();
  try {
    const built = await buildJobsStore(backing.target, { accounts: open, open, expiring });
    const env = { DATA_DIR: data.dir, TIMEZONE: 'America/New_York', MAIL_FROM: 'porting@example.test', MAIL_AUTH: 'enforce', MAIL_AUTH_DNS: dns.address, LOG_LEVEL: 'silent' };
    const config = loadConfig(env, { dotenv: false });
    const o0 = performance.now();
    const writer = await openStoreWriter(backing.target);
    const store = writer.store;
    const openMs = performance.now() - o0;
    const { desk, resolver } = buildDesk(config, { store, clock: systemClock, log: silentLogger(), deliverOnQueue: false });
    const queuedBefore = liveCounts(store).queuedOutbox;
    const t0 = performance.now();
    const result = await desk.expireVerifications();
    // Durable: on PostgreSQL every transaction of the run has committed.
    await store.flush();
    const expiryMs = performance.now() - t0;
    const queuedAfter = liveCounts(store).queuedOutbox;
    const counters = writeCounters(store);
    resolver?.close();
    await writer.close();
    return {
      storeKind,
      open,
      expired: result.changed,
      expiryMs,
      openMs,
      buildMs: built.ms,
      detail: result.detail ?? {},
      emailsQueued: queuedAfter - queuedBefore,
      ...(counters ? { store: counters } : {}),
    };
  } finally {
    await dns.stop();
    await backing.remove();
    await data.remove();
  }
}
