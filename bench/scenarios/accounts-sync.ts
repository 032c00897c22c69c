/**
 * Accounts from billing (SPEC §14): the daemon as deployed (`node dist/cli.js start`, built once
 * per run) syncs 50,000 accounts from a billing server (bench/billing-child.ts, a process of its
 * own) at ACCOUNTS_SYNC=1s.
 *
 * (a) First sync: an empty store (a new data directory, or a fresh database) → every account in
 *     the store, timed from the daemon's spawn, and from the request arriving at billing to the
 *     sync's `accounts synced from the source` log line (written once the commit has resolved:
 *     durable in the journal, or committed in the database). Resident memory right after it.
 * (b) A change: billing locks one account (a new ETag) → the lock committed; the wait for the
 *     next poll and the sync's own time (request arriving → commit) apart.
 * (c) No change: `unchangedSyncs` syncs in a row: requests per sync (each must be one 304), and
 *     what was written meanwhile — file store: the bytes of every file in DATA_DIR (journal,
 *     desk.json, archive); PostgreSQL: the commit sequence and the highest row version. The
 *     daemon's /proc/<pid>/io write_bytes is noted beside (it also counts anything else it writes).
 * (d) A restart on the synced store, billing unchanged: start → running, and what its first sync
 *     was (a 304, or a whole fetch, parse and comparison) and took.
 *
 * The timings compare Date.now() of three processes on one machine: billing's request log, the
 * daemon's log lines (pino `time`) and this process.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { JOURNAL_FILE, openFileStore } from '../../src/adapters/file-store.js';
import { openPgStore } from '../../src/adapters/pg-store.js';
import type { Store } from '../../src/ports/store.js';
import { clearPinIndices, type BillingRequestNote, type DocumentSpec } from '../billing-child.js';
import { buildDaemonOnce, MB, readMemory, readWriteBytes, spawnDaemon } from '../daemon-process.js';
import { benchEnv, forkHelper, makeDataDir, startDnsProcess, startMailbox, startSinkProcess, stopHelper } from '../mailroom.js';
import { makeTarget, targetEnv, type StoreKind } from '../pg.js';
import type { SizeSpec } from '../sizes.js';

interface SyncCounts {
  created: number;
  updated: number;
  closed: number;
  unchanged: number;
  total: number;
}

export interface AccountsSyncResult {
  storeKind: StoreKind;
  document: { accounts: number; numbers: number; locked: number; hashedPins: number; clearPins: number; MB: number; buildMs: number };
  first: {
    /** Spawn → the first request at billing (the daemon's start-up before the sync: store, schema…). */
    startToRequestMs: number;
    /** The request arriving at billing → its answer written out (the download, as billing saw it). */
    downloadMs: number;
    /** The request arriving → the sync's log line (commit resolved): the sync's own time. */
    syncMs: number;
    /** Spawn → every account in the store. */
    startToStoredMs: number;
    /** Spawn → `portdesk is running.` (the sync runs before the mail source starts). */
    startupMs: number;
    counts: SyncCounts;
    rssAfterSyncMB: number;
    /** VmHWM right after the sync: the most resident memory so far (the sync's peak). */
    peakRssMB: number;
    /** The daemon's write_bytes from its start to right after the sync (shows the counter works). */
    processWriteBytes?: number;
  };
  change: {
    /** Billing serves the changed document → the lock committed. */
    changeToStoredMs: number;
    /** The change → the next poll arriving (0 to ACCOUNTS_SYNC). */
    waitMs: number;
    downloadMs: number;
    /** The request arriving → the commit: the sync's own time. */
    syncMs: number;
    counts: SyncCounts;
  };
  unchanged: {
    syncs: number;
    windowMs: number;
    requests: number;
    notModified: number;
    requestsPerSync: number;
    /** File store: growth of DATA_DIR's files over the window (and the journal's alone). */
    bytesWritten?: number;
    journalBytes?: { before: number; after: number };
    /** PostgreSQL: commits numbered over the window (the commit sequence), and the highest version of any account. */
    commits?: number;
    maxAccountVersion?: { before: number; after: number };
    /** The daemon's write_bytes over the window (/proc/<pid>/io), where readable. */
    processWriteBytes?: number;
  };
  /**
   * (d) The daemon restarted on the synced store, billing unchanged: the first sync after a
   * start (before any mail is read) — a 304 if the validators outlived the restart, else a whole
   * fetch, parse and comparison.
   */
  restart: { startupMs: number; startToRequestMs: number; status: number; syncMs: number; counts?: SyncCounts; rssAfterSyncMB: number };
  rssEndMB: number;
  peakRssEndMB: number;
  /** Read back after the daemon stopped. */
  verified: { accounts: number; open: number; locked: boolean; lockedAccounts: number };
}

