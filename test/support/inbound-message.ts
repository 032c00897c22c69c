/** An InboundMessage built field by field, for rules that need no .eml of their own. */
import type { InboundMessage } from '../../src/mail/types.js';

export function inboundMessage(overrides: Partial<InboundMessage>): InboundMessage {
  return {
    key: 'sha256:test',
    from: { address: 'someone@customer.example.test' },
    to: [{ address: 'porting@example.test' }],
    cc: [],
    subject: '',
    references: [],
    headers: {},
    contentType: 'text/plain',
    text: '',
    attachments: [],
    defects: [],
    size: 0,
    ...overrides,
  };
}
