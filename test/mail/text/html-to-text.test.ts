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
});
