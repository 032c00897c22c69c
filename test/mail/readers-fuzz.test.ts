/**
 * Hostile text against the pure mail readers (SPEC §10: "every parser is linear and capped early").
 *
 * Properties over generated text that leans on what breaks careless readers: long blank runs,
 * number-like runs of digits and dashes, the punctuation of addresses and forms ('<' '@' '>' ':'
 * '|' ';'), quote headers and history separators, label words, bidi controls, lone surrogates,
 * very long lines and many short ones. Every reader must return (never throw), stay inside the caps
 * of src/mail/limits.ts, say when it stopped at one, leave its input alone, and give the same
 * answer twice.
 *
 * The full-size cases at the end give each reader 256 KB of one pathological shape. They assert
 * nothing about time: the test timeout is the only clock here, and bench/hostile-readers.ts
 * measures how each reader's time grows with the text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MESSAGE_KINDS } from '../../src/domain/records.js';
import { classifyMessage } from '../../src/mail/classify-message.js';
import { extractNumbers } from '../../src/mail/extract-numbers.js';
import {
  MAX_LABELLED_FIELDS,
  MAX_LINE_CHARS,
  MAX_NUMBER_CANDIDATES,
  MAX_NUMBERS,
  MAX_SUBJECT_CHARS,
  MAX_TEXT_CHARS,
} from '../../src/mail/limits.js';
import { readCarrierNotice } from '../../src/mail/read-carrier-notice.js';
import { readCsrRequest } from '../../src/mail/read-csr-request.js';
import { readPortLabels, readPortLabelsLoose } from '../../src/mail/read-port-labels.js';
import { readPortRequest } from '../../src/mail/read-port-request.js';
import { readReply } from '../../src/mail/read-reply.js';
import { htmlToText } from '../../src/mail/text/html-to-text.js';
import { compileLabelReader, type LabelReader } from '../../src/mail/text/labels.js';
import { cutQuotedAndSignature, normalizeText, walkQuotedLines } from '../../src/mail/text/quotes.js';
import type { InboundMessage } from '../../src/mail/types.js';
import { inboundMessage } from '../support/inbound-message.js';

/** Modest: each run reads up to a few tens of KB, and the file should stay within seconds. */
const RUNS = { numRuns: 60 };
const FEW_RUNS = { numRuns: 15 };

/** One fragment repeated is cut here, and a whole generated text at twice that. */
const MAX_REPEAT_CHARS = 12_000;
const MAX_GENERATED_CHARS = 2 * MAX_REPEAT_CHARS;

const DESK = { deskAddresses: ['porting@example.test'] };
/** A valid NANP number in E.164: what every reader's `dids` must hold and nothing else. */
const E164_US = /^\+1[2-9]\d{2}[2-9]\d{6}$/;
/** The shape of the desk's order ids (SPEC §2). */
const ORDER_ID = /^PO-[0-9A-Z]{6}$/;

// ---------------------------------------------------------------------------------------------
// Hostile text

const join = (parts: readonly string[]): string => parts.join('');
/** `piece` repeated `times`, but never built much past `max` characters only to be cut there. */
const repeatUpTo = (piece: string, times: number, max: number): string =>
  piece.repeat(Math.min(times, Math.ceil(max / Math.max(1, piece.length)))).slice(0, max);

const blankRun = fc.oneof(
  fc.integer({ min: 1, max: 3_000 }).map((n) => ' '.repeat(n)),
  fc.integer({ min: 1, max: 3_000 }).map((n) => '\t'.repeat(n)),
  fc.array(fc.constantFrom(' ', '\t', '\u00a0', '\u2007', '\u202f', '\u200b'), { minLength: 1, maxLength: 60 }).map(join),
);

