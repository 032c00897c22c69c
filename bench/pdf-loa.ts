/**
 * A letter of authorization of about 200 KB as carriers attach it (text PDF, uncompressed, a
 * dozen pages of terms and a signature block), and the backlog's requests with it attached to one
 * in ten: the body keeps every field, so the PDF changes what the desk reads, not what it decides.
 */
import PDFDocument from 'pdfkit';
import type { GeneratedRequest } from './fixtures.js';

const TERMS =
  'I authorize the carrier named above to act as my agent for the purpose of transferring the telephone numbers listed in this letter from my current service provider. ' +
  'I understand that services tied to these numbers with my current provider may end when the transfer completes, and that any balance I owe my current provider remains mine. ';

export async function makeLoaPdf(): Promise<Buffer> {
  const doc = new PDFDocument({ compress: false, size: 'LETTER', info: { Title: 'Letter of Authorization', CreationDate: new Date('2027-01-01T00:00:00Z') } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  doc.fontSize(16).text('LETTER OF AUTHORIZATION');
  doc.fontSize(9);
  for (let page = 0; page < 12; page += 1) {
    if (page > 0) doc.addPage();
    for (let p = 0; p < 14; p += 1) doc.text(`${page + 1}.${p + 1} ${TERMS}`, { align: 'justify' }).moveDown(0.4);
  }
  doc.moveDown().fontSize(10).text('Authorized Signature: ______________________    Date: ____________');
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
