import { describe, expect, it } from 'vitest';
import { readAttachment, type AttachmentReading } from '../../../src/mail/attachments/read-attachment.js';
import { extractNumbers } from '../../../src/mail/extract-numbers.js';
import { readPortLabels, type PortKey } from '../../../src/mail/read-port-labels.js';
import { attachment, dateCell, makeWorkbook, makeZip } from './make-files.js';

function labelled(text: string): Partial<Record<PortKey, string>> {
  const fields: Partial<Record<PortKey, string>> = {};
  for (const entry of readPortLabels(text)) fields[entry.key] ??= entry.value;
  return fields;
}

async function read(filename: string | undefined, contentType: string, content: Buffer): Promise<AttachmentReading> {
  const reading = await readAttachment(attachment(filename, contentType, content));
  if (!reading) throw new Error('no reading');
  return reading;
}

const NUMBERS = Array.from({ length: 40 }, (_, index) => `206555${String(100 + index).padStart(4, '0')}`);

/** A numbers sheet: a title, a blank row, the header on row 3, then 40 numbers with a port date. */
const numbersSheet = (): unknown[][] => [
  ['Port-out request', 'Acme Corp'],
  [],
  ['Telephone Number', 'Location', 'Port Date'],
  ...NUMBERS.map((number, index) => [index === 1 ? Number(`1${number}`) : number, index % 2 ? 'Tacoma' : 'Seattle', dateCell(2026, 3, 15)]),
];

/** A label/value sheet as carriers send it: labels in A (some with ':'), values in B. */
const loaSheet = (): unknown[][] => [
  ['Letter of Authorization'],
  ['Customer Name:', 'Jane Doe'],
  ['Account Number', 88812],
  ['PIN', '0042'],
  ['Service Address', '1 Main St, Seattle, WA 98101'],
  ['Requested Date', dateCell(2026, 3, 15)],
  ['Notes', '=HYPERLINK("http://evil.test","click")'],
];