/** Real-looking numbers and ranges, in the forms carriers write them; A-B-C is the number. */
const writtenNumber = fc
  .tuple(
    fc.integer({ min: 200, max: 989 }),
    fc.integer({ min: 200, max: 999 }),
    fc.integer({ min: 0, max: 9_990 }),
    fc.integer({ min: 0, max: 1_200 }),
    fc.constantFrom('A-B-C', '(A) B-C', 'A.B.C', 'ABC', '+1 A B C', '1-A-B-C', 'A-B-C thru D', 'A-B-C - D', 'A-B-C to A-B-D', 'ABC-ABD'),
  )
  .map(([a, b, c, span, form]) => {
    const parts: Record<string, string> = {
      A: String(a),
      B: String(b),
      C: String(c).padStart(4, '0'),
      D: String(Math.min(9_999, c + span)).padStart(4, '0'),
    };
    return form.replace(/[A-D]/g, (letter) => parts[letter] ?? letter);
  });

const numberLike = fc.oneof(
  writtenNumber,
  fc.array(fc.constantFrom('0', '1', '2', '5', '9', '-', '-', '–', '.', ' ', '(', ')', '+', '/'), { maxLength: 60 }).map(join),
  fc.integer({ min: 1, max: 500 }).map((n) => '1-'.repeat(n)),
  fc.integer({ min: 10, max: 4_000 }).map((n) => '2065550100'.repeat(Math.ceil(n / 10)).slice(0, n)),
);

const punctuation = fc.oneof(
  fc.array(fc.constantFrom('<', '@', '>', ':', '|', ';', '=', '#', '*', '_', '-', '"', '(', ')', '/', '.', ',', '[', ']'), { minLength: 1, maxLength: 40 }).map(join),
  fc.integer({ min: 1, max: 2_000 }).map((n) => `${'<'.repeat(n)}@x>:`),
);

const historyLine = fc.constantFrom(
  'wrote:',
  'On Mon, Jan 5, 2026 at 10:14 AM Jane Doe <jane@customer.example.test> wrote:',
  'On Mon, Jan 5, 2026 at 10:14 AM Jane Doe',
  '<jane@customer.example.test> wrote:',
  'Le 5 janv. 2026, Jane a écrit :',
  'Am 05.01.2026 schrieb Jane <jane@x.test>:',
  '2026-01-05 10:14 GMT-05:00 Jane <jane@x.test>:',
  '-----Original Message-----',
  '---------- Forwarded message ----------',
  'Begin forwarded message:',
  'From: Jane <jane@x.test>',
  'Sent: Monday, January 5, 2026 10:14 AM',
  'To: porting@example.test',
  'Subject: RE: Port',
  '________________________________',
  '>',
  '> yes',
  '>> PIN: 1234',
  '--',
  '-- ',
  'Sent from my iPhone',
  'Thanks,',
  'Regards',
);

const LABEL_WORDS = [
  'PON', 'PIN', 'Account', 'Account Name', 'Account Number', 'AN', 'Name', 'Address', 'Service Address', 'ZIP', 'BTN',
  'TN', 'ATN', 'Tech Prefix', 'E-mail', 'Email', 'Ref', 'Due Date', 'Passcode', 'Contact phone', 'SUP', 'VER', 'City/State/Zip',
];
const labelled = fc
  .tuple(
    fc.constantFrom('', '- ', '* ', '> ', '**', '1. ', '\t', '   '),
    fc.constantFrom(...LABEL_WORDS),
    fc.constantFrom(':', ': ', ' = ', '\t', ' - ', '#', ' :', '', ':\t\t', '**:'),
    fc.oneof(numberLike, blankRun, fc.constantFrom('1234', 'Acme Corp', '123 Main St, Seattle, WA 98101', 'N/A', '', 'x@y.test', '"quoted"')),
  )
  .map(join);

const invisible = fc
  .array(fc.constantFrom('\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c', '\u200b', '\u2060', '\ufeff', '\u00ad'), {
    minLength: 1,
    maxLength: 12,
  })
  .map(join);

const lineBreak = fc.constantFrom('\n', '\r\n', '\r', '\n\n', '\n \n', '\n>\n', '\n\t\n');

const word = fc.constantFrom(
  'yes', 'no', 'not', 'approve', 'reject', 'cancel', 'cancelled', 'ported', 'completed', 'port-out request', 'please port',
  'CSR', 'please send', 'PO-7K3F9Q', 'PO-', 'tech prefix:', 'sup: 1', 'Reply APPROVE to approve', 'action: failed', ' ',
);

