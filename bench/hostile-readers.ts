/**
 * Hostile text against the pure mail readers (SPEC §10: "every parser is linear and capped early"):
 * `node --import tsx bench/hostile-readers.ts [--shapes a,b] [--readers x,y]`.
 *
 * Each shape is text built to make a careless pattern backtrack or a careless loop rescan: a long
 * blank run before a colon, "1-" repeated, "<" repeated before an address, a line of digits, many
 * labelled lines, and the like. Every reader is timed on each shape at 32, 64, 128 and 256 KB, and
 * the row is judged by time(256K) / time(64K): about 4 when the work grows with the text, about
 * 16 when it grows with its square. A reader that cuts its input early (readReply reads 200,000
 * characters of a part) shows less than 4, which is what a cap is for; the cut can also drop a
 * shape's last characters (the colon after the blanks), so such a row compares two shapes.
 *
 * A row is SUPERLINEAR at a ratio of 8 or more when time(128K) / time(32K), the same fourfold
 * step lower down, is 8 or more too, and the exit code is then 1. Work that grows with the square
 * of the text shows about 16 on both; one slow reading (the machine busy with something else) or a
 * cut that changes the shape at 256K shows on one only. Times are the fastest of several runs,
 * each run of sub-millisecond readings a batch of them, so the scheduler and the garbage collector
 * weigh as little as they can. A row whose reading passes SLOW_READING_MS stops there and is
 * judged on the sizes it reached.
 *
 * It runs in this one process, not as a scenario of run.ts: the readers are pure functions, with
 * no desk, store or mail server to keep apart from the next scenario.
 */
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { classifyMessage } from '../src/mail/classify-message.js';
import { extractNumbers } from '../src/mail/extract-numbers.js';
import { readCarrierNotice } from '../src/mail/read-carrier-notice.js';
import { readCsrRequest } from '../src/mail/read-csr-request.js';
import { readPortLabels } from '../src/mail/read-port-labels.js';
import { readPortRequest } from '../src/mail/read-port-request.js';
import { readReply } from '../src/mail/read-reply.js';
import { htmlToText } from '../src/mail/text/html-to-text.js';
import { compileLabelReader } from '../src/mail/text/labels.js';
import { cutQuotedAndSignature, walkQuotedLines } from '../src/mail/text/quotes.js';
import type { InboundMessage } from '../src/mail/types.js';
import { inboundMessage } from '../test/support/inbound-message.js';

const KB = 1024;
const SIZES = [32 * KB, 64 * KB, 128 * KB, 256 * KB] as const;
/**
 * time(256K) / time(64K) at or above this is not linear (linear is about 4, quadratic about 16);
 * time(128K) / time(32K) must reach it too where both were measured.
 */
const SUPERLINEAR_RATIO = 8;
/** A single reading slower than this ends the row: the larger sizes would only take minutes more. */
const SLOW_READING_MS = 3_000;
/** Each size is read until this much time is spent (and at least MIN_SAMPLES times). */
const SAMPLE_BUDGET_MS = 60;
const MIN_SAMPLES = 3;
const MAX_SAMPLES = 200;
/** A reading faster than this is timed in batches, so the timer's resolution does not decide. */
const BATCH_FLOOR_MS = 1;

/** `unit` repeated to `size` characters (cut to fit), after `head` and before `tail`. */
function fill(size: number, unit: string, head = '', tail = ''): string {
  const room = Math.max(0, size - head.length - tail.length);
  return head + unit.repeat(Math.ceil(room / unit.length)).slice(0, room) + tail;
}

/**
 * Whole lines from `line(i)`, as many as fit in `size` characters. A line cut at the end could
 * become another shape (a marker line without its tail), and the ratio would compare two shapes.
 */
function lines(size: number, line: (i: number) => string): string {
  const out: string[] = [];
  let length = 0;
  for (let i = 0; ; i += 1) {
    const next = line(i);
    if (length + next.length + 1 > size) break;
    out.push(next);
    length += next.length + 1;
  }
  return out.join('\n');
}

/** `n` in base 36, six places: PO- order ids, all different. */
const orderId = (n: number): string => `PO-${n.toString(36).toUpperCase().padStart(6, '0')}`;

/** Distinct valid numbers: 206-200-0000, 206-200-0001, … then the next exchange. */
const validNumber = (n: number): string => `206-${String(200 + Math.floor(n / 10_000)).padStart(3, '0')}-${String(n % 10_000).padStart(4, '0')}`;
/** Distinct number-shaped strings no area code allows (a NANP area code never starts with 1). */
const invalidNumber = (n: number): string => `1${String(Math.floor(n / 10_000) % 100).padStart(2, '0')}-555-${String(n % 10_000).padStart(4, '0')}`;

