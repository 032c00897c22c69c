import { describe, expect, it } from 'vitest';
import { htmlToText } from '../../../src/mail/text/html-to-text.js';

describe('htmlToText', () => {
  it('reads a layout table as blocks and a data table row by row', () => {
    const text = htmlToText(
      '<table><tr><td><p>Hello</p><table><tr><td>PON</td><td>X-1</td></tr><tr><td>ZIP</td><td>98101</td></tr></table></td></tr></table>',
    );
    expect(text.split('\n')).toEqual(['Hello', 'PON\tX-1', 'ZIP\t98101']);
  });

  it('puts a definition term beside its description and decodes entities', () => {
    expect(htmlToText('<dl><dt>Name</dt><dd>Oak &amp; Ash</dd></dl>')).toBe('Name\tOak & Ash');
  });

  it('skips style and script', () => {
    expect(htmlToText('<style>p{color:red}</style><script>var x=1</script><p>Hi</p>')).toBe('Hi');
  });

  it('pairs labels stacked in one cell with the values stacked in the next, line for line', () => {
    const text = htmlToText('<table><tr><td>PON:<br>Customer Name<br>ZIP</td><td>X-1<br>Jane Doe<br>98101-1234</td></tr></table>');
    expect(text.split('\n')).toEqual(['PON\tX-1', 'Customer Name\tJane Doe', 'ZIP\t98101-1234']);
  });

  it('reads a header row over one row of values as label and value per column', () => {
    const text = htmlToText('<table><tr><th>Name</th><th>Account</th><th>PON</th></tr><tr><td>Jane Doe</td><td>88812</td><td>X-1</td></tr></table>');
    expect(text.split('\n')).toEqual(['Name\tJane Doe', 'Account\t88812', 'PON\tX-1']);
  });

  it('leaves two rows of label and value cells as they are: no header row, no pairing across rows', () => {
    expect(htmlToText('<table><tr><td>Name:</td><td>Jane</td></tr><tr><td>PON:</td><td>X-1</td></tr></table>')).toBe('Name:\tJane\nPON:\tX-1');
  });
});