const markup = fc.constantFrom(
  '<div>', '</div>', '<table>', '<tr>', '<td>', '</td>', '<th>', '<br>', '<p>', '</p>', '<dt>', '<dd>', '<dl>', '<li>',
  '<blockquote>', '</blockquote>', '<div class="gmail_quote">', '<div id="divRplyFwdMsg">', '<script>', '</script>', '<style>',
  '<option>', '&nbsp;', '&amp;', '&#x202e;', '&lt;', '<!--', '-->', '<', '>', '<pre>', '<b>', '</b>',
);

/** Any UTF-16 code units, lone surrogates included. */
const codeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 16 });

const fragment = fc.oneof(
  { weight: 3, arbitrary: blankRun },
  { weight: 4, arbitrary: numberLike },
  { weight: 2, arbitrary: punctuation },
  { weight: 2, arbitrary: historyLine },
  { weight: 4, arbitrary: labelled },
  { weight: 1, arbitrary: invisible },
  { weight: 4, arbitrary: lineBreak },
  { weight: 2, arbitrary: word },
  { weight: 2, arbitrary: markup },
  { weight: 1, arbitrary: codeUnits },
);

/** One short fragment repeated into a very long line (or, holding a line break, many short ones). */
const repeated = fc
  .tuple(fc.oneof(numberLike, punctuation, historyLine, labelled, word, invisible, markup, lineBreak), fc.integer({ min: 2, max: 3_000 }))
  .map(([piece, times]) => repeatUpTo(piece, times, MAX_REPEAT_CHARS));

/** Many short lines of one kind. */
const manyLines = fc
  .tuple(fc.oneof(labelled, historyLine, word, numberLike), fc.integer({ min: 2, max: 2_000 }))
  .map(([line, times]) => repeatUpTo(`${line}\n`, times, MAX_REPEAT_CHARS));

const hostileText = fc
  .array(fc.oneof({ weight: 10, arbitrary: fragment }, { weight: 1, arbitrary: repeated }, { weight: 1, arbitrary: manyLines }), { maxLength: 40 })
  .map((parts) => join(parts).slice(0, MAX_GENERATED_CHARS));

const subject = fc.oneof(
  fc.constantFrom(
    '', 'Port-out request', 'LSR PON CT-40901', 'Re: Verify your port-out PO-7K3F9Q', 'Fwd: port request', 'Port completed',
    'Cancel port', 'CSR request', 'Automatic reply: away', 'Out of office',
  ),
  hostileText.map((text) => text.slice(0, MAX_SUBJECT_CHARS)),
);

const hostileMessage: fc.Arbitrary<InboundMessage> = fc
  .record({
    subject,
    text: hostileText,
    html: fc.option(hostileText, { nil: undefined }),
    attachment: fc.option(fc.tuple(fc.constantFrom('n.csv', 'n.txt', 'n.tsv'), hostileText), { nil: undefined }),
    forwarded: fc.option(hostileText, { nil: undefined }),
    reply: fc.boolean(),
    from: fc.constantFrom(
      'lnp@carrier.example.test', 'jane@customer.example.test', 'mailer-daemon@mx.example.test', 'noreply@carrier.example.test',
      'porting@example.test',
    ),
    headers: fc.constantFrom<Record<string, string>>({}, { 'auto-submitted': 'auto-generated' }, { precedence: 'bulk' }, { 'x-autoreply': 'yes' }),
  })
  .map(({ subject, text, html, attachment, forwarded, reply, from, headers }) => {
    const overrides: Partial<InboundMessage> = { subject, text, from: { address: from }, headers, size: text.length };
    if (html !== undefined) overrides.html = html;
    if (attachment !== undefined) {
      const [filename, content] = attachment;
      const type = filename.endsWith('.txt') ? 'text/plain' : 'text/csv';
      overrides.attachments = [{ filename, contentType: type, size: content.length, content: Buffer.from(content) }];
    }
    if (forwarded !== undefined) overrides.embedded = [inboundMessage({ subject: 'Port-out request', text: forwarded })];
    if (reply) overrides.inReplyTo = 'verification-1@example.test';
    return inboundMessage(overrides);
  });

// ---------------------------------------------------------------------------------------------
// Checks shared by the properties and the full-size cases

