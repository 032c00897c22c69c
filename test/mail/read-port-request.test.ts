import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listStateNames } from '../../src/domain/us-states.js';
import { normalizeState } from '../../src/domain/normalize.js';
import { classifyMessage } from '../../src/mail/classify-message.js';
import { parseMessage } from '../../src/mail/parse-message.js';
import { readPortRequest } from '../../src/mail/read-port-request.js';
import type { PortRequestFields } from '../../src/mail/types.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'requests');
const deskAddresses = ['porting@example.test'];

interface Expected {
  kind: string;
  fields: Partial<Record<Exclude<keyof PortRequestFields, 'dids'>, string>>;
  dids: string[];
  missing: string[];
  notesInclude?: string[];
}

const names = readdirSync(dir)
  .filter((file) => file.endsWith('.eml'))
  .map((file) => file.slice(0, -'.eml'.length))
  .sort();

describe('carrier requests in test/fixtures/requests', () => {
  it('has at least 20 fixtures, each with its expected reading', () => {
    expect(names.length).toBeGreaterThanOrEqual(20);
    for (const name of names) expect(readdirSync(dir)).toContain(`${name}.expected.json`);
  });

  for (const name of names) {
    describe(name, () => {
      const expected = JSON.parse(readFileSync(join(dir, `${name}.expected.json`), 'utf8')) as Expected;
      const load = async () => {
        const msg = await parseMessage(readFileSync(join(dir, `${name}.eml`)));
        return { msg, classification: classifyMessage(msg, { deskAddresses }), reading: readPortRequest(msg) };
      };

      it(`is classified as ${expected.kind}`, async () => {
        const { classification } = await load();
        expect(classification.kind, classification.notes.join(' | ')).toBe(expected.kind);
      });

      for (const [field, value] of Object.entries(expected.fields)) {
        it(`reads ${field}`, async () => {
          const { reading } = await load();
          expect(reading.fields[field as keyof PortRequestFields]).toEqual(value);
        });
      }

      it('reads the numbers', async () => {
        const { reading } = await load();
        expect(reading.fields.dids).toEqual(expected.dids);
      });

      it('names what is missing', async () => {
        const { reading } = await load();
        expect(reading.missing).toEqual(expected.missing);
      });

      if (expected.notesInclude) {
        it('explains itself in notes', async () => {
          const { reading } = await load();
          for (const fragment of expected.notesInclude ?? []) {
            expect(reading.notes.some((note) => note.includes(fragment)), reading.notes.join(' | ')).toBe(true);
          }
        });
      }
    });
  }
});

describe('readPortRequest on messages built in the test', () => {
  const build = (text: string) =>
    parseMessage(Buffer.from(`From: LNP <lnp@carrier.example.test>\r\nSubject: Port request\r\n\r\n${text.replace(/\n/g, '\r\n')}`));

  it('splits a "City/State/Zip" field', async () => {
    const reading = readPortRequest(await build('Street: 1 Main St\nCity/State/Zip: Everett, WA 98201\nTN: 425-555-0100'));
    expect(reading.fields).toMatchObject({ street: '1 Main St', city: 'Everett', state: 'WA', zip: '98201' });
  });

  it('reads the abbreviated labels of hurried requests: P.O.N., Acct Name, Svc Addr, Auth. name; a ZIP+4 as its ZIP', async () => {
    const reading = readPortRequest(
      await build('P.O.N.: NW-77\nAcct Name: Dana Example\nSvc Addr: 12 Oak St, Portland, OR 97201-1234\nAuth. name: Dana Example\nTN: 503-555-0100'),
    );
    expect(reading.fields).toMatchObject({ pon: 'NW-77', name: 'Dana Example', street: '12 Oak St', city: 'Portland', state: 'OR', zip: '97201', authorizedName: 'Dana Example' });
  });

  it('reads a table drawn in text, and a row of labels over a row of values', async () => {
    const drawn = readPortRequest(
      await build('+------+--------+\n| PON  | GP-1   |\n| Account # | 41 7700 |\n| TNs  | 402-555-0160 |\n|      | 402-555-0161 |\n+------+--------+'),
    );
    expect(drawn.fields).toMatchObject({ pon: 'GP-1', accountNumber: '41 7700', dids: ['+14025550160', '+14025550161'] });
    const stacked = readPortRequest(await build('CITY\tSTATE\tZIP+4\nNew Orleans\tLA\t70130-2214\nTN: 504-555-0120'));
    expect(stacked.fields).toMatchObject({ city: 'New Orleans', state: 'LA', zip: '70130' });
  });

  it('reads labels to the right of their values, bilingual labels, and an address over two lines in a sentence', async () => {
    const right = readPortRequest(await build('DTX-1\tPON\nDetroit\tCity\nMI\tState\n48216\tZIP\nTN: 313-555-0170'));
    expect(right.fields).toMatchObject({ pon: 'DTX-1', city: 'Detroit', state: 'MI', zip: '48216' });
    const bilingual = readPortRequest(await build('Nom / Name: Gervais Sugarhouse\nNuméro de compte / Account Number: 300 417\nTN: 518-555-0101'));
    expect(bilingual.fields).toMatchObject({ name: 'Gervais Sugarhouse', accountNumber: '300 417' });
    const twoLines = readPortRequest(await build('Please port (860) 555-0155. Her service address is:\n\n19 Farmington Ave, Apt 5B\nHartford, CT 06105\n'));
    expect(twoLines.fields).toMatchObject({ city: 'Hartford', state: 'CT', zip: '06105' });
  });

  it('keeps a PIN out of its notes when it is given twice', async () => {
    const reading = readPortRequest(await build('PIN: 1111\nPIN: 2222\nTN: 425-555-0100'));
    expect(reading.fields.pin).toBe('1111');
    expect(reading.notes.join(' ')).not.toMatch(/1111|2222/);
  });

  it('takes numbers from a CSV without a header row from every column', async () => {
    const raw = [
      'From: LNP <lnp@carrier.example.test>',
      'Subject: Port request',
      'Content-Type: multipart/mixed; boundary="m"',
      '',
      '--m',
      'Content-Type: text/plain',
      '',
      'Port request, numbers attached. Account Name: Acme',
      '--m',
      'Content-Type: application/octet-stream; name="list.csv"',
      'Content-Disposition: attachment; filename="list.csv"',
      '',
      '425-555-0100;425-555-0101',
      '425-555-0102;',
      '--m--',
    ].join('\r\n');
    const reading = readPortRequest(await parseMessage(Buffer.from(raw)));
    expect(reading.fields.dids).toEqual(['+14255550100', '+14255550101', '+14255550102']);
  });

  it('reports number-like text that is not a valid number', async () => {
    const reading = readPortRequest(await build('Numbers: 425-555-0100, 123-555-0100'));
    expect(reading.invalidNumbers).toEqual(['123-555-0100']);
    expect(reading.fields.dids).toEqual(['+14255550100']);
  });
});

