import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/mail/parse-message.js';
import { readCsrRequest } from '../../src/mail/read-csr-request.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'classify');

describe('readCsrRequest', () => {
  it('reads name, account e-mail, tech prefix and numbers', async () => {
    const msg = await parseMessage(readFileSync(join(dir, 'csr-request.eml')));
    expect(readCsrRequest(msg)).toMatchObject({
      name: 'Harbor Dental Group',
      email: 'office@harbordental.example.test',
      techPrefix: '4471',
      dids: ['+12065550100', '+12065550101'],
    });
  });

  it('accepts the label variants and HTML-only mail', async () => {
    const raw = [
      'From: owner@pinecrest.example.test',
      'Subject: CSR please',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>Please send our CSR.</p><table><tr><td>Account Name</td><td>Pinecrest Bakery</td></tr>',
      '<tr><td>Email</td><td>Owner &lt;owner@pinecrest.example.test&gt;</td></tr>',
      '<tr><td>Prefix</td><td>0913</td></tr></table><p>425-555-0110 thru 0111</p>',
    ].join('\r\n');
    expect(readCsrRequest(await parseMessage(Buffer.from(raw)))).toMatchObject({
      name: 'Pinecrest Bakery',
      email: 'owner@pinecrest.example.test',
      techPrefix: '0913',
      dids: ['+14255550110', '+14255550111'],
    });
  });

  it('names what was not given', async () => {
    const msg = await parseMessage(Buffer.from('From: a@example.test\r\nSubject: CSR\r\n\r\nCan I get my customer service record?\r\n'));
    const reading = readCsrRequest(msg);
    expect(reading.dids).toEqual([]);
    expect(reading.notes).toContain('not given: name on the account, account e-mail, tech prefix, telephone numbers');
  });
});