/** Whether `sub` is `of` with some entries left out, the rest in order. */
function isSubsequence(sub: readonly string[], of: readonly string[]): boolean {
  let at = 0;
  for (const entry of sub) {
    while (at < of.length && of[at] !== entry) at += 1;
    if (at === of.length) return false;
    at += 1;
  }
  return true;
}

function expectDistinct(values: readonly string[]): void {
  expect(new Set(values).size).toBe(values.length);
}

function expectNumbers(dids: readonly string[]): void {
  expect(dids.length).toBeLessThanOrEqual(MAX_NUMBERS);
  expectDistinct(dids);
  for (const did of dids) expect(did).toMatch(E164_US);
}

/** The reader's answer, read twice: equal both times, and the message unchanged by it. */
function readTwice<T>(read: (msg: InboundMessage) => T, msg: InboundMessage): T {
  const before = JSON.stringify(msg);
  const first = read(msg);
  expect(read(msg)).toEqual(first);
  expect(JSON.stringify(msg)).toBe(before);
  return first;
}

function checkExtracted(text: string): void {
  const found = extractNumbers(text);
  expectNumbers(found.dids);
  expectDistinct(found.invalid);
  expect(found.dids.length + found.invalid.length).toBeLessThanOrEqual(MAX_NUMBER_CANDIDATES);
  if (text.length > MAX_TEXT_CHARS) expect(found.stopped).toBeDefined();
  expect(extractNumbers(text)).toEqual(found);
}

function checkLabels(read: LabelReader<string>, text: string): void {
  const found = read(text);
  const lineCount = text.split(/\r?\n/).length;
  expect(found.length).toBeLessThanOrEqual(MAX_LABELLED_FIELDS);
  for (const entry of found) {
    expect(entry.line).toBeGreaterThanOrEqual(0);
    expect(entry.line).toBeLessThan(lineCount);
    expect(entry.start).toBeGreaterThanOrEqual(0);
    expect(entry.start).toBeLessThanOrEqual(entry.end);
    expect(entry.end).toBeLessThanOrEqual(MAX_LINE_CHARS);
    expect(entry.value).not.toBe('');
    expect(entry.value).toBe(entry.value.trim());
    expect(entry.value).not.toMatch(/[\r\n]/);
  }
  expect(read(text)).toEqual(found);
}

function checkWalk(lines: readonly string[], ruleStartsHistory: boolean): void {
  const walk = walkQuotedLines(lines, { ruleStartsHistory });
  expect(isSubsequence(walk.kept, lines)).toBe(true);
  // MAX_WALK_NOTES in quotes.ts: a note per signature line would otherwise be thousands.
  expect(walk.notes.length).toBeLessThanOrEqual(20);
  expectDistinct(walk.notes);
  expect(walkQuotedLines(lines, { ruleStartsHistory })).toEqual(walk);
}

function checkCut(text: string): void {
  const cut = cutQuotedAndSignature(text);
  expect(cut.length).toBeLessThanOrEqual(text.length);
  // Nothing kept (a text that is all signature, "Sent from my iPhone") is no line at all.
  expect(isSubsequence(cut === '' ? [] : cut.split('\n'), normalizeText(text).split('\n'))).toBe(true);
  expect(cutQuotedAndSignature(text)).toBe(cut);
}

function checkHtml(html: string): void {
  const defects: string[] = [];
  const text = htmlToText(html, defects);
  expect(typeof text).toBe('string');
  for (const defect of defects) expect(typeof defect).toBe('string');
  expect(htmlToText(html)).toBe(text);
}