interface Shape {
  name: string;
  build: (size: number) => string;
}

/** The shapes; each builds text of about `size` characters. */
const SHAPES: readonly Shape[] = [
  { name: 'spaces then a colon', build: (n) => fill(n, ' ', '', ':') },
  { name: 'tabs then a colon', build: (n) => fill(n, '\t', '', ':') },
  { name: 'PIN then spaces then a colon', build: (n) => fill(n, ' ', 'PIN', ':') },
  { name: 'Account Name then blanks and no value', build: (n) => fill(n, ' \t', 'Account Name', 'x') },
  { name: '"1-" repeated', build: (n) => fill(n, '1-') },
  { name: '"206-555-" repeated', build: (n) => fill(n, '206-555-') },
  { name: '"<" repeated then "@x>:"', build: (n) => fill(n, '<', '', '@x>:') },
  { name: 'one line of digits', build: (n) => fill(n, '2065550100') },
  { name: '"PIN: 1234" lines', build: (n) => lines(n, () => 'PIN: 1234') },
  { name: 'label soup on one line', build: (n) => fill(n, 'PON: A  PIN: 1  Account: 2  Name: B | ZIP: 98101 ; BTN: 206-555-0100  TN: ') },
  { name: 'pipes and semicolons', build: (n) => fill(n, ' | ; ', 'PIN:') },
  { name: '"a:" after wide gaps', build: (n) => fill(n, '  a', 'PIN:', ':') },
  { name: 'dashes', build: (n) => fill(n, '-') },
  { name: '"wrote:" lines', build: (n) => lines(n, (i) => `On Mon, Jan ${i % 28 + 1}, 2026 Jane <jane@x.test> wrote: yes`) },
  { name: 'one long "On …" line without "wrote:"', build: (n) => fill(n, 'On x ') },
  { name: '"Original Message" lines', build: (n) => lines(n, () => '-----Original Message----- x') },
  { name: 'From/Sent lines', build: (n) => lines(n, (i) => (i % 2 === 0 ? 'From: a' : 'x')) },
  { name: 'many empty lines', build: (n) => fill(n, '\n', 'Name:') },
  { name: 'many short lines', build: (n) => lines(n, (i) => 'abc'[i % 3] ?? '') },
  { name: 'bidi controls', build: (n) => fill(n, 'PIN\u202e: 206\u2066-555-0100\u2069\u202c \u200f') },
  { name: 'distinct numbers', build: (n) => lines(n, validNumber) },
  { name: 'distinct invalid numbers', build: (n) => lines(n, invalidNumber) },
  { name: 'distinct order ids', build: (n) => lines(n, orderId) },
  { name: 'nested tags', build: (n) => fill(n, '<div>') },
  { name: '"<option>" repeated', build: (n) => fill(n, '<option>') },
  { name: '"<li>" repeated', build: (n) => fill(n, '<li>') },
  { name: '"<dd>" repeated', build: (n) => fill(n, '<dd>') },
  { name: '"<" repeated without ">"', build: (n) => fill(n, '<') },
  { name: 'deep nesting then "<script" repeated', build: (n) => fill(n, '<script', '<div>'.repeat(250)) },
  { name: 'table cells', build: (n) => fill(n, '<tr><td>PIN</td><td>1234</td></tr>', '<table>', '</table>') },
];

/** A carrier's message holding `text`, as the readers get it from parse-message.ts. */
function message(text: string, overrides: Partial<InboundMessage> = {}): InboundMessage {
  return inboundMessage({ from: { address: 'lnp@carrier.example.test' }, subject: 'Port-out request', text, size: text.length, ...overrides });
}

/** A label table of its own, so the label reader is timed apart from the request's vocabulary. */
const readFewLabels = compileLabelReader([
  { key: 'pin', pattern: String.raw`pin(?:[ \t]*code)?` },
  { key: 'tn', pattern: String.raw`tn|telephone[ \t]*number` },
  { key: 'zip', pattern: String.raw`zip(?:[ \t]*code)?` },
  { key: 'name', pattern: String.raw`(?:account[ \t]*)?name` },
]);

interface Reader {
  name: string;
  /** Builds what the reader takes from the text, outside the timed part. */
  prepare: (text: string) => unknown;
  read: (input: never) => unknown;
}

const reader = <T>(name: string, prepare: (text: string) => T, read: (input: T) => unknown): Reader => ({
  name,
  prepare,
  read: read as (input: never) => unknown,
});

