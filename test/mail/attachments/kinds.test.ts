import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readAttachment } from '../../../src/mail/attachments/read-attachment.js';
import type { InboundAttachment } from '../../../src/mail/types.js';
import { attachment, makePng, makeZip } from './make-files.js';

describe('readAttachment: text and HTML', () => {
  it('gives a text file as it is', async () => {
    const text = 'Account Name: Jane Doe\nBTN: 206-555-0100\n';
    expect(await readAttachment(attachment('request.txt', 'text/plain', Buffer.from(text)))).toEqual({
      name: 'request.txt',
      kind: 'text',
      text,
      source: 'text',
      notes: [],
    });
  });

  it('cuts a long text file at 256 KB of text and says so', async () => {
    const reading = await readAttachment(attachment('log.txt', 'text/plain', Buffer.alloc(300 * 1024, 'a')));
    expect(reading?.text).toHaveLength(256 * 1024);
    expect(reading?.notes).toEqual(['the text of log.txt is 307,200 characters long: only the first 262,144 read']);
  });

  it('gives an HTML file as text, a table row on one line', async () => {
    const html = '<html><body><table><tr><th>Account Number</th><td>88812</td></tr><tr><td>PIN</td><td>4321</td></tr></table><script>x()</script></body></html>';
    const reading = await readAttachment(attachment('form.html', 'text/html', Buffer.from(html)));
    expect(reading).toMatchObject({ kind: 'html', source: 'text', text: 'Account Number\t88812\nPIN\t4321' });
  });

  it('does not read binary bytes sent as text/plain as text', async () => {
    const reading = await readAttachment(attachment('data.txt', 'text/plain', Buffer.from([0x00, 0x01, 0x02, 0x41])));
    expect(reading).toMatchObject({ kind: 'other', text: '' });
    expect(reading?.unreadable).toMatch(/^data\.txt \(text\/plain\) is not a kind of file the desk reads/);
  });
});

describe('readAttachment: images', () => {
  const png = makePng(400, 300);

  it('a scan or photo must be read by a person', async () => {
    expect(png.length).toBeGreaterThan(20 * 1024);
    const reading = await readAttachment(attachment('loa-signed.png', 'image/png', png));
    expect(reading).toEqual({
      name: 'loa-signed.png',
      kind: 'image',
      text: '',
      source: 'text',
      unreadable: 'loa-signed.png is an image (a scan or a photo): read it and enter the request by hand',
      notes: [],
    });
  });

  it('a small inline picture named like a signature logo is nothing for a request', async () => {
    const logo = makePng(40, 20);
    expect(logo.length).toBeLessThan(20 * 1024);
    expect(await readAttachment(attachment('image001.png', 'image/png', logo))).toBeUndefined();
    expect(await readAttachment(attachment(undefined, 'image/png', logo))).toBeUndefined();
    // A small picture with a document's name is still looked at.
    expect((await readAttachment(attachment('loa.png', 'image/png', logo)))?.unreadable).toMatch(/is an image/);
    // A large one named image001 is a pasted scan, not a logo.
    expect((await readAttachment(attachment('image001.png', 'image/png', png)))?.kind).toBe('image');
  });

  it('knows an image by its bytes whatever its type says', async () => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(30 * 1024, 1)]);
    expect((await readAttachment(attachment('scan', 'application/octet-stream', jpeg)))?.kind).toBe('image');
  });
});

describe('readAttachment: archives and documents that are not read', () => {
  const zip = makeZip([{ name: 'numbers.csv', data: Buffer.from('2065550100\n') }]);

  it('an archive is not opened', async () => {
    expect(await readAttachment(attachment('numbers.zip', 'application/zip', zip))).toMatchObject({
      kind: 'archive',
      unreadable: 'numbers.zip is an archive; archives are not opened: ask the carrier for the files themselves',
    });
    const gzip = gzipSync(Buffer.from('2065550100\n'));
    expect((await readAttachment(attachment('numbers.csv.gz', 'application/octet-stream', gzip)))?.kind).toBe('archive');
    const rar = Buffer.from('Rar!\x1a\x07\x01\x00rest', 'latin1');
    expect((await readAttachment(attachment('numbers.rar', 'application/x-rar-compressed', rar)))?.kind).toBe('archive');
    // Named .xlsx but a plain zip inside: an archive.
    expect((await readAttachment(attachment('numbers.xlsx', 'application/octet-stream', zip)))?.kind).toBe('archive');
  });

  it('a Word document is named for what it is', async () => {
    const docx = makeZip([
      { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
      { name: 'word/document.xml', data: Buffer.from('<w:document/>') },
    ]);
    const reading = await readAttachment(attachment('loa.docx', 'application/octet-stream', docx));
    expect(reading).toMatchObject({
      kind: 'other',
      unreadable: 'loa.docx is a word-processor document, which is not read: open it and enter the request by hand',
    });
  });

  it('an unknown binary is left to a person', async () => {
    const reading = await readAttachment(attachment('data.bin', 'application/octet-stream', Buffer.from([0, 159, 146, 150, 0, 1])));
    expect(reading?.unreadable).toBe('data.bin (application/octet-stream) is not a kind of file the desk reads: open it and enter the request by hand');
  });
});

describe('readAttachment: what holds nothing for a request, or was not kept', () => {
  it('signatures, invitations and forwarded messages give nothing', async () => {
    const parts: InboundAttachment[] = [
      attachment('smime.p7s', 'application/pkcs7-signature', Buffer.from([0x30, 0x82, 0x01])),
      attachment('invite.ics', 'text/calendar', Buffer.from('BEGIN:VCALENDAR')),
      attachment(undefined, 'message/rfc822', Buffer.from('From: a@b.test\r\n\r\nhello')),
      attachment('empty.txt', 'text/plain', Buffer.alloc(0)),
    ];
    for (const part of parts) expect(await readAttachment(part)).toBeUndefined();
  });

  it('an attachment dropped as too large says so', async () => {
    const dropped: InboundAttachment = { filename: 'loa.pdf', contentType: 'application/pdf', size: 12 * 1024 * 1024, content: Buffer.alloc(0), dropped: true };
    expect(await readAttachment(dropped)).toMatchObject({
      kind: 'pdf',
      unreadable: 'loa.pdf (12.0 MB) was not kept: attachments over 10.0 MB are not read',
    });
  });

  it('an empty PDF is a failed upload', async () => {
    expect((await readAttachment(attachment('loa.pdf', 'application/pdf', Buffer.alloc(0))))?.unreadable).toBe(
      'loa.pdf is empty (0 bytes): ask the carrier to send it again',
    );
  });

  it('never throws, whatever the bytes', async () => {
    const junk = [Buffer.from('%PDF-'), Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1', 'latin1'), Buffer.from('"a,b\n"c')];
    for (const content of junk) {
      for (const [filename, type] of [['x.pdf', 'application/pdf'], ['x.xlsx', 'application/octet-stream'], ['x.xls', 'application/vnd.ms-excel'], ['x.csv', 'text/csv']] as const) {
        const reading = await readAttachment(attachment(filename, type, content));
        expect(reading === undefined || typeof reading.text === 'string').toBe(true);
      }
    }
  });
});
