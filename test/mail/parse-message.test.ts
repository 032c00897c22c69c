import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/mail/parse-message.js';

const requests = join(import.meta.dirname, '..', 'fixtures', 'requests');

function eml(lines: string[]): Buffer {
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

describe('parseMessage', () => {
  it('reads addresses, threading headers and the Message-ID without brackets', async () => {
    const msg = await parseMessage(
      eml([
        'From: "Dana W" <dana@harbordental.example.test>',
        'To: Porting Desk <porting+T8XQ@example.test>, other@example.test',
        'Cc: Group: a@example.test, b@example.test;',
        'Reply-To: office@harbordental.example.test',
        'Subject: Re: [PO-7K3F9Q] Confirm',
        'Date: Wed, 11 Nov 2026 10:00:00 -0800',
        'Message-ID: <reply-1@harbordental.example.test>',
        'In-Reply-To: <verify-1@example.test>',
        'References: <first@example.test> <verify-1@example.test>',
        'Auto-Submitted: no',
        '',
        'Approve',
      ]),
    );
    expect(msg.messageId).toBe('reply-1@harbordental.example.test');
    expect(msg.key).toBe('reply-1@harbordental.example.test');
    expect(msg.from).toEqual({ address: 'dana@harbordental.example.test', name: 'Dana W' });
    expect(msg.to.map((m) => m.address)).toEqual(['porting+T8XQ@example.test', 'other@example.test']);
    expect(msg.cc.map((m) => m.address)).toEqual(['a@example.test', 'b@example.test']);
    expect(msg.replyTo?.address).toBe('office@harbordental.example.test');
    expect(msg.inReplyTo).toBe('verify-1@example.test');
    expect(msg.references).toEqual(['first@example.test', 'verify-1@example.test']);
    expect(msg.headers['auto-submitted']).toBe('no');
    expect(msg.date?.toISOString()).toBe('2026-11-11T18:00:00.000Z');
    expect(msg.text.trim()).toBe('Approve');
    expect(msg.defects).toEqual([]);
  });

  it('keys a message without Message-ID by the sha256 of its raw bytes', async () => {
    const raw = eml(['From: a@example.test', 'Subject: hi', '', 'body']);
    const msg = await parseMessage(raw);
    expect(msg.messageId).toBeUndefined();
    expect(msg.key).toBe(`sha256:${createHash('sha256').update(raw).digest('hex')}`);
    expect(msg.defects).toContain('no Message-ID');
  });

  it('keeps the report type in contentType', async () => {
    const msg = await parseMessage(
      eml(['From: MAILER-DAEMON@mx.example.test', 'Content-Type: multipart/report; report-type=delivery-status; boundary="b"', '', '--b', 'Content-Type: text/plain', '', 'failed', '--b--']),
    );
    expect(msg.contentType).toMatch(/^multipart\/report; .*report-type=delivery-status/);
  });

  it('derives text from HTML-only mail with table rows kept on one line', async () => {
    const msg = await parseMessage(readFileSync(join(requests, '04-html-only.eml')));
    expect(msg.html).toContain('<table>');
    expect(msg.text).toContain('End User Name\tOrchard Law & Mediation');
    expect(msg.text).toContain('Purchase Order Number\tRT-7781');
    expect(msg.text).not.toContain('padding');
  });

  it('parses an attached message/rfc822 as an embedded message', async () => {
    const msg = await parseMessage(readFileSync(join(requests, '11-forwarded-attached.eml')));
    expect(msg.embedded).toHaveLength(1);
    expect(msg.embedded?.[0]?.from?.address).toBe('porting@summitvoice.example.test');
    expect(msg.embedded?.[0]?.text).toContain('Tideline Kayaks');
  });

  it('decodes quoted-printable and base64 bodies and encoded-word subjects', async () => {
    const qp = await parseMessage(readFileSync(join(requests, '13-quoted-printable.eml')));
    expect(qp.subject).toBe('Port-out request – Café Lumière');
    expect(qp.text).toContain('so the line is joined');
    const b64 = await parseMessage(readFileSync(join(requests, '14-base64.eml')));
    expect(b64.text).toContain('Stonebridge Dental PC');
  });
});

describe('senderProblem', () => {
  /** A reply whose From header field(s) are `from`, otherwise well formed. */
  function withFrom(...from: string[]): Buffer {
    return eml([...from, 'To: porting@example.test', 'Subject: Re: Confirm', 'Message-ID: <reply-1@x.test>', '', 'Approve']);
  }

  it.each([
    ['a second angle-bracket address after the first', 'From: Name <a@x.test> <b@y.test>', /names 2 addresses \(.*a@x\.test.*\)/],
    ['a display name that is another address', 'From: "a@x.test" <b@y.test>', /names 2 addresses \(.*a@x\.test.*\)/],
    ['two mailboxes in one From', 'From: a@x.test, b@y.test', /names 2 addresses \(a@x\.test, b@y\.test\)/],
    ['a base64 encoded-word display name that decodes to another address', `From: =?utf-8?b?${Buffer.from('ceo@bank.test').toString('base64')}?= <x@evil.test>`, /names 2 addresses \(.*ceo@bank\.test.*\)/],
    ['an encoded-word display name hiding "Name <address>"', `From: =?utf-8?b?${Buffer.from('CEO <ceo@bank.test>').toString('base64')}?= <x@evil.test>`, /names 2 addresses \(.*ceo@bank\.test.*\)/],
    ['a quoted-printable encoded-word display name hiding an address', 'From: =?utf-8?q?ceo=40bank.test?= <x@evil.test>', /names 2 addresses/],
  ])('reports %s', async (_what, from, problem) => {
    const msg = await parseMessage(withFrom(from));
    expect(msg.senderProblem).toMatch(problem);
  });

  it('reports two From header fields', async () => {
    const msg = await parseMessage(withFrom('From: a@x.test', 'From: b@y.test'));
    expect(msg.senderProblem).toBe('2 From header fields');
  });

  it('reports two From header fields even when they name the same address', async () => {
    const msg = await parseMessage(withFrom('From: a@x.test', 'From: a@x.test'));
    expect(msg.senderProblem).toBe('2 From header fields');
  });

  it.each([
    ['a name and an address', 'From: Priya <priya@x.test>', 'priya@x.test'],
    ['a display name that is the same address in other case', 'From: "john@x.test" <John@x.test>', 'John@x.test'],
    ['a quoted name with a comma', 'From: "Patel, Priya" <priya@x.test>', 'priya@x.test'],
    ['an address with a comment', 'From: priya@x.test (Priya Patel)', 'priya@x.test'],
    ['a header folded onto two lines', 'From: Priya Patel\r\n <priya@x.test>', 'priya@x.test'],
  ])('finds no problem in %s', async (_what, from, address) => {
    const msg = await parseMessage(withFrom(from));
    expect(msg.senderProblem).toBeUndefined();
    expect(msg.from?.address).toBe(address);
  });

  // RFC 6532 lets an address carry UTF-8 as is: read as latin1 it would count twice ("bücher"
  // and "bã¼cher").
  it('finds no problem in an internationalised (UTF-8) address named once', async () => {
    const msg = await parseMessage(withFrom('From: Priya <priya@bücher.test>'));
    expect(msg.from?.address).toBe('priya@bücher.test');
    expect(msg.senderProblem).toBeUndefined();
  });
});