function checkReply(body: { text: string; html?: string }): void {
  const reading = readReply(body);
  expect(['approve', 'reject', 'unclear']).toContain(reading.decision);
  expect(reading.newText.length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
  expect(readReply(body)).toEqual(reading);
}

function checkPortRequest(msg: InboundMessage): void {
  const reading = readTwice(readPortRequest, msg);
  expectNumbers(reading.fields.dids);
  expectDistinct(reading.invalidNumbers);
  expect(reading.missing.includes('telephone numbers')).toBe(reading.fields.dids.length === 0);
}

function checkCarrierNotice(msg: InboundMessage): void {
  const reading = readTwice(readCarrierNotice, msg);
  expectNumbers(reading.dids);
  expectDistinct(reading.orderIds);
  for (const id of reading.orderIds) expect(id).toMatch(ORDER_ID);
}

function checkCsrRequest(msg: InboundMessage): void {
  const reading = readTwice(readCsrRequest, msg);
  expectNumbers(reading.dids);
  if (reading.email !== undefined) expect(reading.email).toContain('@');
}

function checkClassification(msg: InboundMessage): void {
  const classification = readTwice((m) => classifyMessage(m, DESK), msg);
  expect(MESSAGE_KINDS).toContain(classification.kind);
  for (const note of classification.notes) expect(typeof note).toBe('string');
}

/** A label table of its own, to read the label reader apart from the request's vocabulary. */
const readFewLabels = compileLabelReader([
  { key: 'pin', pattern: String.raw`pin(?:[ \t]*code)?` },
  { key: 'tn', pattern: String.raw`tn|telephone[ \t]*number` },
  { key: 'zip', pattern: String.raw`zip(?:[ \t]*code)?` },
  { key: 'name', pattern: String.raw`(?:account[ \t]*)?name` },
  { key: 'pon', pattern: 'pon' },
]);

/** Every line cut to MAX_LINE_CHARS: what the label readers promise to read of it. */
function cutLines(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.slice(0, MAX_LINE_CHARS))
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Properties

describe('extractNumbers on hostile text', () => {
  it('never throws; valid, distinct E.164 numbers within the caps; the same answer twice', () => {
    fc.assert(fc.property(hostileText, checkExtracted), RUNS);
  });

  it('a lower maxNumbers stops early: the first numbers of the full reading, and says so', () => {
    fc.assert(
      fc.property(hostileText, fc.integer({ min: 1, max: 5 }), (text, maxNumbers) => {
        const all = extractNumbers(text);
        const some = extractNumbers(text, { maxNumbers });
        expect(some.dids).toEqual(all.dids.slice(0, maxNumbers));
        if (all.dids.length > maxNumbers) expect(some.stopped).toBeDefined();
      }),
      RUNS,
    );
  });

  it('text past MAX_TEXT_CHARS is not read, and the reading says it stopped', () => {
    fc.assert(
      fc.property(hostileText, hostileText, (head, tail) => {
        // One character past the cap whatever head and tail are (both may be empty).
        const text = `${head}${'\n'.repeat(MAX_TEXT_CHARS)}x${tail}`;
        const found = extractNumbers(text);
        expect(found.stopped).toBeDefined();
        const { dids, invalid } = extractNumbers(head);
        expect({ dids: found.dids, invalid: found.invalid }).toEqual({ dids, invalid });
      }),
      FEW_RUNS,
    );
  });
});

describe('label readers on hostile text', () => {
  it('readPortLabels: never throws; at most MAX_LABELLED_FIELDS trimmed values, placed on their lines', () => {
    fc.assert(
fc.property(hostileText, (text) => checkLabels(readPortLabels, text)), RUNS);
  });

  it('compileLabelReader: the same for a table of its own', () => {
    fc.assert(fc.property(hostileText, (text) => checkLabels(readFewLabels, text)), RUNS);
  });

  it('a line is read for labels only in its first MAX_LINE_CHARS characters', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        expect(readPortLabels(text)).toEqual(readPortLabels(cutLines(text)));
        expect(readFewLabels(text)).toEqual(readFewLabels(cutLines(text)));
      }),
      RUNS,
    );
  });
});

describe('quotes on hostile text', () => {
  it('walkQuotedLines: never throws; keeps some of the lines, in order; a bounded, distinct set of notes', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(hostileText, historyLine, labelled), { maxLength: 40 }), fc.boolean(), checkWalk),
      RUNS,
    );
  });

  it('cutQuotedAndSignature: never throws; keeps some of the lines, in order; the same answer twice', () => {
    fc.assert(fc.property(hostileText, checkCut), RUNS);
  });
});

describe('htmlToText on hostile text', () => {
  it('never throws; the same text twice', () => {
    fc.assert(fc.property(hostileText, checkHtml), RUNS);
  });
});