const deskCtx = { deskAddresses: ['porting@example.test'] };

const READERS: readonly Reader[] = [
  reader('extractNumbers', (t) => t, (t) => extractNumbers(t)),
  reader('readPortLabels', (t) => t, (t) => readPortLabels(t)),
  reader('compileLabelReader', (t) => t, (t) => readFewLabels(t)),
  reader('cutQuotedAndSignature', (t) => t, (t) => cutQuotedAndSignature(t)),
  reader('walkQuotedLines', (t) => t.split('\n'), (l) => walkQuotedLines(l, { ruleStartsHistory: true })),
  reader('htmlToText', (t) => t, (t) => htmlToText(t)),
  reader('readPortRequest', (t) => message(t), (m) => readPortRequest(m)),
  reader('readPortRequest (html)', (t) => message('', { html: t, contentType: 'text/html' }), (m) => readPortRequest(m)),
  reader('readReply', (t) => ({ text: t }), (b) => readReply(b)),
  reader('readReply (html)', (t) => ({ text: '', html: t }), (b) => readReply(b)),
  reader('readCarrierNotice', (t) => message(t, { subject: 'Port completed' }), (m) => readCarrierNotice(m)),
  reader('readCsrRequest', (t) => message(t, { subject: 'CSR request' }), (m) => readCsrRequest(m)),
  reader('classifyMessage', (t) => message(t), (m) => classifyMessage(m, deskCtx)),
];

/**
 * The fastest time of one reading (ms). A reading slower than SAMPLE_BUDGET_MS is taken once more
 * at most: at that length the scheduler's noise is a small part of it, and a slow row would
 * otherwise spend seconds on repeats.
 */
function time(run: () => unknown): number {
  const t0 = performance.now();
  run();
  const once = performance.now() - t0;
  if (once >= SLOW_READING_MS) return once;
  const batch = once >= BATCH_FLOOR_MS ? 1 : Math.min(1_000, Math.ceil(BATCH_FLOOR_MS / Math.max(once, 0.001)));
  const minSamples = once >= SAMPLE_BUDGET_MS ? 1 : MIN_SAMPLES;
  let best = once;
  let spent = once;
  for (let samples = 0; samples < MAX_SAMPLES && (samples < minSamples || spent < SAMPLE_BUDGET_MS); samples += 1) {
    const s0 = performance.now();
    for (let i = 0; i < batch; i += 1) run();
    const took = performance.now() - s0;
    spent += took;
    best = Math.min(best, took / batch);
  }
  return best;
}

export interface Row {
  shape: string;
  reader: string;
  /** ms per size of SIZES; undefined where the row stopped (a reading slower than SLOW_READING_MS). */
  ms: (number | undefined)[];
  /**
   * Growth over a fourfold text: time(256K) / time(64K); when the row stopped early, time(128K) /
   * time(32K), or (time(64K) / time(32K))² as the last resort.
   */
  ratio: number | undefined;
  ratioOf: '256/64' | '128/32' | '(64/32)²' | 'none';
  /** time(128K) / time(32K), which confirms a 256/64 ratio; undefined when that is not the ratio. */
  check: number | undefined;
  verdict: 'linear' | 'SUPERLINEAR';
}

function measure(shape: Shape, r: Reader): Row {
  // One reading of the smallest text first: compiling the patterns and the reader's code is not
  // what is measured.
  r.read(r.prepare(shape.build(SIZES[0])) as never);
  const ms: (number | undefined)[] = [];
  for (const size of SIZES) {
    const input = r.prepare(shape.build(size));
    const took = time(() => r.read(input as never));
    ms.push(took);
    if (took >= SLOW_READING_MS) break;
  }
  while (ms.length < SIZES.length) ms.push(undefined);
  const [t32, t64, t128, t256] = ms;
  let ratio: number | undefined;
  let ratioOf: Row['ratioOf'] = 'none';
  let check: number | undefined;
  if (t256 !== undefined && t64 !== undefined) {
    ratio = t256 / t64;
    ratioOf = '256/64';
    if (t128 !== undefined && t32 !== undefined) check = t128 / t32;
  } else if (t128 !== undefined && t32 !== undefined) {
    ratio = t128 / t32;
    ratioOf = '128/32';
  } else if (t64 !== undefined && t32 !== undefined) {
    ratio = (t64 / t32) ** 2;
    ratioOf = '(64/32)²';
  }
  // No ratio at all: 32K alone took seconds, which is no linear reader's speed.
  const grows = ratio === undefined || (ratio >= SUPERLINEAR_RATIO && (check === undefined || check >= SUPERLINEAR_RATIO));
  return { shape: shape.name, reader: r.name, ms, ratio, ratioOf, check, verdict: grows ? 'SUPERLINEAR' : 'linear' };
}

