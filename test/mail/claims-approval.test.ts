import { describe, expect, it } from 'vitest';
import { claimsApproval } from '../../src/mail/claims-approval.js';
import { parseMessage } from '../../src/mail/parse-message.js';

/** A carrier's request whose body is `lines`, parsed as the desk parses mail. */
const request = (...lines: string[]) =>
  parseMessage(
    Buffer.from(
      ['From: Northwire LNP <lsr@northwire.example.test>', 'Subject: Port-out request PON NW-88410', '', ...lines].join('\r\n'),
    ),
  );

const FORM = ['PON: NW-88410', 'EU NAME: Copper Kettle Diner', 'TN: 509-555-0180'];

describe('claimsApproval', () => {
  it('counts a claim in the carrier\'s new text', async () => {
    expect(claimsApproval(await request('The end user has already approved this port.', '', ...FORM))).toBe(true);
  });

  it('does not count a claim that is only in quoted text', async () => {
    const msg = await request(
      'Resending the request below.',
      '',
      ...FORM,
      '',
      'On Mon, Nov 9, 2026 at 2:10 PM Porting Desk <porting@example.test> wrote:',
      '> Your request was already approved by the customer for order PO-7K3F9Q.',
    );
    expect(claimsApproval(msg)).toBe(false);
  });

  it.each([
    'This port is pre-approved.',
    'Customer preapproved the transfer.',
    'The port has been authorised by the account holder.',
    'The subscriber has been authorized and confirmed.',
    'The LOA was previously confirmed.',
  ])('reads %j as a claim', async (claim) => {
    expect(claimsApproval(await request(claim, '', ...FORM))).toBe(true);
  });

  it.each([
    'Please confirm the port with your customer.',
    'Awaiting approval from the end user.',
    'Once approved, send the FOC.',
  ])('does not read %j as a claim', async (text) => {
    expect(claimsApproval(await request(text, '', ...FORM))).toBe(false);
  });

  it('finds a claim in an HTML-only request', async () => {
    const msg = await parseMessage(
      Buffer.from(
        [
          'From: Northwire LNP <lsr@northwire.example.test>',
          'Subject: Port-out request',
          'Content-Type: text/html; charset=utf-8',
          '',
          '<p>The customer has&nbsp;already approved this port.</p><p>TN: 509-555-0180</p>',
        ].join('\r\n'),
      ),
    );
    expect(claimsApproval(msg)).toBe(true);
  });
});
