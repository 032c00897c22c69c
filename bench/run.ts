/**
 * The benchmark suite: `npm run bench -- [--size small|full] [--only backlog,latency] [--store postgres] [--profile]`.
 *
 * Each scenario runs in a child process of its own (this file again, with --child), so one
 * scenario's heap, sockets and timers cannot slow the next, and resident memory is the desk's own.
 * The parent collects the results, prints a table with pass/fail per target, and writes one JSON
 * report to bench/results/. A missed target is reported, not an error: the exit code is 0 unless
 * a scenario crashed.
 *
 * Every scenario runs the desk as shipped (MAIL_AUTH=enforce) against a DNS server of its own;
 * `backlog-off` runs the backlog with MAIL_AUTH=off. The carriers' DKIM keys and signed messages
 * are made once per run, in a scratch directory the children find in BENCH_RUN_DIR.
 *
 * `--store postgres` (the same as `--store file,postgres`) runs the backlog, latency, reply round,
 * jobs, growth, accounts-sync and webhooks scenarios on PostgreSQL too, each right after its run
 * on the file store, so the report sets them side by side from one run on one machine state. One
 * private PostgreSQL server (bench/pg.ts) serves the whole run; each scenario run makes fresh
 * databases on it (the children find its URL in BENCH_PG_URL) and the daemon gets DATABASE_URL.
 * The load average is noted before and after every run.
 *
 * `webhooks` is the backlog in three modes (events off, to a healthy receiver, to a dead port),
 * off-healthy-dead-dead-healthy-off: each of those runs is a process of its own too, and their
 * results are merged into one.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { writeJson } from './mailroom.js';
import { serverSettings, startBenchPostgres, STORE_KINDS, type StoreKind } from './pg.js';
import { formatReport, judge, resultKey, type LoadNote } from './report.js';
import { PG_SCENARIOS, SCENARIOS, SIZES, type ScenarioName, type SizeName } from './sizes.js';
import type { WebhooksResult } from './scenarios/webhooks.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

async function runScenario(name: ScenarioName, size: SizeName, store: StoreKind, webhookMode?: string): Promise<unknown> {
  const spec = SIZES[size];
  if (store !== 'file' && !(PG_SCENARIOS as readonly string[]).includes(name)) throw new Error(`${name} runs on the file store only`);
  switch (name) {
    case 'baseline':
      return (await import('./scenarios/baseline.js')).runBaseline(spec);
    case 'backlog':
      return (await import('./scenarios/backlog.js')).runBacklog(spec, 'enforce', { storeKind: store });
    case 'backlog-off':
      return (await import('./scenarios/backlog.js')).runBacklog(spec, 'off');
    case 'backlog-pdf':
      return (await import('./scenarios/backlog.js')).runBacklog(spec, 'enforce', { loaEvery: 10 });
    case 'latency':
      return (await import('./scenarios/latency.js')).runLatency(spec, store);
    case 'reply-round':
      return (await import('./scenarios/reply-round.js')).runReplyRound(spec, store);
    case 'growth':
      return (await import('./scenarios/growth.js')).runGrowth(spec, store);
    case 'jobs':
      return (await import('./scenarios/jobs.js')).runJobs(spec, store);
    case 'accounts-sync':
      return (await import('./scenarios/accounts-sync.js')).runAccountsSync(spec, store);
    case 'webhooks':
      return (await import('./scenarios/webhooks.js')).runWebhooks(spec, store, webhookMode ? [webhookMode as 'off' | 'healthy' | 'dead'] : undefined);
    case 'console-pages':
      return (await import('./scenarios/console.js')).runConsolePages(spec);
    case 'backlog-console':
      return (await import('./scenarios/console.js')).runBacklogConsole(spec, true);
    case 'backlog-console-off':
      return (await import('./scenarios/console.js')).runBacklogConsole(spec, false);
    case 'hostile-readers':
      return (await import('./hostile-readers.js')).runHostileReaders();
  }
}

/** Runs one scenario in a fresh Node process; resolves with its result or its error text. */
function forkScenario(name: ScenarioName, size: SizeName, store: StoreKind, profileDir: string | undefined, extra: string[] = []): Promise<{ ok: true; result: unknown } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    // One directory per scenario: the module loader's thread writes a profile of its own, and a
    // fixed file name would let it overwrite the main thread's.
    const execArgv = ['--import', 'tsx', ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []), ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(profileDir, `${name}${store === 'file' ? '' : `-${store}`}-${size}`)] : [])];
    const child = fork(fileURLToPath(import.meta.url), ['--child', name, '--size', size, '--child-store', store, ...extra], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    child.on('message', (msg: { ok: boolean; result?: unknown; error?: string }) => {
      settled = true;
      resolve(msg.ok ? { ok: true, result: msg.result } : { ok: false, error: msg.error ?? 'unknown error' });
    });
    child.on('exit', (code, signal) => {
      if (!settled) resolve({ ok: false, error: `scenario process exited (${signal ?? code}) without a result` });
    });
  });
}