const formatMs = (v: number | undefined): string =>
  v === undefined ? 'skipped' : v < 1 ? v.toFixed(3) : v < 100 ? v.toFixed(2) : v.toFixed(0);

function pick<T extends { name: string }>(all: readonly T[], wanted: readonly string[] | undefined, what: string): T[] {
  if (!wanted) return [...all];
  for (const name of wanted) if (!all.some((x) => x.name === name)) throw new Error(`unknown ${what} "${name}"; choose from: ${all.map((x) => x.name).join(', ')}`);
  return all.filter((x) => wanted.includes(x.name));
}

export interface HostileReadersResult {
  rows: Row[];
  /** Rows judged SUPERLINEAR. */
  superlinear: number;
  seconds: number;
}

/** Every chosen reader on every chosen shape (all of them by default); `onRow` sees each row as it is done. */
export function runHostileReaders(options: { shapes?: readonly string[]; readers?: readonly string[]; onRow?: (row: Row) => void } = {}): HostileReadersResult {
  const shapes = pick(SHAPES, options.shapes, 'shape');
  const readers = pick(READERS, options.readers, 'reader');
  const t0 = performance.now();
  const rows: Row[] = [];
  for (const shape of shapes) {
    for (const r of readers) {
      const row = measure(shape, r);
      rows.push(row);
      options.onRow?.(row);
    }
  }
  return { rows, superlinear: rows.filter((row) => row.verdict === 'SUPERLINEAR').length, seconds: (performance.now() - t0) / 1000 };
}

function main(): void {
  const program = new Command()
    .option('--shapes <names>', 'comma-separated shapes (default: all; no name holds a comma)')
    .option('--readers <names>', 'comma-separated readers (default: all)');
  program.parse();
  const opts = program.opts<{ shapes?: string; readers?: string }>();
  const list = (names: string | undefined): string[] | undefined => names?.split(',').map((name) => name.trim());
  const shapes = list(opts.shapes);
  const readers = list(opts.readers);

  const header = ['shape', 'reader', ...SIZES.map((s) => `${s / KB}K ms`), 'ratio', '128K/32K', 'verdict'];
  const widths = [
    Math.max(header[0]!.length, ...pick(SHAPES, shapes, 'shape').map((s) => s.name.length)),
    Math.max(header[1]!.length, ...pick(READERS, readers, 'reader').map((r) => r.name.length)),
    ...SIZES.map(() => 9),
    9,
    9,
    11,
  ];
  const print = (cells: string[]): void => {
    process.stdout.write(cells.map((cell, i) => (i < 2 || i === cells.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd() + '\n');
  };
  process.stdout.write(`hostile text against the mail readers: ms per reading (fastest of several), ratio time(256K) / time(64K); linear ≈ 4, quadratic ≈ 16\n\n`);
  print(header);
  const result = runHostileReaders({
    ...(shapes ? { shapes } : {}),
    ...(readers ? { readers } : {}),
    onRow: (row) => {
      const mark = row.ratioOf === '128/32' ? '*' : row.ratioOf === '(64/32)²' ? '**' : '';
      const ratio = row.ratio === undefined ? '–' : `${row.ratio.toFixed(1)}${mark}`;
      print([row.shape, row.reader, ...row.ms.map(formatMs), ratio, row.check === undefined ? '–' : row.check.toFixed(1), row.verdict]);
    },
  });
  process.stdout.write(`\n${result.rows.length} rows in ${result.seconds.toFixed(1)} s`);
  process.stdout.write(
    `\n* ratio of 128K / 32K, ** (64K / 32K)²: a reading passed ${SLOW_READING_MS / 1000} s and the larger sizes were skipped` +
      `\nSUPERLINEAR: ratio ≥ ${SUPERLINEAR_RATIO}, and 128K/32K ≥ ${SUPERLINEAR_RATIO} too where it was measured\n`,
  );
  const superlinear = result.rows.filter((row) => row.verdict === 'SUPERLINEAR');
  if (superlinear.length > 0) {
    process.stdout.write(`\n${superlinear.length} SUPERLINEAR: ${superlinear.map((row) => `${row.reader} on ${row.shape}`).join('; ')}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write('\nevery reader linear on every shape\n');
  }
}

// Run as a script; imported (by run.ts, say), only runHostileReaders is wanted.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
