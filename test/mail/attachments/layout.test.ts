import { describe, expect, it } from 'vitest';
import { readableName } from '../../../src/mail/attachments/pdf-fields.js';
import { layoutLines, placeBoxText, placeItem, type PlacedText } from '../../../src/mail/attachments/pdf-lines.js';
import { cleanRows, rowsToLines } from '../../../src/mail/attachments/rows.js';

/** A run of 10-point text, `width` wide, its baseline at `y` (device space, y down). */
const run = (str: string, x: number, y: number, width = str.length * 5): PlacedText => ({ str, x, y, width, size: 10 });

describe('layoutLines', () => {
  it('joins runs on one baseline: touching, a word gap, a column gap', () => {
    const lines = layoutLines([
      run('Acc', 10, 100, 15),
      run('ount', 25, 100, 20),
      run('Number', 48, 100, 30),
      run('88812', 200, 100.8, 25),
    ]);
    expect(lines).toEqual(['Account Number\t88812']);
  });

  it('reads top to bottom, then left to right, whatever order the runs were drawn in', () => {
    const lines = layoutLines([run('88812', 200, 120), run('PIN', 10, 140), run('Account Number', 10, 120), run('4321', 200, 140)]);
    expect(lines).toEqual(['Account Number\t88812', 'PIN\t4321']);
  });

  it('drops a run drawn twice to look bold, and keeps turned text on lines of its own', () => {
    const turned: PlacedText = { ...run('DRAFT', 150, 100), turned: true };
    expect(layoutLines([run('Name', 10, 100, 20), run('Name', 10.3, 100, 20), turned, run('Jane', 60, 100)])).toEqual(['Name\tJane', 'DRAFT']);
  });

  it('places text through the page viewport, so a rotated page reads upright', () => {
    // /Rotate 90 on a 612 × 792 page: pdf.js's viewport is [0, 1, 1, 0, 0, 0].
    const viewport = [0, 1, 1, 0, 0, 0] as const;
    // Text written upward in PDF space reads left to right once the page is turned.
    const placed = placeItem('Account Number', [0, 10, -10, 0, 500, 72], 70, viewport);
    expect(placed).toMatchObject({ x: 72, y: 500, size: 10 });
    expect(placed?.turned).toBeUndefined();
  });

  it('puts a one-line field value on the baseline of the label beside it', () => {
    const viewport = [1, 0, 0, -1, 0, 792] as const;
    // The box spans y 612–630 in PDF space (162–180 on the page); the printed label's baseline
    // sits a little below the middle of it, where the field's own text is drawn.
    const label = run('PIN:', 72, 175.5, 20);
    const value = placeBoxText('4321', [200, 612, 400, 630], 10, viewport, true);
    expect(value).toMatchObject([{ str: '4321', x: 202, y: 174 }]);
    expect(layoutLines([label, ...value])).toEqual(['PIN:\t4321']);
  });
});

describe('readableName', () => {
  it('makes form field names readable', () => {
    expect(readableName('form1[0].Page1[0].AccountNumber[0]')).toBe('Account Number');
    expect(readableName('BTNNumber')).toBe('BTN Number');
    expect(readableName('service_address')).toBe('service address');
    expect(readableName('Phone.0')).toBe('Phone 0');
    expect(readableName('Customer Name')).toBe('Customer Name');
  });
});

describe('rowsToLines', () => {
  it('reads several label/value pairs on one row, and drops a label left blank', () => {
    const { lines, layout } = rowsToLines([
      ['Customer Name:', 'Jane Doe', 'Account #:', '88812'],
      ['BTN', '(206) 555-0100', 'PIN:', '', 'SPID:', '1234'],
      ['Port these numbers:'],
      ['2065550101'],
    ]);
    expect(layout).toBe('labels');
    expect(lines).toEqual(['Customer Name: Jane Doe\tAccount #: 88812', 'BTN: (206) 555-0100\tSPID: 1234', 'Port these numbers:', '2065550101']);
  });

  it('passes a title row over for the header under it', () => {
    const { lines, layout } = rowsToLines([
      ['Port Request', 'Acme'],
      ['Number', 'Type'],
      ['2065550100', 'Main'],
    ]);
    expect(layout).toBe('table');
    expect(lines).toEqual(['Port Request\tAcme', 'Number: 2065550100\tType: Main']);
  });

  it('keeps a form a form when a row of it looks like a header over a row with digits', () => {
    const { lines, layout } = rowsToLines([
      ['Customer Name', 'Jane Doe'],
      ['Account Number', '88812'],
      ['Service Address', '1 Main St'],
      ['', 'Seattle, WA 98101'],
      ['Telephone Numbers'],
      ['2065550100'],
    ]);
    expect(layout).toBe('labels');
    expect(lines).toEqual(['Customer Name: Jane Doe', 'Account Number: 88812', 'Service Address: 1 Main St', 'Seattle, WA 98101', 'Telephone Numbers', '2065550100']);
  });

  it('keeps a table a table when its cells look like labels', () => {
    const { lines, layout } = rowsToLines([
      ['Line Type', 'TN'],
      ['Main Line', '2065550100'],
      ['Main Line', '2065550101'],
    ]);
    expect(layout).toBe('table');
    expect(lines).toEqual(['Line Type: Main Line\tTN: 2065550100', 'Line Type: Main Line\tTN: 2065550101']);
  });

  it('cleans cells: whitespace, Excel text literals, formulas', () => {
    const notes: string[] = [];
    const rows = cleanRows([[' a\n b ', '="0042"', '=1+1', '+1 (206) 555-0100', '-', '@SUM(A1)', '-cmd']], notes);
    expect(rows).toEqual([['a b', '0042', '', '+1 (206) 555-0100', '-', '', '']]);
    expect(notes).toEqual(['3 cells starting like a formula left out']);
  });
});
