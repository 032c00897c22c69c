/**
 * The caps of src/mail/limits.ts as parseMessage applies them: each one cuts early, says what it
 * cut in `limits`, and leaves a message that is otherwise whole alone. A message with limits is
 * parked TOO_LARGE by the pipeline (test/e2e/hostile-input.test.ts shows that end to end).
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_EMBEDDED_DEPTH,
  MAX_HEADER_VALUE_CHARS,
  MAX_MAILBOXES_PER_FIELD,
  MAX_MIME_PARTS,
  MAX_REFERENCES,
  MAX_SUBJECT_CHARS,
  MAX_TEXT_CHARS,
} from '../../src/mail/limits.js';
import { parseMessage, unreadMessage } from '../../src/mail/parse-message.js';
import { buildMail } from '../support/mail-builder.js';

const FROM = 'lnp@carrier.example.test';
const TO = 'porting@example.test';

function multipart(parts: number): Buffer {
  const lines = [`From: ${FROM}`, `To: ${TO}`, 'Subject: parts', 'Message-ID: <parts@carrier.example.test>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', ''];
  for (let i = 0; i < parts; i += 1) lines.push('--b', 'Content-Type: text/plain', '', `part ${i}`);
  lines.push('--b--', '');
  return Buffer.from(lines.join('\r\n'));
}

/** A message forwarding a message forwarding … `depth` times. */
function nestedForward(depth: number): Buffer {
  let inner = buildMail({ from: FROM, to: TO, subject: 'innermost', text: 'Port 206-555-0100' }).toString('latin1');
  for (let i = 0; i < depth; i += 1) {
    inner = [
      `From: fwd${i}@example.test`,
      `To: ${TO}`,
      `Subject: Fwd ${i}`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="n${i}"`,
      '',
      `--n${i}`,
      'Content-Type: text/plain',
      '',
      'see attached',
      `--n${i}`,
      'Content-Type: message/rfc822',
      '',
      inner,
      `--n${i}--`,
      '',
    ].join('\r\n');
  }
  return Buffer.from(inner, 'latin1');
}

describe('parseMessage caps what it reads and says so', () => {
  it('a request of ordinary size has no limits', async () => {
    const msg = await parseMessage(buildMail({ from: FROM, to: TO, subject: 'Port request', text: 'Please port 206-555-0100.\nPON: X-1' }));
    expect(msg.limits).toBeUndefined();
    expect(msg.defects).toEqual([]);
  });

  it('a subject over the cap is cut, and the cut is a limit', async () => {
    const msg = await parseMessage(buildMail({ from: FROM, to: TO, subject: 'A'.repeat(200_000), text: 'hello' }));
    expect(msg.subject).toHaveLength(MAX_SUBJECT_CHARS);
    expect(msg.limits).toEqual([`the subject is 200,000 characters long: only the first ${MAX_SUBJECT_CHARS.toLocaleString('en-US')} read`]);
  });

  it('a text over the cap is cut: 2.8 MB of numbers is not read to the end', async () => {
    const numbers = Array.from({ length: 200_000 }, (_, i) => `206-555-${String(i % 10_000).padStart(4, '0')}`).join('\n');
    const msg = await parseMessage(buildMail({ from: FROM, to: TO, subject: 'Port request', text: numbers }));
    expect(msg.text.length).toBe(MAX_TEXT_CHARS);
    expect(msg.limits?.[0]).toMatch(/^the text is [\d,]+ characters long: only the first 262,144 read$/);
  });

  it('any other header value over the cap is cut', async () => {
    const msg = await parseMessage(buildMail({ from: FROM, to: TO, subject: 's', text: 't', headers: { 'X-Junk': 'j'.repeat(MAX_HEADER_VALUE_CHARS + 10) } }));
    expect(msg.headers['x-junk']).toHaveLength(MAX_HEADER_VALUE_CHARS);
    expect(msg.limits).toEqual([`the x-junk header is ${(MAX_HEADER_VALUE_CHARS + 10).toLocaleString('en-US')} characters long: only the first ${MAX_HEADER_VALUE_CHARS.toLocaleString('en-US')} read`]);
  });

  it('more parts than the cap: mailparser stops, and the message says why', async () => {
    const ok = await parseMessage(multipart(10));
    expect(ok.limits).toBeUndefined();
    const many = await parseMessage(multipart(MAX_MIME_PARTS + 50));
    expect(many.limits).toEqual([`more than ${MAX_MIME_PARTS} MIME parts: not read`]);
  });

  it('a header block over 256 KB is not read', async () => {
    const folded = Array.from({ length: 3_000 }, () => ` ${'x'.repeat(100)}`).join('\r\n');
    const raw = Buffer.from(`From: ${FROM}\r\nTo: ${TO}\r\nSubject: big\r\nX-Pad: start\r\n${folded}\r\n\r\nbody\r\n`);
    const msg = await parseMessage(raw);
    expect(msg.limits).toEqual(['a header block over 256 KB: not read']);
  });

  it('To and Cc keep the first addresses; the rest is a limit', async () => {
    const many = Array.from({ length: MAX_MAILBOXES_PER_FIELD + 20 }, (_, i) => `r${i}@example.test`);
    const msg = await parseMessage(buildMail({ from: FROM, to: many, subject: 's', text: 't' }));
    expect(msg.to).toHaveLength(MAX_MAILBOXES_PER_FIELD);
    expect(msg.limits).toEqual([`${MAX_MAILBOXES_PER_FIELD + 20} addresses in To: only the first ${MAX_MAILBOXES_PER_FIELD} read`]);
  });

  it('References keeps the first and the most recent ids, as RFC 5322 trims them; no limit', async () => {
    const refs = Array.from({ length: 500 }, (_, i) => `r${i}@example.test`);
    const msg = await parseMessage(buildMail({ from: FROM, to: TO, subject: 's', text: 't', references: refs }));
    expect(msg.references).toHaveLength(MAX_REFERENCES);
    expect(msg.references[0]).toBe('r0@example.test');
    expect(msg.references.at(-1)).toBe('r499@example.test');
    expect(msg.limits).toBeUndefined();
  });

  it(`forwards nested deeper than ${MAX_EMBEDDED_DEPTH}: the innermost is not read, and that is a limit`, async () => {
    const within = await parseMessage(nestedForward(MAX_EMBEDDED_DEPTH));
    expect(within.limits).toBeUndefined();
    const deeper = await parseMessage(nestedForward(MAX_EMBEDDED_DEPTH + 1));
    expect(deeper.limits).toEqual([`forwarded messages nested more than ${MAX_EMBEDDED_DEPTH} deep: the innermost not read`]);
  });

  it('HTML nested 50,000 deep is read as bare text, without a stack overflow; the layout loss is a defect', async () => {
    const html = `<html><body>${'<div>'.repeat(50_000)}Port 206-555-0100${'</div>'.repeat(50_000)}</body></html>`;
    const raw = Buffer.from([`From: ${FROM}`, `To: ${TO}`, 'Subject: deep', 'MIME-Version: 1.0', 'Content-Type: text/html; charset=utf-8', '', html, ''].join('\r\n'));
    const msg = await parseMessage(raw);
    expect(msg.limits).toBeUndefined();
    expect(msg.defects).toContain('HTML nested 201 elements deep: read without its layout');
    expect(msg.text).toContain('206-555-0100');
  });
});

describe('unreadMessage: what the desk knows of a message it did not read', () => {
  it('takes the Message-ID and subject from the first lines of the header block, and says why', () => {
    const raw = Buffer.from(`From: ${FROM}\r\nSubject: Port\r\n request\r\nMessage-ID: <big-1@carrier.example.test>\r\n\r\n${'x'.repeat(1000)}`);
    const msg = unreadMessage(raw, 'reading it took longer than 10 s');
    expect(msg).toMatchObject({ key: 'big-1@carrier.example.test', messageId: 'big-1@carrier.example.test', subject: 'Port request', text: '', limits: ['reading it took longer than 10 s'] });
    expect(msg.from).toBeUndefined();
    expect(msg.size).toBe(raw.length);
  });

  it('without a Message-ID the key is the digest of the bytes, as parseMessage gives it', async () => {
    const raw = buildMail({ from: FROM, to: TO, subject: 's', text: 't', messageId: null });
    expect(unreadMessage(raw, 'why').key).toBe((await parseMessage(raw)).key);
  });
});