describe('readers of a whole message on hostile mail', () => {
  it('readPortRequest: never throws; numbers within MAX_NUMBERS; missing numbers named; the same answer twice', () => {
    fc.assert(fc.property(hostileMessage, checkPortRequest), RUNS);
  });

  it('readReply: never throws; a decision of the three; the same answer twice', () => {
    fc.assert(fc.property(hostileText, fc.option(hostileText, { nil: undefined }), (text, html) => checkReply(html === undefined ? { text } : { text, html })), RUNS);
  });

  it('readReply: a part past its cut is read only so far, and the notes say so', () => {
    fc.assert(
      fc.property(hostileText, (head) => {
        // Lines of text, not blank ones: a part left blank by the cut is read as no body at all.
        const reading = readReply({ text: `${head}\n${`${'ok '.repeat(26)}\n`.repeat(MAX_TEXT_CHARS / 79)}yes` });
        expect(reading.notes.some((note) => note.includes('only the first'))).toBe(true);
      }),
      FEW_RUNS,
    );
  });

  it('readCarrierNotice: never throws; order ids of the desk and numbers within the caps; the same answer twice', () => {
    fc.assert(fc.property(hostileMessage, checkCarrierNotice), RUNS);
  });

  it('readCsrRequest: never throws; numbers within the caps; the same answer twice', () => {
    fc.assert(fc.property(hostileMessage, checkCsrRequest), RUNS);
  });

  it('classifyMessage: never throws; one of the message kinds; the same answer twice', () => {
    fc.assert(fc.property(hostileMessage, checkClassification), RUNS);
  });
});

// ---------------------------------------------------------------------------------------------
// Full size: 256 KB of one pathological shape, for every reader

const FULL = 256 * 1024;

const PATHOLOGICAL: readonly (readonly [string, string])[] = [
  ['200,000 spaces then a colon', `${' '.repeat(200_000)}:`],
  ['256 KB of tabs then a colon', `${'\t'.repeat(FULL - 1)}:`],
  ['"1-" repeated', '1-'.repeat(FULL / 2)],
  ['"<" repeated then "@x>:"', `${'<'.repeat(FULL - 4)}@x>:`],
  ['one line of 250,000 digits', '2065550100'.repeat(25_000)],
  ['10,000 lines each "PIN: 1234"', 'PIN: 1234\n'.repeat(10_000)],
  ['labels and separators on one line', 'PON: A  PIN: 1  Account: 2  Name: B | ZIP: 98101 ; BTN: 206-555-0100  TN: '.repeat(FULL / 76)],
  ['"wrote:" lines', 'On Mon, Jan 5, 2026 Jane <jane@x.test> wrote: yes\n'.repeat(FULL / 50)],
  ['bidi controls around numbers', 'PIN\u202e: 206\u2066-555-0100\u2069\u202c \u200f'.repeat(FULL / 27)],
  ['"Name:" then 256 KB of empty lines', `Name:${'\n'.repeat(FULL - 5)}`],
  ['one long "On x" line without "wrote:"', 'On x '.repeat(FULL / 5)],
  ['"<option>" repeated', '<option>'.repeat(FULL / 8)],
  ['"<div>" nested 32,000 deep', '<div>'.repeat(FULL / 8)],
  ['"<script" repeated under deep nesting', `${'<div>'.repeat(250)}${'<script'.repeat((FULL - 1250) / 7)}`],
  ['distinct order ids', Array.from({ length: FULL / 10 }, (_, i) => `PO-${i.toString(36).toUpperCase().padStart(6, '0')}`).join('\n')],
];