/** The webhooks scenario's runs (webhookOrder), each forked on its own, as one result. */
async function forkWebhooks(size: SizeName, store: StoreKind, profileDir: string | undefined): Promise<{ ok: true; result: unknown } | { ok: false; error: string }> {
  const { webhookOrder } = await import('./scenarios/webhooks.js');
  const merged: WebhooksResult = { storeKind: store, messages: SIZES[size].backlog.requests, runs: [] };
  for (const [i, mode] of webhookOrder(SIZES[size]).entries()) {
    process.stderr.write(`[bench]   webhooks${store === 'file' ? '' : `@${store}`} run ${i + 1}: WEBHOOK_URL ${mode === 'off' ? 'unset' : mode === 'healthy' ? 'to a receiver' : 'to a dead port'}…\n`);
    const r = await forkScenario('webhooks', size, store, profileDir && path.join(profileDir, `webhooks-${i + 1}-${mode}`), ['--webhook-mode', mode]);
    if (!r.ok) return r;
    merged.runs.push(...(r.result as WebhooksResult).runs);
  }
  return { ok: true, result: merged };
}

async function main(): Promise<void> {
  const program = new Command()
    .option('--size <size>', 'small (CI) or full', 'small')
    .option('--only <names>', `comma-separated scenarios (${SCENARIOS.join(', ')})`)
    .option('--store <stores>', `file, or postgres (= file,postgres): ${PG_SCENARIOS.join(', ')} also on PostgreSQL, beside the file store`, 'file')
    .option('--profile', 'write a V8 CPU profile per scenario to bench/results/profiles/')
    .option('--child <name>', 'internal: run one scenario in this process')
    .option('--child-store <store>', 'internal: the store the child runs its scenario on', 'file')
    .option('--growth-store <which>', 'internal: big or empty')
    .option('--webhook-mode <mode>', 'internal: the webhooks scenario run in one mode (off, healthy, dead)');
  program.parse();
  const opts = program.opts<{ size: string; only?: string; store: string; profile?: boolean; child?: string; childStore: string; growthStore?: string; webhookMode?: string }>();
  if (!(opts.size in SIZES)) throw new Error(`--size must be one of ${Object.keys(SIZES).join(', ')}`);
  const size = opts.size as SizeName;

  if (opts.child) {
    try {
      if (!STORE_KINDS.includes(opts.childStore as StoreKind)) throw new Error(`unknown store ${opts.childStore}`);
      const result = await runScenario(opts.child as ScenarioName, size, opts.childStore as StoreKind, opts.webhookMode);
      process.send?.({ ok: true, result });
    } catch (err) {
      process.send?.({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
    // Profiles are written at a normal exit; disconnecting lets the event loop end.
    process.disconnect?.();
    setTimeout(() => process.exit(0), 2000).unref();
    return;
  }

  const stores = opts.store.split(',').map((s) => s.trim());
  for (const st of stores) if (!STORE_KINDS.includes(st as StoreKind)) throw new Error(`unknown store ${st}; choose from ${STORE_KINDS.join(', ')}`);
  // PostgreSQL's figures are judged against the file store's from the same run: it always comes along.
  const onPostgres = stores.includes('postgres');
  const wanted = opts.only ? opts.only.split(',').map((s) => s.trim()) : [...SCENARIOS];
  for (const w of wanted) if (!SCENARIOS.includes(w as ScenarioName)) throw new Error(`unknown scenario ${w}; choose from ${SCENARIOS.join(', ')}`);
  // The backlog with PDFs is judged against the backlog without them, from the same run.
  if (wanted.includes('backlog-pdf') && !wanted.includes('backlog')) wanted.push('backlog');
  // The backlog is judged against a baseline, and against itself without authentication, from the same run.
  if (wanted.includes('backlog') && !wanted.includes('baseline')) wanted.unshift('baseline');
  if (wanted.includes('backlog') && !wanted.includes('backlog-off')) wanted.push('backlog-off');
  // The price of authentication is read from two runs of each mode in A-B-B-A order, so a drift
  // of the machine over the runs (heat, page cache, a neighbour) weighs on both alike.
  const pairAuth = wanted.includes('backlog') && wanted.includes('backlog-off');
  // The same for the console's price: on, off, off, on.
  if (wanted.includes('backlog-console') && !wanted.includes('backlog-console-off')) wanted.push('backlog-console-off');
  const pairConsole = wanted.includes('backlog-console') && wanted.includes('backlog-console-off');
  const order = SCENARIOS.filter((s) => wanted.includes(s)).flatMap((s): ScenarioName[] =>
    s === 'backlog-off' && pairAuth
      ? []
      : s === 'backlog' && pairAuth
        ? ['backlog', 'backlog-off', 'backlog-off', 'backlog']
        : s === 'backlog-console-off' && pairConsole
          ? []
          : s === 'backlog-console' && pairConsole
            ? Array.from({ length: SIZES[size].backlogConsole.rounds }).flatMap((): ScenarioName[] => ['backlog-console', 'backlog-console-off', 'backlog-console-off', 'backlog-console'])
            : [s],
  );
  // Each scenario that runs on PostgreSQL does so right after its file store run (the backlog's
  // A-B-B-A order thus holds two of each), so a drift of the machine weighs on both alike.
  const runs = order.flatMap((name): { name: ScenarioName; store: StoreKind }[] => [
    { name, store: 'file' },
    ...(onPostgres && (PG_SCENARIOS as readonly string[]).includes(name) ? [{ name, store: 'postgres' as const }] : []),
  ]);
  const profileDir = opts.profile ? path.join(HERE, 'results', 'profiles') : undefined;

  const startedAt = new Date();
  const t0 = performance.now();
  const results: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  const authRuns: { enforce?: number[]; off?: number[] } = {};
  if (pairAuth) results['auth-runs'] = authRuns;
  const consoleRuns: { on: boolean; msgPerSec: number; drainMsgPerSec: number; cpuMsPerMsg: number }[] = [];
  if (pairConsole) results['console-runs'] = consoleRuns;
  // Throughput of every backlog run on each store (as shipped, MAIL_AUTH=enforce), in the order run.
  const storeRuns: { file: number[]; postgres: number[] } = { file: [], postgres: [] };
  if (onPostgres && order.includes('backlog')) results['store-runs'] = storeRuns;
  // The machine's load (1/5/15-minute averages) before and after every run: the machine has two
  // cores and other work runs on it.
  const load: LoadNote[] = [];
  results['load'] = load;
  // The children (and the growth probes they start) inherit it; see carrier-dkim.ts.
  const runDir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-bench-run-'));
  process.env.BENCH_RUN_DIR = runDir;
  let postgres: Awaited<ReturnType<typeof startBenchPostgres>> | undefined;
  try {
    if (runs.some((x) => x.store === 'postgres')) {
      process.stderr.write('[bench] starting a private PostgreSQL…\n');
      postgres = await startBenchPostgres();
      process.env.BENCH_PG_URL = postgres.url;
      results['postgres'] = await serverSettings(postgres.url);
    }
    for (const { name, store } of runs) {
      const key = resultKey(name, store);
      const s0 = performance.now();
      const before = os.loadavg();
      process.stderr.write(`[bench] ${key} (${size}), load ${before.map((x) => x.toFixed(2)).join(' ')}…\n`);
      // The webhooks scenario: each mode in a process of its own (see webhooks.ts), the runs merged.
      const r = name === 'webhooks' ? await forkWebhooks(size, store, profileDir) : await forkScenario(name, size, store, profileDir);
      const after = os.loadavg();
      load.push({ run: key, before, after, seconds: (performance.now() - s0) / 1000 });
      if (store === 'postgres') {
        if (r.ok) {
          if (name === 'backlog') storeRuns.postgres.push((r.result as { msgPerSec: number }).msgPerSec);
          results[key] ??= r.result;
        } else errors[key] = r.error;
        process.stderr.write(`[bench] ${key} ${r.ok ? 'done' : 'FAILED'} in ${((performance.now() - s0) / 1000).toFixed(1)} s\n`);
        continue;
      }
      if (r.ok) {
        if (name === 'backlog') storeRuns.file.push((r.result as { msgPerSec: number }).msgPerSec);
        // A repeated run only adds its throughput to the comparison; the table shows the first.
        const throughput = (r.result as { msgPerSec?: number }).msgPerSec;
        if (pairAuth && (name === 'backlog' || name === 'backlog-off') && throughput !== undefined) {
          (authRuns[name === 'backlog' ? 'enforce' : 'off'] ??= []).push(throughput);
        }
        if (pairConsole && (name === 'backlog-console' || name === 'backlog-console-off') && throughput !== undefined) {
          const b = r.result as { drainMsgPerSec: number; cpuMsPerMsg: number };
          consoleRuns.push({ on: name === 'backlog-console', msgPerSec: throughput, drainMsgPerSec: b.drainMsgPerSec, cpuMsPerMsg: b.cpuMsPerMsg });
        }
        results[name] ??= r.result;
      } else errors[name] = r.error;
      process.stderr.write(`[bench] ${name} ${r.ok ? 'done' : 'FAILED'} in ${((performance.now() - s0) / 1000).toFixed(1)} s\n`);
    }
  } finally {
    await postgres?.stop();
    await rm(runDir, { recursive: true, force: true });
  }
  const report = {
    startedAt: startedAt.toISOString(),
    size,
    machine: { cores: os.availableParallelism(), cpu: os.cpus()[0]?.model ?? 'unknown', memoryMB: Math.round(os.totalmem() / 2 ** 20), node: process.version, platform: `${os.platform()} ${os.release()}` },
    totalSeconds: (performance.now() - t0) / 1000,
    results,
    errors,
    targets: judge(results),
  };
  const file = path.join(HERE, 'results', `bench-${size}-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  await writeJson(file, report);
  process.stdout.write(formatReport(report) + `\nreport: ${path.relative(process.cwd(), file)}\n`);
  if (Object.keys(errors).length) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