describe('readAttachment: spreadsheets', () => {
  it('reads a table under a header row on row 3 as "Header: value" lines, every number in the text', async () => {
    const content = makeWorkbook({ Numbers: numbersSheet() }, 'xlsx');
    const reading = await read('numbers.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', content);
    expect(reading).toMatchObject({ kind: 'spreadsheet', source: 'table' });
    const lines = reading.text.split('\n');
    expect(lines[0]).toBe('Port-out request\tAcme Corp');
    expect(lines[1]).toBe('Telephone Number: 2065550100\tLocation: Seattle\tPort Date: 2026-03-15');
    // Stored as a number, 12065550101 is not shown as 1.20656E+10.
    expect(lines[2]).toBe('Telephone Number: 12065550101\tLocation: Tacoma\tPort Date: 2026-03-15');
    expect(lines).toHaveLength(41);
    expect(extractNumbers(reading.text).dids).toHaveLength(40);
    expect(reading.notes).toContain('sheet "Numbers": a table under a header row');
  });

  it('reads a label/value sheet as "Label: value" lines the label reader takes', async () => {
    const content = makeWorkbook({ LOA: loaSheet() }, 'xlsx');
    const reading = await read('loa.xlsx', 'application/octet-stream', content);
    expect(reading.text.split('\n')).toEqual([
      'Letter of Authorization',
      'Customer Name: Jane Doe',
      'Account Number: 88812',
      'PIN: 0042',
      'Service Address: 1 Main St, Seattle, WA 98101',
      'Requested Date: 2026-03-15',
      'Notes',
    ]);
    expect(reading.notes).toContain('1 cell starting like a formula left out');
    // Known by its bytes (a zip with xl/workbook.xml) when it has neither name nor type.
    expect((await read(undefined, 'application/octet-stream', content)).text).toBe(reading.text);
    expect(labelled(reading.text)).toMatchObject({
      name: 'Jane Doe',
      accountNumber: '88812',
      pin: '0042',
      street: '1 Main St, Seattle, WA 98101',
      requestedDate: '2026-03-15',
    });
  });

  for (const [bookType, filename, contentType] of [
    ['biff8', 'loa.xls', 'application/vnd.ms-excel'],
    ['ods', 'loa.ods', 'application/vnd.oasis.opendocument.spreadsheet'],
  ] as const) {
    it(`reads the same workbook saved as ${filename.slice(4)}`, async () => {
      const xlsx = await read('loa.xlsx', 'application/octet-stream', makeWorkbook({ LOA: loaSheet(), Numbers: numbersSheet() }, 'xlsx'));
      const other = await read(filename, contentType, makeWorkbook({ LOA: loaSheet(), Numbers: numbersSheet() }, bookType));
      expect(other).toMatchObject({ kind: 'spreadsheet', source: 'table' });
      expect(other.text).toBe(xlsx.text);
      expect(other.text).toContain('Account Number: 88812');
      expect(other.text).toContain('\n\nPort-out request\tAcme Corp\nTelephone Number: 2065550100\t');
    });
  }

  it('reads only the first 5 sheets, 2,000 rows and 30 columns, and says so', async () => {
    const wide = Array.from({ length: 40 }, (_, column) => `c${column}`);
    const sheets: Record<string, unknown[][]> = {
      Long: Array.from({ length: 2_100 }, (_, row) => [`row ${row}`, row]),
      Wide: [wide, wide],
    };
    for (let sheet = 3; sheet <= 7; sheet += 1) sheets[`Sheet${sheet}`] = [[`sheet ${sheet}`]];
    const reading = await read('big.xlsx', 'application/octet-stream', makeWorkbook(sheets, 'xlsx'));
    expect(reading.notes).toEqual(
      expect.arrayContaining([
        '7 sheets: only the first 5 read',
        'sheet "Long" has more than 2,000 rows: only the first 2,000 read',
        'sheet "Wide" has more than 30 columns: only the first 30 read',
      ]),
    );
    expect(reading.text).toContain('row 1999');
    expect(reading.text).not.toContain('row 2000');
    expect(reading.text).toContain('c29');
    expect(reading.text).not.toContain('c30');
    expect(reading.text).toContain('sheet 5');
    expect(reading.text).not.toContain('sheet 6');
  });

  it('refuses a workbook that expands to more than 64 MB, whatever its directory claims', async () => {
    const bomb = makeZip([
      { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
      { name: 'xl/workbook.xml', data: Buffer.from('<workbook/>') },
      { name: 'xl/sharedStrings.xml', data: Buffer.alloc(80 * 1024 * 1024, 0x41), claimedSize: 1_000 },
    ]);
    expect(bomb.length).toBeLessThan(200 * 1024);
    const reading = await read('numbers.xlsx', 'application/octet-stream', bomb);
    expect(reading).toMatchObject({ kind: 'spreadsheet', unreadable: 'numbers.xlsx expands to more than 64.0 MB: not opened' });
  });

  it('says a damaged workbook cannot be read, without throwing', async () => {
    const content = makeWorkbook({ LOA: loaSheet() }, 'biff8');
    const reading = await read('loa.xls', 'application/vnd.ms-excel', content.subarray(0, 600));
    expect(reading.kind).toBe('spreadsheet');
    expect(reading.unreadable).toMatch(/^loa\.xls (?:could not be read as a workbook|is encrypted)/);
  });
});

describe('readAttachment: CSV and TSV', () => {
  it('reads a CSV with a BOM and semicolons as label/value lines', async () => {
    const csv = '\ufeffCustomer Name;Jane Doe\r\nAccount Number;88812\r\nPIN;="0042"\r\nService Address;"1 Main St; Seattle, WA 98101"\r\nRequested Date;03/15/2026\r\n';
    const reading = await read('loa.csv', 'text/csv', Buffer.from(csv, 'utf8'));
    expect(reading).toMatchObject({ kind: 'csv', source: 'table' });
    expect(reading.text.split('\n')).toEqual([
      'Customer Name: Jane Doe',
      'Account Number: 88812',
      'PIN: 0042',
      'Service Address: 1 Main St; Seattle, WA 98101',
      'Requested Date: 03/15/2026',
    ]);
    expect(reading.notes).toContain('semicolon-separated; labels and values');
    expect(labelled(reading.text)).toMatchObject({ name: 'Jane Doe', accountNumber: '88812', pin: '0042', requestedDate: '03/15/2026' });
  });

  it('reads a comma table with a header row, and a TSV the same way', async () => {
    const rows = [['TN', 'Account Number', 'Port Date'], ['(206) 555-0100', '88812', '2026-03-15'], ['(206) 555-0101', '88812', '2026-03-15']];
    const csv = await read('numbers.csv', 'application/vnd.ms-excel', Buffer.from(rows.map((row) => row.join(',')).join('\n')));
    expect(csv.text.split('\n')).toEqual([
      'TN: (206) 555-0100\tAccount Number: 88812\tPort Date: 2026-03-15',
      'TN: (206) 555-0101\tAccount Number: 88812\tPort Date: 2026-03-15',
    ]);
    const tsv = await read('numbers.tsv', 'text/tab-separated-values', Buffer.from(rows.map((row) => row.join('\t')).join('\n')));
    expect(tsv.text).toBe(csv.text);
    expect(extractNumbers(csv.text).dids).toEqual(['+12065550100', '+12065550101']);
  });

  it('reads UTF-16 and Windows-1252 files', async () => {
    const text = 'Customer Name,José Núñez\nAccount Number,88812\n';
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect((await read('loa.csv', 'text/csv', utf16)).text).toBe('Customer Name: José Núñez\nAccount Number: 88812');
    const latin1 = Buffer.from(text, 'latin1');
    expect((await read('loa.csv', 'text/csv', latin1)).text).toBe('Customer Name: José Núñez\nAccount Number: 88812');
  });

  it('reads a single column of numbers', async () => {
    const reading = await read('numbers.csv', 'text/csv', Buffer.from('2065550100\n2065550101\n2065550102\n'));
    expect(reading.text).toBe('2065550100\n2065550101\n2065550102');
    expect(extractNumbers(reading.text).dids).toHaveLength(3);
  });

  it('cuts at 2,000 rows and says so', async () => {
    const csv = ['Telephone Number', ...Array.from({ length: 2_500 }, (_, index) => `20655${String(index).padStart(5, '0')}`)].join('\n');
    const reading = await read('numbers.csv', 'text/csv', Buffer.from(csv));
    expect(reading.notes).toContain('more than 2,000 rows: only the first 2,000 read');
    // One column has no header to pair with: the label line, then the numbers, 2,000 rows in all.
    const lines = reading.text.split('\n');
    expect(lines).toHaveLength(2_000);
    expect(lines[0]).toBe('Telephone Number');
    expect(lines[1]).toBe('2065500000');
  });
});