const FULL_SIZE_READERS: readonly (readonly [string, (text: string) => void])[] = [
  ['extractNumbers', checkExtracted],
  ['readPortLabels', (text) => checkLabels(readPortLabels, text)],
  ['readPortLabelsLoose', (text) => checkLabels(readPortLabelsLoose, text)],
  ['compileLabelReader', (text) => checkLabels(readFewLabels, text)],
  ['cutQuotedAndSignature', checkCut],
  ['walkQuotedLines', (text) => checkWalk(text.split('\n'), true)],
  ['htmlToText', checkHtml],
  ['readReply', (text) => checkReply({ text })],
  ['readReply (as HTML)', (text) => checkReply({ text: '', html: text })],
  ['readPortRequest', (text) => checkPortRequest(inboundMessage({ subject: 'Port-out request', text }))],
  ['readCarrierNotice', (text) => checkCarrierNotice(inboundMessage({ subject: 'Port completed', text }))],
  ['readCsrRequest', (text) => checkCsrRequest(inboundMessage({ subject: 'CSR request', text }))],
  ['classifyMessage', (text) => checkClassification(inboundMessage({ subject: 'Port-out request', text }))],
];

describe.each(PATHOLOGICAL)('256 KB of one pathological shape: %s', (_shape, text) => {
  it.each(FULL_SIZE_READERS)('%s completes within the caps', (_reader, check) => {
    check(text);
  });
});

// ---------------------------------------------------------------------------------------------
// Full size: more numbers than a reading collects

/** `count` distinct valid numbers in one area code, one a line. */
function numberLines(area: number, count: number): string {
  return Array.from({ length: count }, (_, n) => `${area}-${200 + Math.floor(n / 10_000)}-${String(n % 10_000).padStart(4, '0')}`).join('\n');
}

describe('more numbers than MAX_NUMBERS', () => {
  const text = numberLines(206, MAX_NUMBERS + 500);
  const stopped = extractNumbers(text).stopped ?? '';

  it('extractNumbers stops at MAX_NUMBERS and says so', () => {
    const found = extractNumbers(text);
    expect(found.dids).toHaveLength(MAX_NUMBERS);
    expect(found.stopped).toBeDefined();
  });

  it('extractNumbers stops at MAX_NUMBER_CANDIDATES number-like strings and says so', () => {
    // Area codes never start with 1: every one of these is a candidate and none is valid.
    const invalid = Array.from({ length: MAX_NUMBER_CANDIDATES + 500 }, (_, n) => `1${String(n % 100).padStart(2, '0')}-${200 + Math.floor(n / 10_000)}-${String(n % 10_000).padStart(4, '0')}`).join('\n');
    const found = extractNumbers(invalid);
    expect(found.dids.length + found.invalid.length).toBeLessThanOrEqual(MAX_NUMBER_CANDIDATES);
    expect(found.stopped).toBeDefined();
  });

  it('readPortRequest keeps at most MAX_NUMBERS and its notes say where it stopped', () => {
    const reading = readPortRequest(inboundMessage({ subject: 'Port-out request', text }));
    expect(reading.fields.dids.length).toBeLessThanOrEqual(MAX_NUMBERS);
    expect(reading.notes.some((note) => note.includes(stopped))).toBe(true);
  });

  it('readPortRequest keeps at most MAX_NUMBERS over its text, its HTML and a CSV attachment together', () => {
    const html = `<p>${numberLines(425, MAX_NUMBERS + 500).replace(/\n/g, '<br>')}</p>`;
    const csv = numberLines(503, MAX_NUMBERS + 500);
    const msg = inboundMessage({
      subject: 'Port-out request',
      text,
      html,
      attachments: [{ filename: 'numbers.csv', contentType: 'text/csv', size: csv.length, content: Buffer.from(csv) }],
    });
    expect(readPortRequest(msg).fields.dids.length).toBeLessThanOrEqual(MAX_NUMBERS);
  });

  it('readCarrierNotice keeps at most MAX_NUMBERS and its notes say where it stopped', () => {
    const reading = readCarrierNotice(inboundMessage({ subject: 'Port completed', text }));
    expect(reading.dids.length).toBeLessThanOrEqual(MAX_NUMBERS);
    expect(reading.notes.some((note) => note.includes(stopped))).toBe(true);
  });

  it('readCsrRequest keeps at most MAX_NUMBERS and its notes say where it stopped', () => {
    const reading = readCsrRequest(inboundMessage({ subject: 'CSR request', text }));
    expect(reading.dids.length).toBeLessThanOrEqual(MAX_NUMBERS);
    expect(reading.notes.some((note) => note.includes(stopped))).toBe(true);
  });
});
