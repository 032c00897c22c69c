import { describe, expect, it } from 'vitest';
import { findOrderIds, findOrderRefs } from '../../src/mail/find-order-refs.js';
import type { InboundMessage } from '../../src/mail/types.js';
import { inboundMessage } from '../support/inbound-message.js';

// No sender and no recipients unless a test gives them: what findOrderRefs reads is all there is.
const message = (overrides: Partial<InboundMessage>): InboundMessage => inboundMessage({ from: undefined, to: [], ...overrides });

const ctx = { deskAddresses: ['porting@example.test', 'desk@ports.example.test'] };

describe('findOrderRefs', () => {
  it('finds order ids in the subject only, unless asked to search the body', () => {
    const msg = message({ subject: 'Re: [PO-7K3F9Q] Confirm', text: 'about PO-4HX2ZP too' });
    expect(findOrderRefs(msg, ctx).orderIds).toEqual(['PO-7K3F9Q']);
    expect(findOrderRefs(msg, { ...ctx, searchBody: true }).orderIds).toEqual(['PO-7K3F9Q', 'PO-4HX2ZP']);
  });

  it('reads only well-formed order ids', () => {
    expect(findOrderIds('PO-7K3F9Q po-abc123 PO-TOOLONG1 XPO-123456 PO-12345 (PO-ZZZZZZ)')).toEqual(['PO-7K3F9Q', 'PO-ABC123', 'PO-ZZZZZZ']);
  });

  it('finds +TOKEN subaddresses of desk addresses in To and Cc, and nowhere else', () => {
    const msg = message({
      to: [{ address: 'Porting+T8XQ2M4K@Example.Test' }, { address: 'someone+NOPE@example.test' }],
      cc: [{ address: 'desk+AB12@ports.example.test' }, { address: 'porting+X1@other.example.test' }],
      replyTo: { address: 'porting+IGNORED@example.test' },
    });
    expect(findOrderRefs(msg, ctx).tokens).toEqual(['T8XQ2M4K', 'AB12']);
  });

  it('gives In-Reply-To then References, without duplicates', () => {
    const msg = message({ inReplyTo: 'v2@example.test', references: ['v1@example.test', 'v2@example.test'] });
    expect(findOrderRefs(msg, ctx).threadIds).toEqual(['v2@example.test', 'v1@example.test']);
  });
});