describe('US states and territories: one table with the matcher (domain/us-states.ts)', () => {
  const build = (text: string) =>
    parseMessage(Buffer.from(`From: LNP <lnp@carrier.example.test>\r\nSubject: Port request\r\n\r\n${text.replace(/\n/g, '\r\n')}`));

  it.each([
    ['Guam', 'GU'],
    ['GU', 'GU'],
    ['American Samoa', 'AS'],
    ['Northern Mariana Islands', 'MP'],
    ['US Virgin Islands', 'VI'],
    ['Puerto Rico', 'PR'],
    ['Washington', 'WA'],
  ])('reads "State: %s" as %s', async (state, code) => {
    const reading = readPortRequest(await build(`City: Hagatna\nState: ${state}\nTN: 425-555-0100`));
    expect(reading.fields.state).toBe(code);
  });

  it('splits a City/State/Zip field that names a territory', async () => {
    const reading = readPortRequest(await build('Street: 1 Marine Corps Dr\nCity/State/Zip: Hagatna, Guam 96910\nTN: 425-555-0100'));
    expect(reading.fields).toMatchObject({ street: '1 Marine Corps Dr', city: 'Hagatna', state: 'GU', zip: '96910' });
  });

  it('reads every state name the matcher knows as the code the matcher compares it with', async () => {
    for (const name of listStateNames()) {
      const written = name.replace(/\b[a-z]/g, (letter) => letter.toUpperCase());
      const reading = readPortRequest(await build(`State: ${written}\nTN: 425-555-0100`));
      expect(reading.fields.state, written).toBe(normalizeState(written).toUpperCase());
    }
  });

  it('keeps a state it does not know as written', async () => {
    const reading = readPortRequest(await build('State: Constructor\nTN: 425-555-0100'));
    expect(reading.fields.state).toBe('Constructor');
  });
});

describe('reply prefixes: one list with the classifier (text/subject-prefixes.ts)', () => {
  // A carrier answers on the thread without threading headers, its earlier request quoted under
  // Outlook's block. That block is quoted history in a reply, not a forwarded original to read.
  const build = (prefix: string) =>
    parseMessage(
      Buffer.from(
        [
          'From: Northwire LNP <lsr@northwire.example.test>',
          `Subject: ${prefix}: Port-out request PON NW-88410`,
          '',
          'Corrected PIN below.',
          'PIN: 4321',
          '',
          'From: Northwire LNP <lsr@northwire.example.test>',
          'Sent: Monday, November 9, 2026 2:10 PM',
          'To: porting@example.test',
          'Subject: Port-out request PON NW-88410',
          '',
          'PON: NW-88410',
          'EU NAME: Copper Kettle Diner',
          'TN: 509-555-0180',
        ].join('\r\n'),
      ),
    );

  it.each(['YNT', 'ATB', 'RES', 'AW'])('reads a "%s:" answer like a "RE:" one', async (prefix) => {
    const asRe = readPortRequest(await build('RE'));
    const reading = readPortRequest(await build(prefix));
    expect(reading).toEqual(asRe);
    expect(reading.fields.pin).toBe('4321');
    expect(reading.fields.dids).toEqual([]);
    expect(reading.notes.join(' | ')).not.toContain('forwarded');
  });
});
