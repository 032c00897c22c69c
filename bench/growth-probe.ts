/**
 * One measurement of the growth scenario. The daemon runs as deployed — `node dist/cli.js start`
 * in a process of its own, no TypeScript loader, no benchmark code — so its resident memory is the
 * daemon's alone; this process holds the mailbox, the sink's handle and the generated requests.
 * It starts the daemon on DATA_DIR (argv[2]) — or on the database at argv[4] (DATABASE_URL) —
 * hands it the probe requests as a backlog dropped into its idle mailbox, and reports start-up
 * time, memory (from /proc) and cost per message.
 *
 * BENCH_DAEMON_NODE_FLAGS (space-separated) go to the daemon's node, e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof` to see where its start-up goes.
 */
import { openFileStore } from '../src/adapters/file-store.js';
import { openPgStore } from '../src/adapters/pg-store.js';
import type { Store } from '../src/ports/store.js';
import { signRequests, startCarrierDns } from './carrier-dkim.js';
import { generateRequests, makeAccounts } from './fixtures.js';
import { benchEnv, pollUntil, startMailbox, startSinkProcess } from './mailroom.js';
import { readMemory, spawnDaemon, type DaemonProcess } from './daemon-process.js';

export interface ProbeResult {
  /** Spawn of `node dist/cli.js start` → the daemon reports it is running (IMAP source ready). */
  startupMs: number;
  rssAfterStartMB: number;
  /** The daemon's VmHWM: the most resident memory it ever had, start-up included. */
  peakRssMB: number;
  rssEndMB: number;
  /** Delivery into the mailbox → the first probe handled (IDLE notice, archive index, …). */
  firstMessageMs: number;
  /** Steady cost: span between the first and last probe handled, per message. */
  msPerMessage: number;
  /** Delivery → every probe handled and every e-mail at the sink, per message. */
  totalMsPerMessage: number;
}

const [dataDir, probesArg, databaseUrl] = process.argv.slice(2);
const probes = Number(probesArg);
const accounts = makeAccounts(probes * 4, { didsPerAccount: 1 });
const unsigned = generateRequests(probes, accounts, { seed: 5150, unknownFrom: 44_000, tag: 'g' });

async function main(): Promise<void> {
  const { keys, dns } = await startCarrierDns();
  const requests = await signRequests(unsigned, keys, 'growth');
  const mailbox = await startMailbox();
  const sink = await startSinkProcess();
  let daemon: DaemonProcess | undefined;
  try {
    const env = benchEnv(mailbox, sink, dataDir!, { mode: 'enforce', dns }, { LOG_LEVEL: 'warn', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) });
    const t0 = performance.now();
    daemon = spawnDaemon(env);
    await daemon.ready;
    const startupMs = performance.now() - t0;
    const pid = daemon.child.pid!;
    const rssAfterStartMB = (await readMemory(pid)).rssMB;
    // Sampled throughout, so the figures show the course and not only the high-water mark.
    let maxSampledMB = rssAfterStartMB;
    const sampler = setInterval(() => {
      readMemory(pid).then((m) => (maxSampledMB = Math.max(maxSampledMB, m.rssMB)), () => undefined);
    }, 100);
    await new Promise((r) => setTimeout(r, 2000)); // settled into IDLE
    const sentBefore = sink.reports.length;
    let lastArrival = Date.now();
    sink.onReport(() => (lastArrival = Date.now()));
    const watcher = await mailbox.client();
    const d0 = Date.now();
    await mailbox.deliver(requests.map((r) => r.raw));
    // Done from the outside: every probe handled and moved out of INBOX, and the sink quiet (the
    // outbox is kicked as each message is handled). Checked against the records afterwards.
    await pollUntil(async () => {
      if (sink.reports.length - sentBefore === 0 || Date.now() - lastArrival < 1500) return false;
      const s = await watcher.status('INBOX', { messages: true });
      return s !== false && s.messages === 0;
    }, 30 * 60_000, 250);
    await watcher.logout().catch(() => watcher.close());
    clearInterval(sampler);
    const end = await readMemory(pid);
    await daemon.stop();

    // What the daemon recorded, read back: the file store, or the database as a reader (no lease).
    const store: Store = databaseUrl ? await openPgStore(databaseUrl, { migrate: false }) : await openFileStore(dataDir!);
    try {
      const missing = requests.filter((r) => !store.getInbound(r.messageId));
      const queued = store.listQueuedOutbox().length;
      if (missing.length || queued) throw new Error(`the daemon stopped with ${missing.length} probes unrecorded and ${queued} e-mails queued`);
      const lastMail = Math.max(...sink.reports.map((r) => r.at));
      const ats = requests.map((r) => Date.parse(store.getInbound(r.messageId)!.at)).sort((a, b) => a - b);
      const result: ProbeResult = {
        startupMs,
        rssAfterStartMB,
        peakRssMB: Math.max(end.hwmMB, maxSampledMB),
        rssEndMB: end.rssMB,
        firstMessageMs: ats[0]! - d0,
        msPerMessage: (ats[ats.length - 1]! - ats[0]!) / (ats.length - 1),
        totalMsPerMessage: (Math.max(lastMail, ats[ats.length - 1]!) - d0) / ats.length,
      };
      process.send?.({ ok: true, result });
    } finally {
      await store.close();
    }
  } catch (err) {
    process.send?.({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  } finally {
    await daemon?.stop();
    await sink.stop();
    await mailbox.stop();
    await dns.stop();
    process.disconnect?.();
  }
}

// No top-level await: the file must load the same whether the loader treats it as ESM or not.
void main();
