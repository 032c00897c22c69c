/**
 * A browser's side of the console, in a process of its own (so its work is not charged to the
 * desk it measures), driven over IPC by bench/scenarios/console.ts:
 *
 * - `signin`: GET /signin (the pre-session cookie and the form's token), POST /signin, keep the
 *   session cookie; every later request carries it.
 * - `measure`: each case's paths requested one at a time over keep-alive HTTP (node's fetch),
 *   the cases interleaved round by round so a drift of the machine weighs on all alike; the time
 *   is from the request to the last byte of the body.
 * - `dashboard`: what a wall screen does while the desk works: /healthz and /metrics every
 *   second, the signed-in orders page every 500 ms, each loop one request in flight at most.
 */
import { performance } from 'node:perf_hooks';

export interface CaseSpec {
  name: string;
  /** Requested in turn, round robin (different search terms, ids…). */
  paths: string[];
  /** A string every good answer's body holds. */
  expect: string;
}

export interface CaseResult {
  name: string;
  requests: number;
  errors: number;
  firstError?: string;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  /** Mean body size (bytes). */
  bytes: number;
}

export interface DashboardLoop {
  requests: number;
  errors: number;
  firstError?: string;
  p50: number;
  p95: number;
  max: number;
}

export interface DashboardReport {
  seconds: number;
  healthz: DashboardLoop;
  metrics: DashboardLoop;
  orders: DashboardLoop;
}

type Command =
  | { type: 'signin'; base: string; user: string; password: string }
  | { type: 'measure'; cases: CaseSpec[]; warmup: number; requests: number }
  | { type: 'dashboard'; base: string; healthEveryMs: number; ordersEveryMs: number; ordersPath: string }
  | { type: 'stop' };

let base = '';
let cookie = '';

/** The value of `name=` among the response's Set-Cookie headers. */
function setCookie(res: Response, name: string): string | undefined {
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    if (pair?.startsWith(`${name}=`) && pair.length > name.length + 1) return pair;
  }
  return undefined;
}

async function signIn(user: string, password: string): Promise<number> {
  const t0 = performance.now();
  const form = await fetch(`${base}/signin`, { redirect: 'manual' });
  const html = await form.text();
  const pre = setCookie(form, 'portdesk_signin');
  const csrf = /name="_csrf" value="([^"]*)"/.exec(html)?.[1];
  if (!pre || !csrf) throw new Error(`GET /signin gave no pre-session cookie or form token (${form.status})`);
  const res = await fetch(`${base}/signin`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: pre },
    body: new URLSearchParams({ _csrf: csrf, next: '/', name: user, password }).toString(),
  });
  await res.arrayBuffer();
  const session = setCookie(res, 'portdesk_session');
  if (res.status !== 303 || !session) throw new Error(`POST /signin answered ${res.status} without a session`);
  cookie = session;
  return performance.now() - t0;
}

/** One GET with the session; its time (ms), or the reason it was no good. */
async function get(path: string, expect: string): Promise<{ ms: number; bytes: number; error?: string }> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${base}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    const body = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200) return { ms, bytes: body.length, error: `${path}: HTTP ${res.status}` };
    if (!body.includes(expect)) return { ms, bytes: body.length, error: `${path}: the page lacks "${expect}"` };
    return { ms, bytes: Buffer.byteLength(body) };
  } catch (err) {
    return { ms: performance.now() - t0, bytes: 0, error: `${path}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Nearest-rank percentile of sorted values. */
function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function measure(cases: CaseSpec[], warmup: number, requests: number): Promise<CaseResult[]> {
  const times = cases.map(() => [] as number[]);
  const bytes = cases.map(() => 0);
  const errors = cases.map(() => [] as string[]);
  for (let round = 0; round < warmup + requests; round++) {
    for (let c = 0; c < cases.length; c++) {
      const spec = cases[c]!;
      const r = await get(spec.paths[round % spec.paths.length]!, spec.expect);
      if (round < warmup) continue;
      if (r.error) errors[c]!.push(r.error);
      times[c]!.push(r.ms);
      bytes[c]! += r.bytes;
    }
  }
  return cases.map((spec, c) => {
    const t = times[c]!.sort((a, b) => a - b);
    return {
      name: spec.name,
      requests: t.length,
      errors: errors[c]!.length,
      ...(errors[c]!.length ? { firstError: errors[c]![0] } : {}),
      p50: pct(t, 50),
      p95: pct(t, 95),
      p99: pct(t, 99),
      max: t[t.length - 1] ?? NaN,
      mean: t.reduce((a, b) => a + b, 0) / t.length,
      bytes: bytes[c]! / t.length,
    };
  });
}

interface Loop {
  times: number[];
  errors: string[];
}

let dashboard: { stopped: boolean; loops: Promise<void>[]; started: number; stats: Record<'healthz' | 'metrics' | 'orders', Loop> } | undefined;

/** Requests `paths` in turn every `everyMs` (or as soon as the last answered, when slower). */
async function poll(paths: { path: string; expect: string; into: Loop }[], everyMs: number): Promise<void> {
  let next = performance.now();
  while (!dashboard?.stopped) {
    for (const p of paths) {
      const r = await get(p.path, p.expect);
      p.into.times.push(r.ms);
      if (r.error) p.into.errors.push(r.error);
    }
    next += everyMs;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else next = performance.now();
  }
}

function loopReport(l: Loop): DashboardLoop {
  const t = [...l.times].sort((a, b) => a - b);
  return { requests: t.length, errors: l.errors.length, ...(l.errors.length ? { firstError: l.errors[0] } : {}), p50: pct(t, 50), p95: pct(t, 95), max: t[t.length - 1] ?? NaN };
}

async function handle(cmd: Command): Promise<unknown> {
  switch (cmd.type) {
    case 'signin':
      base = cmd.base;
      return { signinMs: await signIn(cmd.user, cmd.password) };
    case 'measure':
      return { results: await measure(cmd.cases, cmd.warmup, cmd.requests) };
    case 'dashboard': {
      base = cmd.base;
      const stats = { healthz: { times: [], errors: [] }, metrics: { times: [], errors: [] }, orders: { times: [], errors: [] } };
      dashboard = { stopped: false, loops: [], started: performance.now(), stats };
      dashboard.loops.push(
        poll(
          [
            { path: '/healthz', expect: '"status"', into: stats.healthz },
            { path: '/metrics', expect: 'portdesk_orders', into: stats.metrics },
          ],
          cmd.healthEveryMs,
        ),
        poll([{ path: cmd.ordersPath, expect: 'orders-results', into: stats.orders }], cmd.ordersEveryMs),
      );
      return { started: true };
    }
    case 'stop': {
      if (!dashboard) return {};
      dashboard.stopped = true;
      await Promise.all(dashboard.loops);
      const d = dashboard;
      const report: DashboardReport = { seconds: (performance.now() - d.started) / 1000, healthz: loopReport(d.stats.healthz), metrics: loopReport(d.stats.metrics), orders: loopReport(d.stats.orders) };
      return report;
    }
  }
}

process.on('message', (cmd: Command) => {
  handle(cmd).then(
    (result) => process.send?.({ ok: true, result }),
    (err: unknown) => process.send?.({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ok: true, result: 'ready' });
