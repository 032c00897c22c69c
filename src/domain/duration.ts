/**
 * Durations as operators write them: `90s`, `15m`, `72h`, `5d`. Seconds, minutes and hours are
 * elapsed time; days are calendar days in the desk's time zone (so `5d` across a DST change is
 * still "same wall-clock time five days later"). The dates module applies them.
 */
export type DurationUnit = 's' | 'm' | 'h' | 'd';

export interface Duration {
  amount: number;
  unit: DurationUnit;
}

const DURATION = /^\s*(\d+)\s*(s|m|h|d)\s*$/i;

/** Parses `72h`; returns undefined when the text is not a duration. */
export function parseDuration(text: string): Duration | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  return { amount: Number(m[1]), unit: m[2]!.toLowerCase() as DurationUnit };
}

const UNIT_MS: Record<DurationUnit, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Nominal length in milliseconds (a day counted as 24 h); for ordering and display only. */
export function durationMs(d: Duration): number {
  return d.amount * UNIT_MS[d.unit];
}

export function formatDuration(d: Duration): string {
  return `${d.amount}${d.unit}`;
}

/** Words for e-mails: "72 hours", "5 days". */
export function describeDuration(d: Duration): string {
  const word = { s: 'second', m: 'minute', h: 'hour', d: 'day' }[d.unit];
  return `${d.amount} ${word}${d.amount === 1 ? '' : 's'}`;
}
