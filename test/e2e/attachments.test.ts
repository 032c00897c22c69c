/**
 * End to end through the daemon's embedded SMTP listener (SPEC §15): a cover note with the request
 * in a PDF letter of authorization becomes an order and the customer is asked; the same with the
 * request in a spreadsheet; a scanned LOA waits in Review (UNREADABLE_ATTACHMENT) and so does a
 * PDF that gives another account number than the message (CONFLICTING_FIELDS), with nothing sent
 * but the alert to support.
 */
import * as XLSX from '@e965/xlsx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPPORT, isTo, startDeskHarness, type DeskHarness } from '../support/desk-harness.js';
import { makePdf, makePng } from '../mail/attachments/make-files.js';
import { newMessageId } from '../support/mail-builder.js';
import { account, number } from './support/scenario.js';

let h: DeskHarness;

beforeAll(async () => {
  h = await startDeskHarness({ inbound: 'smtp', accounts: [account(81), account(82), account(83), account(84)] });
});

afterAll(async () => {
  await h?.close();
});

/** A cover note with one attachment, as a carrier's LNP desk sends it. */
function withAttachment(opts: { pon: string; text: string; filename: string; contentType: string; content: Buffer; carrier: string }): Buffer {
  const id = newMessageId(opts.carrier.slice(opts.carrier.indexOf('@') + 1));
  return Buffer.from(
    [
      `From: LNP Desk <${opts.carrier}>`,
      'To: porting@example.test',
      `Subject: Port-out request - PON ${opts.pon}`,
      `Message-ID: <${id}>`,
      'Date: Mon, 01 Mar 2027 15:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="cover"',
      '',
      '--cover',
      'Content-Type: text/plain; charset=utf-8',
      '',
      opts.text,
      '--cover',
      `Content-Type: ${opts.contentType}; name="${opts.filename}"`,
      `Content-Disposition: attachment; filename="${opts.filename}"`,
      'Content-Transfer-Encoding: base64',
      '',
      opts.content.toString('base64').replace(/(.{76})/g, '$1\r\n'),
      '--cover--',
      '',
    ].join('\r\n'),
  );
}

function loa(n: number, accountNumber: string): Promise<Buffer> {
  return makePdf((doc) => {
    doc.fontSize(14).text('LETTER OF AUTHORIZATION', 72, 72);
    doc.fontSize(10);
    const pairs: [string, string][] = [
      ['Customer Name:', `Customer ${n} Person`],
      ['Service Address:', `${100 + n} N Main St Ste 5`],
      ['City:', 'Seattle'],
      ['State:', 'WA'],
      ['ZIP:', '98101'],
      ['Account Number:', accountNumber],
      ['Numbers to port:', number(n, 1)],
      ['Authorized Name:', `Customer ${n} Person`],
    ];
    pairs.forEach(([label, value], i) => {
      doc.text(label, 72, 120 + i * 20);
      doc.text(value, 240, 120 + i * 20);
    });
  });
}

describe('requests in attachments', () => {
  it('a PDF LOA under a cover note: an order with the LOA’s fields, the customer asked', async () => {
    const raw = withAttachment({ pon: 'PON-PDF-81', text: 'Please see the attached LOA.', filename: 'loa.pdf', contentType: 'application/pdf', content: await loa(81, '1081'), carrier: 'lnp@pdf-carrier.test' });
    await h.send(raw);
    const verification = await h.waitForMail((m) => isTo('customer81@example.test', m) && /please confirm/i.test(m.subject ?? ''));
    expect(verification).toBeDefined();
    const order = h.daemon.store.listOrders().find((o) => o.carrier.pon === 'PON-PDF-81')!;
    expect(order).toMatchObject({ accountId: 'ACCT-81', dids: ['+12065551811'] });
    expect(order.provided).toMatchObject({ name: 'Customer 81 Person', zip: '98101', accountNumber: '1081' });
    expect(order.provided.fromProse).toBeUndefined();
  });

  it('a spreadsheet of label and value rows: an order too', async () => {
    const sheet = XLSX.utils.aoa_to_sheet([
      ['Port request'],
      ['Account Name', 'Customer 82 Person'],
      ['Service Address', '182 N Main St Ste 5'],
      ['ZIP', '98101'],
      ['Telephone Number', number(82, 1)],
    ]);
    const book = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(book, sheet, 'Request');
    const xlsx = XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer;
    const raw = withAttachment({ pon: 'PON-XLSX-82', text: 'Numbers attached.', filename: 'port.xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', content: xlsx, carrier: 'lnp@sheet-carrier.test' });
    await h.send(raw);
    await h.waitForMail((m) => isTo('customer82@example.test', m) && /please confirm/i.test(m.subject ?? ''));
    expect(h.daemon.store.listOrders().find((o) => o.carrier.pon === 'PON-XLSX-82')).toMatchObject({ accountId: 'ACCT-82' });
  });

  it('a scanned LOA: Review (UNREADABLE_ATTACHMENT), no order, only support told', async () => {
    const scan = await makePdf((doc) => {
      doc.image(makePng(200, 260), 72, 72, { width: 400 });
    });
    const raw = withAttachment({ pon: 'PON-SCAN-83', text: 'Signed LOA attached (scanned).', filename: 'scan.pdf', contentType: 'application/pdf', content: scan, carrier: 'lnp@scan-carrier.test' });
    await h.send(raw);
    const id = /^Message-ID: <([^>]+)>/im.exec(raw.toString())![1]!;
    expect(h.daemon.store.getInbound(id)).toMatchObject({ outcome: 'review', reviewReason: 'UNREADABLE_ATTACHMENT' });
    expect(h.daemon.store.getInbound(id)!.reason).toMatch(/scan\.pdf/);
    expect(h.daemon.store.listOrders().filter((o) => o.carrier.email === 'lnp@scan-carrier.test')).toEqual([]);
    await h.waitForMail((m) => isTo(SUPPORT, m) && /UNREADABLE_ATTACHMENT|cannot read/i.test(`${m.subject ?? ''} ${m.text ?? ''}`));
    // Neither the carrier nor the account's customer hears of it (mail of the tests before may
    // still be arriving, so the check is by recipient, not by count).
    expect(h.mailsTo('lnp@scan-carrier.test')).toEqual([]);
    expect(h.mailsTo('customer83@example.test')).toEqual([]);
  });

  it('a PDF that gives another account number than the message: Review (CONFLICTING_FIELDS) with both values', async () => {
    const raw = withAttachment({
      pon: 'PON-CONF-84',
      text: `Port request.\nAccount Number: 1084\nTelephone Number: ${number(84, 1)}`,
      filename: 'loa.pdf',
      contentType: 'application/pdf',
      content: await loa(84, '9999'),
      carrier: 'lnp@conflict-carrier.test',
    });
    await h.send(raw);
    const id = /^Message-ID: <([^>]+)>/im.exec(raw.toString())![1]!;
    expect(h.daemon.store.getInbound(id)).toMatchObject({ outcome: 'review', reviewReason: 'CONFLICTING_FIELDS' });
    expect(h.daemon.store.getInbound(id)!.reason).toMatch(/account number "1084" in the message, "9999" in loa\.pdf/);
    expect(h.daemon.store.listOrders().filter((o) => o.carrier.email === 'lnp@conflict-carrier.test')).toEqual([]);
  });
});