interface LogLine {
  time: number;
  level: number;
  msg: string;
  role?: string;
  [k: string]: unknown;
}

const SYNCED = 'accounts synced from the source';
const NOT_SYNCED = 'accounts not synced; the desk keeps the accounts it has';
const UNCHANGED = 'accounts source unchanged';

interface Billing {
  url: string;
  etag: string;
  bytes: number;
  buildMs: number;
  requests: BillingRequestNote[];
  lock(id: string): Promise<{ at: number; etag: string }>;
  until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void>;
  stop(): Promise<void>;
}

async function startBilling(spec: DocumentSpec): Promise<Billing> {
  const child = forkHelper('./billing-child.ts');
  const requests: BillingRequestNote[] = [];
  const checks = new Set<() => void>();
  const changed: ((x: { at: number; etag: string }) => void)[] = [];
  const ready = await new Promise<{ url: string; etag: string; bytes: number; buildMs: number }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`billing server exited with ${code}`)));
    child.on('message', (msg: { type: string } & Record<string, unknown>) => {
      if (msg.type === 'ready') resolve(msg as unknown as { url: string; etag: string; bytes: number; buildMs: number });
      if (msg.type === 'changed') changed.shift()?.(msg as unknown as { at: number; etag: string });
      if (msg.type === 'request') {
        requests.push(msg as unknown as BillingRequestNote);
        for (const c of [...checks]) c();
      }
    });
    child.send({ type: 'build', ...spec });
  });
  return {
    ...ready,
    requests,
    lock(id) {
      return new Promise((resolve) => {
        changed.push(resolve);
        child.send({ type: 'lock', id });
      });
    },
    until: (predicate, timeoutMs, what) => waitFor(checks, predicate, timeoutMs, () => `${what} (billing had ${requests.length} requests)`),
    stop: () => stopHelper(child),
  };
}

/** Resolves once `predicate` holds, checked whenever a check in `checks` is called. */
function waitFor(checks: Set<() => void>, predicate: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      let done: boolean;
      try {
        done = predicate();
      } catch (err) {
        checks.delete(check);
        clearTimeout(timer);
        return reject(err as Error);
      }
      if (!done) return;
      checks.delete(check);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      checks.delete(check);
      reject(new Error(`not within ${timeoutMs} ms: ${what()}`));
    }, timeoutMs);
    checks.add(check);
    check();
  });
}

/** Bytes of every file under `dir`, and of the journal. */
async function dirBytes(dir: string): Promise<{ total: number; journal: number }> {
  let total = 0;
  let journal = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const size = (await stat(file).catch(() => undefined))?.size ?? 0;
    total += size;
    if (file === path.join(dir, JOURNAL_FILE)) journal = size;
  }
  return { total, journal };
}

async function pgCounters(url: string): Promise<{ seq: number; maxVersion: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const seq = await c.query<{ last_value: string; is_called: boolean }>('SELECT last_value, is_called FROM portdesk_commit_seq');
    const v = await c.query<{ v: string | null }>('SELECT max(version) AS v FROM accounts');
    const row = seq.rows[0]!;
    return { seq: row.is_called ? Number(row.last_value) : 0, maxVersion: Number(v.rows[0]!.v ?? 0) };
  } finally {
    await c.end();
  }
}

const countsOf = (l: LogLine): SyncCounts => ({ created: Number(l.created), updated: Number(l.updated), closed: Number(l.closed), unchanged: Number(l.unchanged), total: Number(l.total) });

