import { describe, expect, it } from 'vitest';
import { findForwardedPart } from '../../../src/mail/text/forwards.js';
import type { InboundMessage } from '../../../src/mail/types.js';
import { inboundMessage } from '../../support/inbound-message.js';

const message = (overrides: Partial<InboundMessage>): InboundMessage => inboundMessage({ from: { address: 'support@example.test' }, ...overrides });

const ORIGINAL = ['From: Northwire LNP <lsr@northwire.example.test>', 'Subject: LSR NW-88410', '', 'PON: NW-88410', 'TN: 509-555-0180'];

describe('findForwardedPart', () => {
  it.each([
    ['---------- Forwarded message ---------', 'gmail'],
    ['---------- Weitergeleitete Nachricht ----------', 'gmail'],
    ['-----Original Message-----', 'original-message'],
    ["-----Message d'origine-----", 'original-message'],
  ])('reads the original under "%s" (%s)', (marker, style) => {
    const part = findForwardedPart(message({ subject: 'Fwd: LSR', text: ['FYI', '', marker, ...ORIGINAL].join('\n') }));
    expect(part).toMatchObject({ style, from: { address: 'lsr@northwire.example.test' }, subject: 'LSR NW-88410' });
    expect(part?.text).toContain('TN: 509-555-0180');
  });

  it('takes an Outlook block under a reply subject as quoted history, not a forward', () => {
    const text = ['Corrected below.', '', 'From: Northwire LNP <lsr@northwire.example.test>', 'Sent: Monday', '', 'TN: 509-555-0180'].join('\n');
    expect(findForwardedPart(message({ subject: 'Fwd: LSR', text }))?.style).toBe('outlook');
    expect(findForwardedPart(message({ subject: 'YNT: LSR', text }))).toBeUndefined();
  });
});
