import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyMessage } from '../../src/mail/classify-message.js';
import { parseMessage } from '../../src/mail/parse-message.js';
import type { InboundMessage } from '../../src/mail/types.js';
import { inboundMessage } from '../support/inbound-message.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'classify');
const deskAddresses = ['porting@example.test'];

interface Expected {
  kind: string;
  notesInclude?: string[];
}

const names = readdirSync(dir)
  .filter((file) => file.endsWith('.eml'))
  .map((file) => file.slice(0, -'.eml'.length))
  .sort();

describe('classification fixtures in test/fixtures/classify', () => {
  it('covers every kind', () => {
    const kinds = new Set(
      names.map((name) => (JSON.parse(readFileSync(join(dir, `${name}.expected.json`), 'utf8')) as Expected).kind),
    );
    expect([...kinds].sort()).toEqual(
      ['auto_reply', 'bounce', 'cancellation', 'completion_notice', 'csr_request', 'other', 'port_request', 'verification_reply'],
    );
  });

  for (const name of names) {
    const expected = JSON.parse(readFileSync(join(dir, `${name}.expected.json`), 'utf8')) as Expected;
    it(`${name} is ${expected.kind}`, async () => {
      const msg = await parseMessage(readFileSync(join(dir, `${name}.eml`)));
      const result = classifyMessage(msg, { deskAddresses });
      expect(result.kind, result.notes.join(' | ')).toBe(expected.kind);
      expect(result.notes.length).toBeGreaterThan(0);
      for (const fragment of expected.notesInclude ?? []) {
        expect(result.notes.some((note) => note.includes(fragment)), result.notes.join(' | ')).toBe(true);
      }
    });
  }
});

const message = inboundMessage;

describe('classifyMessage rules', () => {
  const ctx = { deskAddresses };

  it.each(['Re', 'RE', 'AW', 'SV', 'Antw', 'Réf', 'Rif'])('reads a "%s:" subject with an order id as a reply', (prefix) => {
    const result = classifyMessage(message({ subject: `${prefix}: [PO-ABC123] Confirm`, text: 'yes' }), ctx);
    expect(result.kind).toBe('verification_reply');
  });

  it.each(['Fwd', 'FW', 'TR', 'WG', 'VS'])('does not read a "%s:" subject as a reply', (prefix) => {
    const result = classifyMessage(message({ subject: `${prefix}: [PO-ABC123] Confirm`, text: 'see below' }), ctx);
    expect(result.kind).not.toBe('verification_reply');
  });

  it('does not read a Re: subject without an order id or threading as a reply', () => {
    const result = classifyMessage(message({ subject: 'Re: hello', text: 'thanks' }), ctx);
    expect(result.kind).toBe('other');
  });

  it('reads a +TOKEN in Cc as a reply', () => {
    const result = classifyMessage(message({ to: [{ address: 'me@example.test' }], cc: [{ address: 'Porting+AB12@Example.test' }], text: 'ok' }), ctx);
    expect(result.kind).toBe('verification_reply');
  });

  it('never reads a reply from a machine as a verification reply', () => {
    const result = classifyMessage(
      message({ inReplyTo: 'verify@example.test', headers: { 'auto-submitted': 'auto-generated' }, text: 'Your ticket was updated' }),
      ctx,
    );
    expect(result.kind).toBe('auto_reply');
  });

  it('treats Auto-Submitted: no as a person writing', () => {
    const result = classifyMessage(message({ inReplyTo: 'verify@example.test', headers: { 'auto-submitted': 'no' }, text: 'approve' }), ctx);
    expect(result.kind).toBe('verification_reply');
  });

  it.each([
    ['Out of Office: Re: confirm'],
    ['Automatische Antwort: Ihre Anfrage'],
    ['Respuesta automática: confirmación'],
    ['Risposta automatica: conferma'],
    ['Automatisch antwoord: bevestiging'],
    ['Autosvar: bekräfta'],
  ])('reads the subject "%s" as an auto-reply', (subject) => {
    expect(classifyMessage(message({ subject, text: 'away' }), ctx).kind).toBe('auto_reply');
  });

  it('does not read out-of-office words in the body alone as an auto-reply', () => {
    expect(classifyMessage(message({ subject: 'hello', text: 'Automatic reply: I am out of the office' }), ctx).kind).toBe('other');
  });

  it('reads a read receipt as an auto-reply', () => {
    const result = classifyMessage(message({ contentType: 'multipart/report; report-type=disposition-notification; boundary=x' }), ctx);
    expect(result.kind).toBe('auto_reply');
  });

  it('reads a postmaster message without a DSN as an auto-reply, not a bounce', () => {
    const result = classifyMessage(message({ from: { address: 'postmaster@mx.example.test' }, subject: 'Quota warning', text: 'mailbox nearly full' }), ctx);
    expect(result.kind).toBe('auto_reply');
  });

  it('classifies a message without From by its content and says so', () => {
    const { from: _from, ...rest } = message({});
    const result = classifyMessage({ ...rest, subject: 'Port request', text: 'Account Name: A\nNumbers: 206-555-0100' }, ctx);
    expect(result.kind).toBe('port_request');
    expect(result.notes).toContain('no From address');
  });
});

describe('reply prefixes: one list with the forward finder (text/subject-prefixes.ts)', () => {
  const ctx = { deskAddresses };
  // A customer's Outlook answer without threading headers: the verification quoted under the
  // "From: / Sent:" block is history, so the message is a reply, not a forward to read as content.
  const text = [
    'Yes, approved.',
    '',
    'From: Porting Desk <porting@example.test>',
    'Sent: Tuesday, November 10, 2026 9:20 AM',
    'To: Dana <dana@customer.example.test>',
    'Subject: Confirm port-out for order PO-7K3F9Q',
    '',
    'Northwind Telecom has asked to port these numbers away from your account:',
    '(206) 555-0142',
    'Reply APPROVE to approve or REJECT to reject this port-out request.',
  ].join('\n');

  it.each(['RE', 'YNT', 'ATB', 'RES'])('reads a "%s:" answer quoting the verification as a reply', (prefix) => {
    const result = classifyMessage(message({ subject: `${prefix}: Confirm port-out for order PO-7K3F9Q`, text }), ctx);
    expect(result.kind, result.notes.join(' | ')).toBe('verification_reply');
    expect(result.notes.join(' | ')).not.toContain('forwarded message');
  });
});
