/**
 * The benchmark suite: `npm run bench -- [--size small|full] [--only backlog,latency] [--profile]`.
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
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { writeJson } from './mailroom.js';
import { formatReport, judge } from './report.js';
import { SCENARIOS, SIZES, type ScenarioName, type SizeName } from './sizes.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

async function runScenario(name: ScenarioName, size: SizeName): Promise<unknown> {
  const spec = SIZES[size];
  switch (name) {
    case 'baseline':
      return (await import('./scenarios/baseline.js')).runBaseline(spec);
    case 'backlog':
      return (await import('./scenarios/backlog.js')).runBacklog(spec, 'enforce');
    case 'backlog-off':
      return (await import('./scenarios/backlog.js')).runBacklog(spec, 'off');
    case 'backlog-pdf':
      return (await import('./scenarios/backlog.js')).runBacklog(spec, 'enforce', { loaEvery: 10 });
    case 'latency':
      return (await import('./scenarios/latency.js')).runLatency(spec);
    case 'reply-round':
      return (await import('./scenarios/reply-round.js')).runReplyRound(spec);
    case 'growth':
      return (await import('./scenarios/growth.js')).runGrowth(spec);
    case 'jobs':
      return (await import('./scenarios/jobs.js')).runJobs(spec);
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
function forkScenario(name: ScenarioName, size: SizeName, profileDir: string | undefined, extra: string[] = []): Promise<{ ok: true; result: unknown } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    // One directory per scenario: the module loader's thread writes a profile of its own, and a
    // fixed file name would let it overwrite the main thread's.
    const execArgv = ['--import', 'tsx', ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []), ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(profileDir, `${name}-${size}`)] : [])];
    const child = fork(fileURLToPath(import.meta.url), ['--child', name, '--size', size, ...extra], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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

async function main(): Promise<void> {
  const program = new Command()
    .option('--size <size>', 'small (CI) or full', 'small')
    .option('--only <names>', `comma-separated scenarios (${SCENARIOS.join(', ')})`)
    .option('--profile', 'write a V8 CPU profile per scenario to bench/results/profiles/')
    .option('--child <name>', 'internal: run one scenario in this process')
    .option('--growth-store <which>', 'internal: big or empty');
  program.parse();
  const opts = program.opts<{ size: string; only?: string; profile?: boolean; child?: string; growthStore?: string }>();
  if (!(opts.size in SIZES)) throw new Error(`--size must be one of ${Object.keys(SIZES).join(', ')}`);
  const size = opts.size as SizeName;

  if (opts.child) {
    try {
      const result = await runScenario(opts.child as ScenarioName, size);
      process.send?.({ ok: true, result });
    } catch (err) {
      process.send?.({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
    // Profiles are written at a normal exit; disconnecting lets the event loop end.
    process.disconnect?.();
    setTimeout(() => process.exit(0), 2000).unref();
    return;
  }

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
  const profileDir = opts.profile ? path.join(HERE, 'results', 'profiles') : undefined;

  const startedAt = new Date();
  const t0 = performance.now();
  const results: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  const authRuns: { enforce?: number[]; off?: number[] } = {};
  if (pairAuth) results['auth-runs'] = authRuns;
  const consoleRuns: { on: boolean; msgPerSec: number; drainMsgPerSec: number; cpuMsPerMsg: number }[] = [];
  if (pairConsole) results['console-runs'] = consoleRuns;
  // The children (and the growth probes they start) inherit it; see carrier-dkim.ts.
  const runDir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-bench-run-'));
  process.env.BENCH_RUN_DIR = runDir;
  try {
    for (const name of order) {
      const s0 = performance.now();
      process.stderr.write(`[bench] ${name} (${size})…\n`);
      const r = await forkScenario(name, size, profileDir);
      if (r.ok) {
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
