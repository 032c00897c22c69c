import { describe, expect, it } from 'vitest';
import { readAttachment, type AttachmentReading } from '../../../src/mail/attachments/read-attachment.js';
import { extractNumbers } from '../../../src/mail/extract-numbers.js';
import { readPortLabels, type PortKey } from '../../../src/mail/read-port-labels.js';
import { attachment, drawPairs, makePdf, makePng, formTextWithTooltip } from './make-files.js';

/** The first value the label reader finds for each field, as the request reader keeps it. */
function labelled(text: string): Partial<Record<PortKey, string>> {
  const fields: Partial<Record<PortKey, string>> = {};
  for (const entry of readPortLabels(text)) fields[entry.key] ??= entry.value;
  return fields;
}

async function readPdf(content: Buffer, filename = 'loa.pdf'): Promise<AttachmentReading> {
  const reading = await readAttachment(attachment(filename, 'application/pdf', content));
  if (!reading) throw new Error('no reading');
  return reading;
}

const LOA_LEFT: [string, string][] = [
  ['Customer Name', 'Jane Doe'],
  ['Account Number', '88812'],
  ['Service Address', '1 Main St, Seattle, WA 98101'],
];
const LOA_RIGHT: [string, string][] = [
  ['Account PIN', '4321'],
  ['Requested Date', '03/15/2026'],
];

/** A typed letter of authorization: a heading, a paragraph, then label/value pairs in two columns. */
function drawLoa(doc: PDFKit.PDFDocument, y = 150): void {
  doc.fontSize(16).text('Letter of Authorization', 72, 60);
  doc.fontSize(10).text(
    'I authorize Example Telecom to transfer the telephone numbers listed below from my current provider. ' +
      'This letter wraps onto a second line, so the paragraph reads as running text.',
    72,
    90,
    { width: 450 },
  );
  drawPairs(doc, LOA_LEFT, 72, y, 110);
  drawPairs(doc, LOA_RIGHT, 340, y, 90);
}

describe('readAttachment: a typed PDF', () => {
  it('rebuilds lines in reading order, a TAB between columns', async () => {
    const reading = await readPdf(await makePdf((doc) => drawLoa(doc)));
    expect(reading).toMatchObject({ name: 'loa.pdf', kind: 'pdf', source: 'text' });
    expect(reading.unreadable).toBeUndefined();
    const lines = reading.text.split('\n');
    expect(lines[0]).toBe('Letter of Authorization');
    // The paragraph keeps its words and its line breaks, with no TAB inside it.
    expect(lines[1]).toMatch(/^I authorize Example Telecom to transfer the telephone numbers listed below/);
    expect(lines[2]).toMatch(/so the paragraph reads as running text\.$/);
    expect(`${lines[1]} ${lines[2]}`).not.toContain('\t');
    expect(lines).toContain('Customer Name\tJane Doe\tAccount PIN\t4321');
    expect(lines).toContain('Account Number\t88812\tRequested Date\t03/15/2026');
    expect(lines).toContain('Service Address\t1 Main St, Seattle, WA 98101');
  });

  it('gives the label reader the name, account number, PIN, address and date', async () => {
    const reading = await readPdf(await makePdf((doc) => drawLoa(doc)));
    expect(labelled(reading.text)).toMatchObject({
      name: 'Jane Doe',
      accountNumber: '88812',
      pin: '4321',
      street: '1 Main St, Seattle, WA 98101',
      requestedDate: '03/15/2026',
    });
  });

  it('reads pages in order, a blank line between them, the fields on page 2', async () => {
    const content = await makePdf((doc) => {
      doc.fontSize(12).text('Cover letter: please port the numbers in the attached form.', 72, 72);
      doc.addPage();
      drawLoa(doc, 200);
      doc.text('Telephone numbers to port:', 72, 320);
      ['(206) 555-0100', '(206) 555-0101', '(206) 555-0102'].forEach((number, index) => doc.text(number, 90, 340 + index * 16));
    });
    const reading = await readPdf(content);
    const [first, second] = reading.text.split('\n\n');
    expect(first).toBe('Cover letter: please port the numbers in the attached form.');
    expect(second).toContain('Account Number\t88812');
    expect(labelled(reading.text)).toMatchObject({ name: 'Jane Doe', accountNumber: '88812', pin: '4321' });
    expect(extractNumbers(reading.text).dids).toEqual(['+12065550100', '+12065550101', '+12065550102']);
  });

  it('reads text typed onto the page in a viewer (FreeText) beside its printed label', async () => {
    const content = await makePdf((doc) => {
      doc.fontSize(10).text('Account Number:', 72, 120);
      doc.annotate(220, 118, 100, 14, { Subtype: 'FreeText', Contents: new String('88812'), DA: new String('/Helv 10 Tf 0 g') } as never);
    });
    const reading = await readPdf(content);
    expect(reading.text).toBe('Account Number:\t88812');
    expect(labelled(reading.text).accountNumber).toBe('88812');
  });

  it('notes pages without text among pages with text', async () => {
    const content = await makePdf((doc) => {
      drawLoa(doc);
      doc.addPage();
      doc.image(makePng(120, 80), 72, 72, { width: 400 });
    });
    const reading = await readPdf(content);
    expect(reading.unreadable).toBeUndefined();
    expect(reading.notes).toContain('page 2 of 2 has no text (a scan or a picture?): look at it');
  });
});

