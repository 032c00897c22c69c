/**
 * 50,000 orders waiting for their customers, 10,000 of whose windows ran out at once: the time
 * for one expiry run (auto-match, decide, render and queue the e-mails, commit). The desk is
 * built on the file store with a renderer and no mailer: delivery is not part of the job.
 */
import { openFileStore } from '../../src/adapters/file-store.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { buildDesk } from '../../src/main.js';
import { systemClock } from '../../src/ports/clock.js';
import { startCarrierDns } from '../carrier-dkim.js';
import { makeDataDir } from '../mailroom.js';
import type { SizeSpec } from '../sizes.js';
import { buildJobsStore } from '../stores.js';

export interface JobsResult {
  open: number;
  expired: number;
  expiryMs: number;
  openMs: number;
  buildMs: number;
  detail: Record<string, number>;
  emailsQueued: number;
  store: { commits: number; journalSyncs: number; compactions: number };
}

export async function runJobs(size: SizeSpec): Promise<JobsResult> {
  const { open, expiring } = size.jobs;
  const data = await makeDataDir();
  // The job reads no mail, but the desk is built as shipped: authenticating, through the bench DNS.
  const { dns } = await startCarrierDns();
  try {
    const built = await buildJobsStore(data.dir, { accounts: open, open, expiring });
    const env = { DATA_DIR: data.dir, TIMEZONE: 'America/New_York', MAIL_FROM: 'porting@example.test', MAIL_AUTH: 'enforce', MAIL_AUTH_DNS: dns.address, LOG_LEVEL: 'silent' };
    const config = loadConfig(env, { dotenv: false });
    const o0 = performance.now();
    const store = await openFileStore(data.dir);
    const openMs = performance.now() - o0;
    const { desk, resolver } = buildDesk(config, { store, clock: systemClock, log: silentLogger(), deliverOnQueue: false });
    const queuedBefore = store.stats().live.queuedOutbox;
    const t0 = performance.now();
    const result = await desk.expireVerifications();
    const expiryMs = performance.now() - t0;
    const stats = store.stats();
    resolver?.close();
    await store.close();
    return {
      open,
      expired: result.changed,
      expiryMs,
      openMs,
      buildMs: built.ms,
      detail: result.detail ?? {},
      emailsQueued: stats.live.queuedOutbox - queuedBefore,
      store: { commits: stats.commits, journalSyncs: stats.journalSyncs, compactions: stats.compactions },
    };
  } finally {
    await dns.stop();
    await data.remove();
  }
}
