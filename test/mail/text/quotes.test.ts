import { describe, expect, it } from 'vitest';
import { extractNewText } from '../../../src/mail/strip-quoted-text.js';
import { cutQuotedAndSignature } from '../../../src/mail/text/quotes.js';

const FORM = ['PON: NW-88410', 'TN: 509-555-0180'];

describe('cutQuotedAndSignature (a carrier\'s text)', () => {
  it('cuts quoted history in the languages the reply reader knows', () => {
    for (const header of [
      'On Mon, Nov 9, 2026 at 2:10 PM Porting Desk <porting@example.test> wrote:',
      'Le lun. 9 nov. 2026 à 14:10, Porting Desk <porting@example.test> a écrit :',
      'Am Mo., 9. Nov. 2026 um 14:10 Uhr schrieb Porting Desk <porting@example.test>:',
      '-----Original Message-----',
    ]) {
      const text = [...FORM, '', header, 'Your numbers 206-555-0142 are on order PO-7K3F9Q.'].join('\n');
      expect(cutQuotedAndSignature(text), header).toBe([...FORM, ''].join('\n'));
    }
  });

  it('cuts an Outlook header block and everything under it', () => {
    const text = [...FORM, '', 'From: Porting Desk <porting@example.test>', 'Sent: Monday', 'To: lsr@northwire.example.test', 'Subject: Rejected', '', '206-555-0142'];
    expect(cutQuotedAndSignature(text.join('\n'))).toBe([...FORM, ''].join('\n'));
  });

  it('drops lines quoted with ">" and keeps the text after them', () => {
    expect(cutQuotedAndSignature(['> TN: 206-555-0142', ...FORM].join('\n'))).toBe(FORM.join('\n'));
  });

  it('cuts the signature and a closing near the end', () => {
    expect(cutQuotedAndSignature([...FORM, '--', 'Lee, LNP desk 425-555-0199'].join('\n'))).toBe(FORM.join('\n'));
    expect(cutQuotedAndSignature([...FORM, 'Thanks,', 'Lee', 'Direct: 425-555-0199'].join('\n'))).toBe(FORM.join('\n'));
  });

  it('keeps a form whose sections are drawn with a line of underscores', () => {
    const text = ['PON: NW-88410', '______________________________', 'TN: 509-555-0180'].join('\n');
    expect(cutQuotedAndSignature(text)).toContain('TN: 509-555-0180');
  });

  it('reads a text that opens with its history as that history, without older quotes', () => {
    const text = ['-----Original Message-----', 'From: lsr@northwire.example.test', ...FORM, '> TN: 206-555-0142'].join('\n');
    expect(cutQuotedAndSignature(text)).toBe(['-----Original Message-----', 'From: lsr@northwire.example.test', ...FORM].join('\n'));
  });

  it('reads a text quoted with ">" on every line as it stands', () => {
    const text = FORM.map((line) => `> ${line}`).join('\n');
    expect(cutQuotedAndSignature(text)).toBe(text);
  });
});

describe('the reply reader and the request reader share one walk', () => {
  it('a line of underscores ends a reply but not a request', () => {
    const text = ['Approved.', '______________________________', 'TN: 509-555-0180'].join('\n');
    expect(extractNewText({ text }).newText).toBe('Approved.');
    expect(cutQuotedAndSignature(text)).toContain('TN: 509-555-0180');
  });
});
