/**
 * One measurement of the growth scenario, in a process of its own so its resident memory is the
 * daemon's alone: start the daemon on DATA_DIR (argv[2]), then hand it the probe requests as a
 * backlog dropped into its idle mailbox, and report start-up time, memory and cost per message.
 */
import { generateRequests, makeAccounts } from './fixtures.js';
import { benchConfig, pollUntil, runDaemon, startMailbox, startSinkProcess } from './mailroom.js';

export interface ProbeResult {
  startupMs: number;
  rssAfterStartMB: number;
  peakRssMB: number;
  rssEndMB: number;
  /** Delivery into the mailbox → the first probe handled (IDLE notice, archive index, …). */
  firstMessageMs: number;
  /** Steady cost: span between the first and last probe handled, per message. */
  msPerMessage: number;
  /** Delivery → every probe handled and every e-mail at the sink, per message. */
  totalMsPerMessage: number;
}

const MB = 2 ** 20;
const [dataDir, probesArg] = process.argv.slice(2);
const probes = Number(probesArg);
const accounts = makeAccounts(probes * 4, { didsPerAccount: 1 });
const requests = generateRequests(probes, accounts, { seed: 5150, unknownFrom: 44_000, tag: 'g' });

async function main(): Promise<void> {
  const mailbox = await startMailbox();
  const sink = await startSinkProcess();
  try {
    const config = benchConfig(mailbox, sink, dataDir!);
    const t0 = performance.now();
    const daemon = await runDaemon(config);
    const startupMs = performance.now() - t0;
    const rssAfterStartMB = process.memoryUsage().rss / MB;
    await new Promise((r) => setTimeout(r, 2000)); // settled into IDLE
    const sentBefore = sink.reports.length;
    const d0 = Date.now();
    await mailbox.deliver(requests.map((r) => r.raw));
    await pollUntil(() => {
      const s = daemon.store.stats();
      return requests.every((r) => daemon.store.getInbound(r.messageId)) && s.live.queuedOutbox === 0 && sink.reports.length - sentBefore > 0;
    }, 30 * 60_000, 50);
    // Every e-mail the probes caused has been accepted once nothing is queued.
    const lastMail = Math.max(...sink.reports.map((r) => r.at));
    const ats = requests.map((r) => Date.parse(daemon.store.getInbound(r.messageId)!.at)).sort((a, b) => a - b);
    const result: ProbeResult = {
      startupMs,
      rssAfterStartMB,
      peakRssMB: (process.resourceUsage().maxRSS * 1024) / MB,
      rssEndMB: process.memoryUsage().rss / MB,
      firstMessageMs: ats[0]! - d0,
      msPerMessage: (ats[ats.length - 1]! - ats[0]!) / (ats.length - 1),
      totalMsPerMessage: (Math.max(lastMail, ats[ats.length - 1]!) - d0) / ats.length,
    };
    await daemon.stop();
    process.send?.({ ok: true, result });
  } catch (err) {
    process.send?.({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  } finally {
    await sink.stop();
    await mailbox.stop();
    process.disconnect?.();
}
}

// No top-level await: the file must load the same whether the loader treats it as ESM or not.
void main();
