/**
 * The label reader on the lines attachments and portals produce: cells separated by TABs, a first
 * cell that is no request label, labels left blank, labels alone on their line, check boxes.
 */
import { describe, expect, it } from 'vitest';
import { readPortLabels } from '../../../src/mail/read-port-labels.js';

const read = (text: string) => readPortLabels(text).map((entry) => [entry.key, entry.value]);

describe('labels in cells', () => {
  it('reads the fields after a first cell that is no request label', () => {
    expect(read('Location: Seattle\tAccount Number: 88812\tPort Date: 2027-03-15')).toEqual([
      ['accountNumber', '88812'],
      ['requestedDate', '2027-03-15'],
    ]);
  });

  it('ends a value at its cell: a label without a colon in the next cell is not part of it', () => {
    expect(read('Customer Name\tJane Doe\tTitle\tOwner')).toEqual([['name', 'Jane Doe']]);
  });

  it('a label left blank before the next one has no value; the next one has its own', () => {
    expect(read('Account Number\tPIN\t4321')).toEqual([['pin', '4321']]);
  });

  it('a short value that spells a label is still the value at the end of its line (SATH: St, LD1: STE)', () => {
    expect(read('SATH: St\nLD1: STE')).toEqual([
      ['sath', 'St'],
      ['ld1', 'STE'],
    ]);
  });

  it('a label alone on its line does not take another label line as its value', () => {
    expect(read('PIN:\nNotes:\nnone')).toEqual([]);
  });

  it('a check box is no value: "Business: Yes" names no company', () => {
    expect(read('Business: Yes\nCompany: Acme Dental LLC')).toEqual([['company', 'Acme Dental LLC']]);
  });
});
