/**
 * Delay before the next retry: exponential in the attempt number, capped, with jitter. Pure — the
 * callers own the timers — so the curve is tested without waiting for it.
 */
export interface BackoffOptions {
  /** Delay of the first retry (attempt 0), before jitter. */
  baseMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
  /**
   * Share of the delay that is randomised, 0..1: the result lies in [d·(1−jitter), d]. Spreads
   * the reconnects of many clients after a server restart instead of having them all hit it at
   * the same instant.
   */
  jitter: number;
  /** Source of randomness in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 60_000, jitter: 0.5 };

/** Milliseconds to wait before retry number `attempt` (0 for the first retry). */
export function computeBackoff(attempt: number, { baseMs, maxMs, jitter, random = Math.random }: BackoffOptions): number {
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  const base = Math.max(0, baseMs);
  const cap = Math.max(0, maxMs);
  // 2 ** n overflows to Infinity for large n, which Math.min turns back into the cap.
  const ceiling = Math.min(cap, base * 2 ** n);
  const share = Math.min(1, Math.max(0, Number.isFinite(jitter) ? jitter : 0));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(ceiling * (1 - share * r));
}
