/**
 * End to end, bad input: each message lands in PortDesk/Review or PortDesk/Ignored with a reason
 * in the inbound log, nothing is left in the inbox, and the daemon goes on handling good mail.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESK_FROM, DESK_USER, SUPPORT, isTo, startDeskHarness, type DeskHarness } from '../support/desk-harness.js';
import { buildMail, newMessageId } from '../support/mail-builder.js';
import { account, matchingRequest } from './support/scenario.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/bad/${name}`, import.meta.url));

/** Each case gets a Message-ID of its own so the test can find it in the inbound log and folders. */
function withId(raw: Buffer, id: string): Buffer {
  return Buffer.from(raw.toString('latin1').replace(/^message-id:.*$/im, `Message-ID: <${id}>`), 'latin1');
}

function bigAttachment(id: string): Buffer {
  const big = Buffer.alloc(15 * 1024 * 1024, 0x41).toString('base64').replace(/(.{76})/g, '$1\r\n');
  return Buffer.from(
    [
      'From: Carrier <lnp@newcarrier.example.test>',
      'To: porting@example.test',
      'Subject: Port-out request with LOA',
      `Message-ID: <${id}>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      'Account Name: Customer 51 Person',
      'Numbers: (206) 555-1511',
      '--b1',
      'Content-Type: application/pdf; name="loa.pdf"',
      'Content-Disposition: attachment; filename="loa.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      big,
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

function garbage(): Buffer {
  const bytes = Buffer.alloc(32 * 1024);
  let seed = 11;
  for (let i = 0; i < bytes.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    bytes[i] = seed & 0xff;
  }
  return bytes;
}

function bulk(id: string): Buffer {
  const numbers = Array.from({ length: 5000 }, (_, i) => `(503) ${200 + Math.floor(i / 1000)}-${String(i % 1000).padStart(4, '0')}`);
  return buildMail({
    from: 'bulk@carrier.example.test',
    to: DESK_FROM,
    subject: 'Port-out request - 5000 numbers',
    text: ['Account Name: Bulk Customer', 'ZIP: 97201', 'Numbers:', ...numbers].join('\n'),
    messageId: id,
  });
}

let h: DeskHarness;

beforeAll(async () => {
  h = await startDeskHarness({ accounts: [account(51)], env: { VERIFICATION_WINDOW: '1h', REMINDER_AFTER: '30m' } });
});

afterAll(async () => {
  await h?.close();
});

describe('bad input', () => {
  const cases: { name: string; id: string; raw: () => Buffer; folder: 'PortDesk/Review' | 'PortDesk/Ignored'; reason: RegExp }[] = [
    { name: 'no From', id: 'bad-nofrom@example.test', raw: () => withId(fixture('no-from.eml'), 'bad-nofrom@example.test'), folder: 'PortDesk/Review', reason: /no sender/ },
    { name: 'no body', id: 'bad-nobody@example.test', raw: () => withId(fixture('no-body.eml'), 'bad-nobody@example.test'), folder: 'PortDesk/Review', reason: /no body|not a port request/ },
    {
      name: 'leading blank lines',
      id: 'bad-blank@example.test',
      raw: () => Buffer.from(fixture('leading-blank-lines.eml').toString('latin1').replace(/\r\nFrom:/, '\r\nMessage-ID: <bad-blank@example.test>\r\nFrom:'), 'latin1'),
      folder: 'PortDesk/Review',
      reason: /leading blank lines/,
    },
    { name: 'broken MIME boundary', id: 'bad-mime@example.test', raw: () => withId(fixture('broken-boundary.eml'), 'bad-mime@example.test'), folder: 'PortDesk/Review', reason: /boundary/ },
    { name: 'unknown charset', id: 'bad-charset@example.test', raw: () => withId(fixture('unknown-charset.eml'), 'bad-charset@example.test'), folder: 'PortDesk/Review', reason: /unknown charset/ },
    { name: 'a 15 MB attachment', id: 'bad-big@example.test', raw: () => bigAttachment('bad-big@example.test'), folder: 'PortDesk/Review', reason: /dropped: over 10 MB/ },
    { name: 'binary garbage', id: '', raw: garbage, folder: 'PortDesk/Review', reason: /binary content|no sender/ },
    { name: '5,000 numbers in one request', id: 'bad-bulk@example.test', raw: () => bulk('bad-bulk@example.test'), folder: 'PortDesk/Review', reason: /5000 numbers/ },
    {
      name: "an auto-reply to the desk's own mail",
      id: 'bad-ooo@example.test',
      raw: () =>
        buildMail({
          from: 'someone@example.test',
          to: DESK_FROM,
          subject: 'Out of Office: [PO-ABCDEF] Please confirm',
          text: 'I am away.',
          inReplyTo: newMessageId('example.test'),
          headers: { 'Auto-Submitted': 'auto-replied' },
          messageId: 'bad-ooo@example.test',
        }),
      folder: 'PortDesk/Ignored',
      reason: /auto-reply/,
    },
  ];

  it('every bad message ends in Review or Ignored with a reason; the daemon goes on', async () => {
    for (const c of cases) await h.send(c.raw());
    await h.waitForInboxEmpty(60_000);
    await h.daemon.desk.idle();

    for (const c of cases) {
      if (!c.id) continue;
      const entry = h.daemon.store.getInbound(c.id);
      expect(entry, c.name).toBeDefined();
      expect(entry!.outcome, c.name).toBe(c.folder === 'PortDesk/Review' ? 'review' : 'ignored');
      expect(entry!.reason ?? '', c.name).toMatch(c.reason);
      // Dovecot, like mailparser, reads a message that starts with blank lines as having no headers.
      if (c.name === 'leading blank lines') continue;
      const inFolder = (await h.dovecot.list(DESK_USER, c.folder)).map((m) => m.messageId?.replace(/^<|>$/g, ''));
      expect(inFolder, c.name).toContain(c.id);
    }
    // The garbage has no Message-ID: it is keyed by its content hash and parked too.
    const review = await h.dovecot.list(DESK_USER, 'PortDesk/Review');
    expect(review.length).toBeGreaterThanOrEqual(cases.filter((c) => c.folder === 'PortDesk/Review').length);
    expect(await h.dovecot.list(DESK_USER, 'PortDesk/Processed')).toHaveLength(0);

    // Support hears of what was parked, at most once per sender an hour (SPEC §10): every entry in
    // Review says whether its alert went out or was held for the digest, and what went out is one
    // alert per sender.
    const parked = h.daemon.store.listInbound().filter((e) => e.outcome === 'review');
    expect(parked.length).toBeGreaterThanOrEqual(8);
    for (const e of parked) expect(['sent', 'held'], e.key).toContain(e.alert);
    const alerted = parked.filter((e) => e.alert === 'sent');
    expect(new Set(alerted.map((e) => e.from ?? '(no sender)')).size).toBe(alerted.length);
    expect(parked.filter((e) => e.alert === 'held').length).toBeGreaterThan(0);
    await expect.poll(() => h.mailsTo(SUPPORT).filter((m) => /review/i.test(m.subject ?? '')).length, { timeout: 15_000 }).toBe(alerted.length);
    // No answer to the auto-reply (no loop).
    expect(h.mailsTo('someone@example.test')).toHaveLength(0);

    // And the desk still works.
    await h.send(matchingRequest(51, 'PON-AFTER-BAD'));
    await h.waitForMail((m) => isTo('customer51@example.test', m) && /confirm/i.test(m.subject ?? ''));
  });
});