describe('readAttachment: a fillable PDF', () => {
  const form = (): Promise<Buffer> =>
    makePdf((doc) => {
      doc.initForm();
      doc.fontSize(10).text('Customer Name:', 72, 100);
      doc.formText('form1[0].Page1[0].CustomerName[0]', 200, 96, 200, 18, { value: 'Jane Doe' });
      doc.text('Account Number:', 72, 130);
      doc.formText('AccountNumber', 200, 126, 200, 18, { value: '88812' });
      doc.text('PIN:', 72, 160);
      formTextWithTooltip(doc, 'Text7', 'Account PIN', [200, 156, 200, 18], '4321');
      doc.text('Notes:', 72, 190);
      doc.formText('Notes', 200, 186, 200, 18, { value: '' });
      doc.formCheckbox('Business', 72, 220, 12, 12, { value: 'Yes' } as object);
      doc.formCheckbox('Residential', 72, 240, 12, 12, {});
      doc.addPage();
      doc.text('Service Address:', 72, 100);
      doc.formText('service_address', 200, 96, 250, 40, { value: '1 Main St\nSeattle, WA 98101', multiline: true } as object);
      doc.text('Desired Due Date:', 72, 160);
      doc.formText('DDD', 200, 156, 100, 18, { value: '2026-03-15' });
    });

  it('gives filled fields as "Field Name: value" lines in page order, then the pages', async () => {
    const reading = await readPdf(await form(), 'port-form.pdf');
    expect(reading).toMatchObject({ kind: 'pdf', source: 'form' });
    const [fields, page1, page2] = reading.text.split('\n\n');
    expect(fields?.split('\n')).toEqual([
      'Customer Name: Jane Doe',
      'Account Number: 88812',
      'Account PIN: 4321',
      'Business: Yes',
      'service address: 1 Main St, Seattle, WA 98101',
      'DDD: 2026-03-15',
    ]);
    expect(page1).toContain('Account Number:');
    expect(page2).toContain('Desired Due Date:');
    expect(reading.notes).toContain('6 filled form fields');
  });

  it('lets the field values, not the printed labels, reach the label reader first', async () => {
    const reading = await readPdf(await form(), 'port-form.pdf');
    expect(labelled(reading.text)).toMatchObject({
      name: 'Jane Doe',
      accountNumber: '88812',
      pin: '4321',
      street: '1 Main St, Seattle, WA 98101',
      requestedDate: '2026-03-15',
    });
  });
});

