/**
 * Where the PostgreSQL store's start-up goes at growth size — what `growth@postgres` measures from
 * the outside, taken apart: `node --import tsx --expose-gc bench/pg-load-profile.ts [orders] [accounts]`.
 *
 * Starts a private PostgreSQL (bench/pg.ts), writes the growth database (bench/stores.ts), then:
 * 1. each of the store's load queries alone (pool.query: server, transfer and node-postgres
 *    parsing), and the server's share of each (EXPLAIN ANALYZE);
 * 2. `openPgStore` (what the daemon runs at start) under the V8 sampling profiler, with the
 *    process's memory before and after and the retained heap once the load is done;
 * 3. what the cold rows hold (JSON text characters) and the live accounts.
 * Writes the profile to bench/results/profiles/pg-load.cpuprofile and prints a summary.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPgPool, openPgStore } from '../src/adapters/pg-store.js';
import { freshDatabase, startBenchPostgres } from './pg.js';
import { buildGrowthDatabase } from './stores.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MB = 2 ** 20;
const orders = Number(process.argv[2] ?? 100_000);
const accounts = Number(process.argv[3] ?? 50_000);

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples?: number[];
  timeDeltas?: number[];
}

/** Self and total ms per function, heaviest first. */
function summarize(p: CpuProfile): { fn: string; selfMs: number; totalMs: number }[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ms = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) ms.set(samples[i]!, (ms.get(samples[i]!) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0) / 1000);
  const keyOf = (id: number) => {
    const f = byId.get(id)!.callFrame;
    const file = f.url ? f.url.replace(/^file:\/\//, '').replace(/^.*\/(src|node_modules|bench)\//, '$1/') : '';
    return `${f.functionName || '(anonymous)'} ${file}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  for (const [id, t] of ms) {
    self.set(keyOf(id), (self.get(keyOf(id)) ?? 0) + t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = keyOf(cur);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + t);
    }
  }
  return [...total.entries()].map(([fn, totalMs]) => ({ fn, selfMs: self.get(fn) ?? 0, totalMs }));
}

const gc = () => (globalThis as { gc?: () => void }).gc?.();
const mem = () => {
  const m = process.memoryUsage();
  return { rss: m.rss / MB, heapUsed: m.heapUsed / MB, external: m.external / MB, arrayBuffers: m.arrayBuffers / MB };
};
const fmt = (m: ReturnType<typeof mem>) => `rss ${m.rss.toFixed(0)} MB, heap used ${m.heapUsed.toFixed(0)} MB, external ${m.external.toFixed(0)} MB`;

async function main(): Promise<void> {
  process.stdout.write(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  const server = await startBenchPostgres();
  process.env.BENCH_PG_URL = server.url;
  const db = await freshDatabase();
  try {
    const built = await buildGrowthDatabase(db.url, { accounts, finished: orders, spareAccounts: 400, inbound: false });
    process.stdout.write(`database: ${orders} cold finished orders, ${accounts} accounts, ${built.dataMB.toFixed(0)} MB, written in ${(built.ms / 1000).toFixed(1)} s\n`);

    // 1. The load's queries alone, as load() sends them.
    const pool = createPgPool(db.url);
    const queries = {
      accounts: 'SELECT id AS k, data::text AS data, version FROM accounts',
      orders: 'SELECT id AS k, data::text AS data, version, state, token, verification_message_id, updated_at FROM orders ORDER BY created_at, id',
      'orders, jsonb as is (no ::text)': 'SELECT id AS k, data, version, state, token, verification_message_id, updated_at FROM orders ORDER BY created_at, id',
      'orders, ::text, no ORDER BY': 'SELECT id AS k, data::text AS data, version, state, token, verification_message_id, updated_at FROM orders',
      'cold orders, index columns only (split in SQL)':
        "SELECT id, token, verification_message_id FROM orders WHERE state IN ('completed', 'rejected', 'canceled') AND updated_at < now() - interval '30 days'",
    };
    for (const [what, sql] of Object.entries(queries)) {
      await pool.query(sql); // warm the cache
      const t0 = performance.now();
      const r = await pool.query(sql);
      const clientMs = performance.now() - t0;
      const plan = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, TIMING OFF) ${sql}`);
      const server = plan.rows.map((x) => x['QUERY PLAN']).find((l) => l.startsWith('Execution Time'));
      process.stdout.write(`query ${what}: ${r.rowCount} rows in ${clientMs.toFixed(0)} ms through pg; server ${server}\n`);
    }
    await pool.end();

    // 2. openPgStore under the profiler, memory around it.
    gc();
    const m0 = mem();
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    let peak = m0.rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss / MB)), 20);
    const t0 = performance.now();
    const store = await openPgStore(db.url, { migrate: false });
    const loadMs = performance.now() - t0;
    clearInterval(sampler);
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    const m1 = mem();
    gc();
    const m2 = mem();
    process.stdout.write(`openPgStore: ${loadMs.toFixed(0)} ms\n`);
    process.stdout.write(`memory before: ${fmt(m0)}\n  right after: ${fmt(m1)} (sampled peak rss ${peak.toFixed(0)} MB)\n  after a GC: ${fmt(m2)}\n`);
    process.stdout.write(`  retained by the store: heap ${(m2.heapUsed - m0.heapUsed).toFixed(0)} MB, rss ${(m2.rss - m0.rss).toFixed(0)} MB\n`);

    // 3. What the cold rows hold.
    const cold = (store as unknown as { archives: { orders: Map<string, string> } }).archives.orders;
    let chars = 0;
    for (const json of cold.values()) chars += json.length;
    process.stdout.write(`cold orders: ${cold.size} as JSON text, ${(chars / MB).toFixed(0)} M characters (${(chars / cold.size).toFixed(0)} a row); live accounts: ${store.listAccounts().length}\n`);
    const sample = cold.values().next().value as string | undefined;
    if (sample) process.stdout.write(`  jsonb::text vs JSON.stringify of a row: ${sample.length} vs ${JSON.stringify(JSON.parse(sample)).length} characters\n`);
    await store.close();

    const dir = path.join(HERE, 'results', 'profiles');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'pg-load.cpuprofile');
    await writeFile(file, JSON.stringify(profile));
    const rows = summarize(profile as unknown as CpuProfile);
    process.stdout.write(`\nprofile of openPgStore (${path.relative(process.cwd(), file)}), by total time:\n`);
    for (const r of [...rows].sort((a, b) => b.totalMs - a.totalMs).slice(0, 30)) process.stdout.write(`  ${r.totalMs.toFixed(0).padStart(6)} total ${r.selfMs.toFixed(0).padStart(6)} self  ${r.fn}\n`);
    process.stdout.write('by self time:\n');
    for (const r of [...rows].sort((a, b) => b.selfMs - a.selfMs).slice(0, 20)) process.stdout.write(`  ${r.selfMs.toFixed(0).padStart(6)} self  ${r.fn}\n`);
  } finally {
    await db.drop().catch(() => undefined);
    await server.stop();
  }
  process.stdout.write(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
}

void main();