export async function runAccountsSync(size: SizeSpec, storeKind: StoreKind = 'file'): Promise<AccountsSyncResult> {
  const s = size.accountsSync;
  await buildDaemonOnce();
  const spec: DocumentSpec = { accounts: s.accounts, didsPerAccount: s.didsPerAccount, lockEvery: s.lockEvery, hashedPinEvery: s.hashedPinEvery, clearPins: s.clearPins };
  const billing = await startBilling(spec);
  const dns = await startDnsProcess([]);
  const mailbox = await startMailbox();
  const sink = await startSinkProcess();
  const data = await makeDataDir();
  const backing = await makeTarget(storeKind, data.dir);
  let daemon: ReturnType<typeof spawnDaemon> | undefined;
  try {
    // The daemon's log: the sync's lines are kept (and waited for); warnings and errors are shown.
    const lines: LogLine[] = [];
    const logChecks = new Set<() => void>();
    const onLine = (raw: string) => {
      let line: LogLine;
      try {
        line = JSON.parse(raw) as LogLine;
      } catch {
        process.stderr.write(`[daemon] ${raw}\n`);
        return;
      }
      if (line.level >= 40) process.stderr.write(`[daemon] ${raw}\n`);
      if (line.role !== 'accounts-sync') return;
      lines.push(line);
      for (const c of [...logChecks]) c();
    };
    const logUntil = (predicate: () => boolean, timeoutMs: number, what: string) =>
      waitFor(logChecks, () => {
        const failed = lines.find((l) => l.msg === NOT_SYNCED);
        if (failed) throw new Error(`the sync failed: ${String(failed.problem)}`);
        return predicate();
      }, timeoutMs, () => what);
    const synced = () => lines.filter((l) => l.msg === SYNCED);

    const env = benchEnv(mailbox, sink, data.dir, { mode: 'enforce', dns }, { LOG_LEVEL: 'debug', ACCOUNTS_URL: billing.url, ACCOUNTS_SYNC: '1s', ...targetEnv(backing.target) });
    // With `--profile`, the daemon is profiled (this process only waits).
    const profileDir = process.execArgv.find((a, i, all) => all[i - 1] === '--cpu-prof-dir');
    const nodeFlags = profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(profileDir, 'daemon')] : undefined;

    // (a) The first sync, on an empty store.
    const t0 = Date.now();
    daemon = spawnDaemon(env, { onStdoutLine: onLine, ...(nodeFlags ? { nodeFlags } : {}) });
    const pid = daemon.child.pid!;
    await logUntil(() => synced().length >= 1, 5 * 60_000, 'the first sync');
    const afterFirst = await readMemory(pid);
    const firstWrites = await readWriteBytes(pid);
    const firstLine = synced()[0]!;
    const firstRequest = billing.requests[0]!;
    await daemon.ready;
    const startupMs = Date.now() - t0;
    const first: AccountsSyncResult['first'] = {
      startToRequestMs: firstRequest.at - t0,
      downloadMs: firstRequest.doneAt - firstRequest.at,
      syncMs: firstLine.time - firstRequest.at,
      startToStoredMs: firstLine.time - t0,
      startupMs,
      counts: countsOf(firstLine),
      rssAfterSyncMB: afterFirst.rssMB,
      peakRssMB: afterFirst.hwmMB,
      ...(firstWrites !== undefined ? { processWriteBytes: firstWrites } : {}),
    };
    if (first.counts.created !== s.accounts) throw new Error(`the first sync created ${first.counts.created} accounts, not ${s.accounts}`);

    // (b) One account locked in billing: a new document, a new ETag. Let a conditional poll go first.
    await billing.until(() => billing.requests.some((r) => r.status === 304), 30_000, 'a 304 after the first sync');
    let lockIndex = Math.floor(s.accounts / 2) + 1;
    while (lockIndex % s.lockEvery === 13) lockIndex++;
    const lockId = `ACC-${lockIndex}`;
    const change = await billing.lock(lockId);
    await logUntil(() => synced().length >= 2, 5 * 60_000, 'the sync of the changed document');
    const changeLine = synced()[1]!;
    const changeRequest = billing.requests.find((r) => r.etag === change.etag && r.status === 200);
    if (!changeRequest) throw new Error('the changed document was never fetched');
    const changeResult: AccountsSyncResult['change'] = {
      changeToStoredMs: changeLine.time - change.at,
      waitMs: changeRequest.at - change.at,
      downloadMs: changeRequest.doneAt - changeRequest.at,
      syncMs: changeLine.time - changeRequest.at,
      counts: countsOf(changeLine),
    };

    // (c) Nothing changes: N syncs in a row. The window opens once the first poll after the
    // change has been answered and that sync is done (its debug line), so no write of the
    // change's sync is counted.
    const unchangedLines = () => lines.filter((l) => l.msg === UNCHANGED);
    const changeIndex = billing.requests.indexOf(changeRequest);
    await billing.until(() => billing.requests.length > changeIndex + 1, 30_000, 'the poll after the change');
    await logUntil(() => unchangedLines().some((l) => l.time >= billing.requests[changeIndex + 1]!.at), 30_000, 'the first unchanged sync');
    const openedAt = Date.now();
    const base = { requests: billing.requests.length, unchanged: unchangedLines().length };
    const filesBefore = storeKind === 'file' ? await dirBytes(data.dir) : undefined;
    const pgBefore = backing.target.databaseUrl ? await pgCounters(backing.target.databaseUrl) : undefined;
    const ioBefore = await readWriteBytes(pid);
    await logUntil(() => unchangedLines().length >= base.unchanged + s.unchangedSyncs, s.unchangedSyncs * 3_000 + 30_000, `${s.unchangedSyncs} unchanged syncs`);
    const closedAt = Date.now();
    const filesAfter = storeKind === 'file' ? await dirBytes(data.dir) : undefined;
    const pgAfter = backing.target.databaseUrl ? await pgCounters(backing.target.databaseUrl) : undefined;
    const ioAfter = await readWriteBytes(pid);
    const lastSync = unchangedLines()[base.unchanged + s.unchangedSyncs - 1]!;
    // Requests that belong to the window's syncs: arrived before the last of them was done.
    const windowRequests = billing.requests.slice(base.requests).filter((r) => r.at <= lastSync.time);
    const unchanged: AccountsSyncResult['unchanged'] = {
      syncs: s.unchangedSyncs,
      windowMs: closedAt - openedAt,
      requests: windowRequests.length,
      notModified: windowRequests.filter((r) => r.status === 304).length,
      requestsPerSync: windowRequests.length / s.unchangedSyncs,
      ...(filesBefore && filesAfter ? { bytesWritten: filesAfter.total - filesBefore.total, journalBytes: { before: filesBefore.journal, after: filesAfter.journal } } : {}),
      ...(pgBefore && pgAfter ? { commits: pgAfter.seq - pgBefore.seq, maxAccountVersion: { before: pgBefore.maxVersion, after: pgAfter.maxVersion } } : {}),
      ...(ioBefore !== undefined && ioAfter !== undefined ? { processWriteBytes: ioAfter - ioBefore } : {}),
    };
    const end = await readMemory(pid);
    await daemon.stop();

    // (d) A restart on the synced store, billing unchanged: what the first sync costs then.
    const seenLines = lines.length;
    const seenRequests = billing.requests.length;
    const r0 = Date.now();
    daemon = spawnDaemon(env, { onStdoutLine: onLine, ...(nodeFlags ? { nodeFlags } : {}) });
    const restartPid = daemon.child.pid!;
    await logUntil(() => lines.slice(seenLines).some((l) => l.msg === SYNCED || l.msg === UNCHANGED), 5 * 60_000, 'the sync after the restart');
    const afterRestart = await readMemory(restartPid);
    await daemon.ready;
    const restartLine = lines.slice(seenLines).find((l) => l.msg === SYNCED || l.msg === UNCHANGED)!;
    const restartRequest = billing.requests[seenRequests]!;
    const restart: AccountsSyncResult['restart'] = {
      startupMs: Date.now() - r0,
      startToRequestMs: restartRequest.at - r0,
      status: restartRequest.status,
      syncMs: restartLine.time - restartRequest.at,
      ...(restartLine.msg === SYNCED ? { counts: countsOf(restartLine) } : {}),
      rssAfterSyncMB: afterRestart.rssMB,
    };
    await daemon.stop();

    // What the daemon committed, read back.
    const store: Store = backing.target.databaseUrl ? await openPgStore(backing.target.databaseUrl, { migrate: false }) : await openFileStore(data.dir);
    let verified: AccountsSyncResult['verified'];
    try {
      const all = store.listAccounts();
      verified = {
        accounts: all.length,
        open: all.filter((a) => a.status === 'open').length,
        locked: store.getAccount(lockId)?.portOutLock === true,
        lockedAccounts: all.filter((a) => a.portOutLock).length,
      };
    } finally {
      await store.close();
    }
    const clear = clearPinIndices(spec);
    const every = (n: number, r: number) => Array.from({ length: s.accounts }, (_, i) => i).filter((i) => n > 0 && i % n === r);
    return {
      storeKind,
      document: {
        accounts: s.accounts,
        numbers: s.accounts * s.didsPerAccount,
        locked: every(s.lockEvery, 13).length,
        hashedPins: every(s.hashedPinEvery, 7).filter((i) => !clear.has(i)).length,
        clearPins: clear.size,
        MB: billing.bytes / MB,
        buildMs: billing.buildMs,
      },
      first,
      change: changeResult,
      unchanged,
      restart,
      rssEndMB: end.rssMB,
      peakRssEndMB: end.hwmMB,
      verified,
    };
  } finally {
    await daemon?.stop();
    await billing.stop();
    await sink.stop();
    await mailbox.stop();
    await dns.stop();
    await backing.remove();
    await data.remove();
  }
}
