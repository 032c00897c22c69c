import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyMessage } from '../../src/mail/classify-message.js';
import { parseMessage } from '../../src/mail/parse-message.js';
import { readPortRequest } from '../../src/mail/read-port-request.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'bad');
const ctx = { deskAddresses: ['porting@example.test'] };

async function read(raw: Buffer) {
  const msg = await parseMessage(raw);
  return { msg, classification: classifyMessage(msg, ctx), reading: readPortRequest(msg) };
}

describe('bad input never throws and says what is wrong', () => {
  it('no From header: still read by content, with the defect and a note', async () => {
    const { msg, classification, reading } = await read(readFileSync(join(dir, 'no-from.eml')));
    expect(msg.from).toBeUndefined();
    expect(msg.defects).toContain('no From header');
    expect(classification.kind).toBe('port_request');
    expect(classification.notes).toContain('no From address');
    expect(reading.fields.dids).toEqual(['+12065550100']);
    expect(reading.fields.carrierEmail).toBeUndefined();
  });

  it('no body: other, with the defect; a request reading names the missing numbers', async () => {
    const { msg, classification, reading } = await read(readFileSync(join(dir, 'no-body.eml')));
    expect(msg.defects).toContain('no body');
    expect(classification.kind).toBe('other');
    expect(reading.missing).toEqual(['telephone numbers']);
  });

  it('leading blank lines: stripped, headers read, defect recorded', async () => {
    const { msg, classification, reading } = await read(readFileSync(join(dir, 'leading-blank-lines.eml')));
    expect(msg.defects).toContain('leading blank lines');
    expect(msg.from?.address).toBe('lnp@cascadetel.example.test');
    expect(msg.subject).toBe('Port-out request PON CT-40901');
    expect(classification.kind).toBe('port_request');
    expect(reading.fields.dids).toEqual(['+12065550101']);
  });

  it('a boundary that never occurs: read with the boundary the body uses', async () => {
    const { msg, classification, reading } = await read(readFileSync(join(dir, 'broken-boundary.eml')));
    expect(msg.defects.some((d) => d.startsWith('broken MIME boundary'))).toBe(true);
    expect(msg.text).toContain('Harbor Dental Group');
    expect(msg.text).not.toContain('--actual-boundary-7');
    expect(classification.kind).toBe('port_request');
    expect(reading.fields.dids).toEqual(['+12065550102']);
  });

  it('a boundary that never occurs and no other: the body is kept as text', async () => {
    const raw = Buffer.from(
      'From: a@example.test\r\nSubject: Port request\r\nContent-Type: multipart/mixed; boundary="zz"\r\n\r\nAccount Name: X\r\nNumbers: 206-555-0104\r\n',
    );
    const { msg, reading } = await read(raw);
    expect(msg.defects).toContain('body kept as plain text');
    expect(reading.fields.dids).toEqual(['+12065550104']);
  });

  it('a multipart with no parts: no body', async () => {
    const { msg, classification } = await read(readFileSync(join(dir, 'multipart-no-parts.eml')));
    expect(msg.defects).toEqual(expect.arrayContaining(['multipart with no parts', 'no body']));
    expect(classification.kind).toBe('other');
  });

  it('unknown charset: named in defects, the text still read', async () => {
    const { msg, classification, reading } = await read(readFileSync(join(dir, 'unknown-charset.eml')));
    expect(msg.defects).toContain('unknown charset x-klingon-8');
    expect(classification.kind).toBe('port_request');
    expect(reading.fields.dids).toEqual(['+12065550103']);
  });

  it('an HTML body naming its charset in quoted-printable (charset=3D"utf-8") is no unknown charset', async () => {
    const raw = Buffer.from(
      [
        'From: lnp@carrier.example.test',
        'To: porting@example.test',
        'Subject: Port request',
        'MIME-Version: 1.0',
        'Content-Type: text/html; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        '<html><head><meta http-equiv=3D"Content-Type" content=3D"text/html; charset=3D"utf-8"></head>',
        '<body><p>Please port 206-555-0104.</p></body></html>',
        '',
      ].join('\r\n'),
    );
    const { msg, reading } = await read(raw);
    expect(msg.defects).toEqual(['no Message-ID']);
    expect(reading.fields.dids).toEqual(['+12065550104']);
  });

  it('a 15 MB attachment is dropped, its name and size kept', async () => {
    const big = Buffer.alloc(15 * 1024 * 1024, 0x25);
    const raw = Buffer.concat([
      Buffer.from(
        [
          'From: Cascade Porting <lnp@cascadetel.example.test>',
          'To: porting@example.test',
          'Subject: Port-out request with LOA',
          'Message-ID: <big1@cascadetel.example.test>',
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary="big"',
          '',
          '--big',
          'Content-Type: text/plain',
          '',
          'Account Name: Harbor Dental Group',
          'Numbers: 206-555-0105',
          '--big',
          'Content-Type: application/pdf; name="loa.pdf"',
          'Content-Disposition: attachment; filename="loa.pdf"',
          'Content-Transfer-Encoding: base64',
          '',
          '',
        ].join('\r\n'),
      ),
      Buffer.from(big.toString('base64').replace(/(.{76})/g, '$1\r\n')),
      Buffer.from('\r\n--big--\r\n'),
    ]);
    const { msg, classification, reading } = await read(raw);
    expect(msg.attachments).toHaveLength(1);
    expect(msg.attachments[0]).toMatchObject({ filename: 'loa.pdf', size: big.length, dropped: true });
    expect(msg.attachments[0]?.content.length).toBe(0);
    expect(msg.limits).toContain('attachment loa.pdf (15.0 MB) dropped: over 10 MB');
    expect(msg.defects).toEqual([]);
    expect(classification.kind).toBe('port_request');
    expect(reading.fields.dids).toEqual(['+12065550105']);
  });

  it('binary garbage: no crash, kind other, defects say why', async () => {
    const bytes = Buffer.alloc(64 * 1024);
    let seed = 7;
    for (let i = 0; i < bytes.length; i += 1) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      bytes[i] = seed & 0xff;
    }
    const { msg, classification, reading } = await read(bytes);
    expect(msg.defects).toEqual(expect.arrayContaining(['binary content: not a mail message', 'no From header', 'no Message-ID']));
    expect(msg.key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(classification.kind).toBe('other');
    expect(reading.missing).toContain('telephone numbers');
  });

  it('an empty message', async () => {
    const { msg, classification } = await read(Buffer.alloc(0));
    expect(msg.defects).toEqual(expect.arrayContaining(['no From header', 'no body', 'no Message-ID']));
    expect(classification.kind).toBe('other');
  });

  it('5,000 numbers in one request are all read', async () => {
    const numbers = Array.from({ length: 5000 }, (_, i) => {
      const exchange = 200 + Math.floor(i / 1000);
      return `(425) ${exchange}-${String(i % 1000).padStart(4, '0')}`;
    });
    const raw = Buffer.from(
      [
        'From: Bulk Ports <bulk@meridian.example.test>',
        'To: porting@example.test',
        'Subject: Port-out request - 5000 numbers',
        'Message-ID: <bulk5000@meridian.example.test>',
        '',
        'Account Name: Meridian Logistics',
        'ZIP: 97201',
        'Numbers:',
        ...numbers,
      ].join('\r\n'),
    );
    const { classification, reading } = await read(raw);
    expect(classification.kind).toBe('port_request');
    expect(reading.fields.dids).toHaveLength(5000);
    expect(reading.fields.dids[0]).toBe('+14252000000');
    expect(reading.fields.dids[4999]).toBe('+14252040999');
  });
});
