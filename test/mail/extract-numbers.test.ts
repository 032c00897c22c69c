import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractNumbers, MAX_RANGE_SIZE } from '../../src/mail/extract-numbers.js';

describe('extractNumbers', () => {
  it.each([
    '+1 206 555 0100',
    '(206) 555-0100',
    '(206)555-0100',
    '206.555.0100',
    '2065550100',
    '1-206-555-0100',
    '206 555 0100',
    '206-555-0100',
    '+1 (206) 555-0100',
    '+12065550100',
  ])('reads %s', (form) => {
    expect(extractNumbers(`Please port ${form} today.`)).toEqual({ dids: ['+12065550100'], invalid: [] });
  });

  it.each([
    ['206-555-0100 thru 0103', 4],
    ['206-555-0100 through 0103', 4],
    ['206-555-0100 - 0103', 4],
    ['206-555-0100-0103', 4],
    ['2065550100-2065550103', 4],
    ['206-555-0100 to 206-555-0103', 4],
    ['(206) 555-0100 – (206) 555-0103', 4],
    ['206-555-0100 thru 03', 4],
  ])('expands the range %s', (text, count) => {
    const { dids, invalid } = extractNumbers(text);
    expect(invalid).toEqual([]);
    expect(dids).toHaveLength(count);
    expect(dids[0]).toBe('+12065550100');
    expect(dids[count - 1]).toBe(`+1206555010${count - 1}`);
  });

  it('reports a range over the cap as invalid and takes none of it', () => {
    const { dids, invalid } = extractNumbers('206-555-0000 thru 206-555-2000');
    expect(dids).toEqual([]);
    expect(invalid).toEqual(['206-555-0000 thru 206-555-2000']);
    expect(extractNumbers('206-555-0000 thru 0999').dids).toHaveLength(MAX_RANGE_SIZE);
  });

  it('reports a reversed range as invalid', () => {
    expect(extractNumbers('206-555-0109 thru 0100')).toEqual({ dids: [], invalid: ['206-555-0109 thru 0100'] });
  });

  it('reports number-shaped text that is not a valid US number', () => {
    expect(extractNumbers('port 123-456-7890 and 206-155-0100').invalid).toEqual(['123-456-7890', '206-155-0100']);
  });

  it('de-duplicates in order of appearance', () => {
    expect(extractNumbers('206-555-0102, (206) 555-0101, 2065550102, 206-555-0100 thru 0102').dids).toEqual([
      '+12065550102',
      '+12065550101',
      '+12065550100',
    ]);
  });

  it('does not take dates, ZIP+4, PONs, account numbers or PINs', () => {
    const text = [
      'Desired Due Date: 12/01/2026',
      'DDD: 2026-12-01',
      'ZIP: 98101-1234',
      'Service address 1 Main St, Seattle, WA 98101-1234',
      'PON: 2065550188',
      'Account Number: 2065550177',
      'Acct # 2065550166',
      'PIN: 206555',
      'our reference 2065550155 and account number 2065550144 for your records',
      'TN: 206-555-0100',
    ].join('\n');
    expect(extractNumbers(text)).toEqual({ dids: ['+12065550100'], invalid: [] });
  });

  it("does not take the sender's contact, fax or callback numbers", () => {
    const text = ['Contact Phone: 800-555-0100', 'Fax: 800-555-0101', 'Questions? Call us at 800-555-0102.', 'Numbers: 206-555-0100'].join('\n');
    expect(extractNumbers(text).dids).toEqual(['+12065550100']);
  });

  it('reads the numbers after a skipped field on the same line', () => {
    expect(extractNumbers('PIN: 1234   TN: 206-555-0100').dids).toEqual(['+12065550100']);
  });

  it('does not take numbers that are part of longer digit runs or words', () => {
    expect(extractNumbers('ref 120655501001 and X2065550100 and 2065550100.5').dids).toEqual([]);
  });

  it('reads 5,000 numbers in one body', () => {
    const body = Array.from({ length: 5000 }, (_, i) => `${i}. (503) ${200 + Math.floor(i / 1000)}-${String(i % 1000).padStart(4, '0')}`).join('\n');
    const { dids } = extractNumbers(body);
    expect(dids).toHaveLength(5000);
  });

  it('reads any valid number the same way in every common form', () => {
    const digit = (from: number) => fc.integer({ min: from, max: 9 });
    fc.assert(
      fc.property(
        fc.tuple(digit(2), digit(0), digit(0)),
        fc.tuple(digit(2), digit(0), digit(0)),
        fc.tuple(digit(0), digit(0), digit(0), digit(0)),
        fc.constantFrom('(A) B-C', 'A.B.C', 'ABC', '+1 A B C', '1-A-B-C', 'A B C', 'A-B-C'),
        (area, exchange, line, form) => {
          const [a, b, c] = [area.join(''), exchange.join(''), line.join('')];
          const text = form.replace('A', a).replace('B', b).replace('C', c);
          const { dids, invalid } = extractNumbers(`Numbers: ${text}`);
          expect(dids.length + invalid.length).toBe(1);
          if (dids.length === 1) expect(dids[0]).toBe(`+1${a}${b}${c}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('numbers that are not to be ported', () => {
  it('a signature, letterhead or contact line gives none, unless it lists numbers to port', () => {
    expect(extractNumbers('Ray Castillo | Account Executive | 520-555-0188').dids).toEqual([]);
    expect(extractNumbers('Customer Support | 520-555-0190 ext 4410').dids).toEqual([]);
    expect(extractNumbers('p. 802-555-0190  f. 802-555-0191').dids).toEqual([]);
    expect(extractNumbers("Corinne's cell is 919-555-0177 if you need her.").dids).toEqual([]);
    expect(extractNumbers("We're porting three lines: 406-555-0120, the shop 406-555-0124 and the fax 406-555-0129.").dids).toEqual([
      '+14065550120',
      '+14065550124',
      '+14065550129',
    ]);
  });

  it('a sentence that says its numbers stay is left out, the rest of the line is read', () => {
    expect(extractNumbers('Please port 406-555-0120 and 406-555-0124. Please do not port 406-555-0125; it is being disconnected.').dids).toEqual([
      '+14065550120',
      '+14065550124',
    ]);
    expect(extractNumbers('Our fax line, 602-555-0139, will stay with you and should not be transferred.').dids).toEqual([]);
  });

  it('a row of a table is data: a "Fax" line type is still a number', () => {
    expect(extractNumbers('4\t(414) 555-0153\tNurse\tFax').dids).toEqual(['+14145550153']);
  });
});
