/**
 * A letter of authorization of about 200 KB as carriers attach it: two pages of text (the terms,
 * a signature block) and a scanned signature and letterhead that make up most of its size, as
 * they do in the LOAs carriers send. The body keeps every field, so the PDF changes what the desk
 * reads, not what it decides; the backlog-pdf scenario attaches it to one request in ten.
 */
import PDFDocument from 'pdfkit';
import { makePng } from '../test/mail/attachments/make-files.js';
import type { GeneratedRequest } from './fixtures.js';

const TERMS =
  'I authorize the carrier named above to act as my agent for the purpose of transferring the telephone numbers listed in this letter from my current service provider. ' +
  'I understand that services tied to these numbers with my current provider may end when the transfer completes, and that any balance I owe my current provider remains mine. ';

export async function makeLoaPdf(): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'LETTER', info: { Title: 'Letter of Authorization', CreationDate: new Date('2027-01-01T00:00:00Z') } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  // Noise does not compress: the two pictures weigh what scans do.
  doc.image(makePng(660, 270), 72, 40, { width: 200 });
  doc.fontSize(16).text('LETTER OF AUTHORIZATION', 72, 160);
  doc.fontSize(10);
  for (let p = 0; p < 8; p += 1) doc.text(`${p + 1}. ${TERMS}`, { align: 'justify' }).moveDown(0.5);
  doc.addPage();
  for (let p = 8; p < 12; p += 1) doc.text(`${p + 1}. ${TERMS}`, { align: 'justify' }).moveDown(0.5);
  doc.moveDown().text('Authorized Signature:');
  doc.image(makePng(300, 80), 72, doc.y + 6, { width: 180 });
  doc.end();
  return done;
}

/** Each `every`-th request with the PDF attached: the message becomes multipart/mixed around it. */
export function withLoaEvery(requests: GeneratedRequest[], pdf: Buffer, every: number): GeneratedRequest[] {
  const encoded = pdf.toString('base64').replace(/(.{76})/g, '$1\r\n');
  return requests.map((r, i) => (i % every === every - 1 ? { ...r, raw: attach(r.raw, encoded, r.messageId) } : r));
}

function attach(raw: Buffer, base64Pdf: string, messageId: string): Buffer {
  const text = raw.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const head = text.slice(0, split).split(/\r\n(?![ \t])/);
  const body = text.slice(split + 4);
  const isPartHeader = (h: string) => /^content-(?:type|transfer-encoding|disposition)\s*:/i.test(h);
  const boundary = `loa-${messageId.replace(/[^a-z0-9]/gi, '')}`;
  const top = head.filter((h) => !isPartHeader(h));
  const part = head.filter(isPartHeader);
  return Buffer.from(
    [
      ...top,
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      ...(part.length ? part : ['Content-Type: text/plain; charset=utf-8']),
      '',
      body,
      `--${boundary}`,
      'Content-Type: application/pdf; name="LOA.pdf"',
      'Content-Disposition: attachment; filename="LOA.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      base64Pdf,
      `--${boundary}--`,
      '',
    ].join('\r\n'),
    'latin1',
  );
}