describe('readAttachment: PDFs a person must read', () => {
  it('a scan (an image, no text) has no text layer', async () => {
    const content = await makePdf((doc) => doc.image(makePng(160, 100), 72, 72, { width: 450 }));
    const reading = await readPdf(content, 'signed-loa.pdf');
    expect(reading).toMatchObject({
      kind: 'pdf',
      text: '',
      unreadable: 'signed-loa.pdf has no text layer (a scan or a picture): read it and enter the request by hand',
    });
  });

  it('an encrypted one says so', async () => {
    const content = await makePdf((doc) => drawLoa(doc), { userPassword: 'secret', pdfVersion: '1.7' });
    const reading = await readPdf(content);
    expect(reading.unreadable).toBe('loa.pdf is encrypted: it needs a password to open');
  });

  it('one with only an owner password (no password to open) is read', async () => {
    const content = await makePdf((doc) => drawLoa(doc), { ownerPassword: 'owner', permissions: { printing: 'highResolution' } });
    const reading = await readPdf(content);
    expect(reading.text).toContain('Account Number\t88812');
  });

  it('a broken one (cut short) is unreadable with the reason, and nothing throws', async () => {
    const content = await makePdf((doc) => drawLoa(doc));
    const reading = await readPdf(content.subarray(0, Math.floor(content.length / 3)));
    expect(reading.unreadable).toMatch(/^loa\.pdf is not a readable PDF \(.+\): open it and enter the request by hand$/);
    const garbage = await readPdf(Buffer.from('%PDF-1.7\n%garbage only\n'));
    expect(garbage.unreadable).toMatch(/^loa\.pdf (?:is not a readable PDF|could not be read as a PDF|has no text layer)/);
  });

  it('one over 50 pages is not read', async () => {
    const content = await makePdf((doc) => {
      doc.text('page 1');
      for (let page = 2; page <= 51; page += 1) doc.addPage().text(`page ${page}`);
    });
    const reading = await readPdf(content, 'contract.pdf');
    expect(reading.unreadable).toBe('contract.pdf has 51 pages; only PDFs up to 50 pages are read');
  });

  it('a dynamic XFA form (only its "Please wait" page outside Adobe Reader) must be read by a person', async () => {
    const content = await makePdf((doc) =>
      doc.text(
        'Please wait... If this message is not eventually replaced by the proper contents of the document, ' +
          'your PDF viewer may not be able to display this type of document.',
        72,
        72,
        { width: 450 },
      ),
    );
    const reading = await readPdf(content, 'lsr.pdf');
    expect(reading.unreadable).toBe('lsr.pdf is an XFA form (made for Adobe Reader) whose fields cannot be read here: open it and enter the request by hand');
  });

  it('reads a PDF sent as application/octet-stream by its %PDF signature', async () => {
    const content = await makePdf((doc) => drawLoa(doc));
    const reading = await readAttachment(attachment(undefined, 'application/octet-stream', content));
    expect(reading).toMatchObject({ name: 'application/octet-stream', kind: 'pdf' });
    expect(reading?.text).toContain('Customer Name\tJane Doe');
  });
});

describe('readAttachment: a 200 KB text PDF', () => {
  it('is read in well under the time cap', async () => {
    const paragraph =
      'The customer named above authorizes the transfer of the listed telephone numbers, and confirms that ' +
      'the information given is accurate and that they are the account holder or are authorized to act for it. ';
    const content = await makePdf((doc) => {
      drawLoa(doc);
      for (let page = 0; page < 24; page += 1) doc.addPage().fontSize(9).text(paragraph.repeat(28), 50, 50, { width: 510 });
    });
    expect(content.length).toBeGreaterThan(150 * 1024);
    const started = performance.now();
    const reading = await readPdf(content);
    const elapsed = performance.now() - started;
    expect(reading.unreadable).toBeUndefined();
    expect(reading.text).toContain('Account Number\t88812');
    expect(elapsed).toBeLessThan(5_000);
  });
});
