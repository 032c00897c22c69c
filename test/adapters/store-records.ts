/** Small factories of valid records for the store tests (invented data, example.test domains). */
import type { Account, CsrRequest, InboundEntry, OutboxEntry, PortOrder } from '../../src/domain/records.js';

export const T0 = new Date('2026-03-02T15:00:00.000Z');

/** A clock the test moves by hand. */
export function manualClock(start: Date = T0) {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    advanceDays: (days: number) => {
      now += days * 24 * 60 * 60 * 1000;
    },
  };
}

export function daysBefore(date: Date, days: number): string {
  return new Date(date.getTime() - days * 24 * 60 * 60 * 1000).toISOString();
}

export function orderId(n: number): string {
  return `PO-${n.toString(36).toUpperCase().padStart(6, '0')}`;
}

export function makeAccount(n: number, over: Partial<Account> = {}): Account {
  return {
    id: `ACC-${n}`,
    name: `Dana Example ${n}`,
    company: `Example Widgets ${n} LLC`,
    email: `dana${n}@example.test`,
    techPrefix: `7${String(n).padStart(3, '0')}`,
    accountNumber: `8800${n}`,
    address: { street: `${100 + n} Pine Street`, unit: 'Suite 200', city: 'Seattle', state: 'WA', zip: '98101' },
    dids: [
      { number: `+120655501${String(n % 100).padStart(2, '0')}`, status: 'active' },
      { number: `+150355501${String(n % 100).padStart(2, '0')}`, status: 'active' },
    ],
    portOutLock: false,
    status: 'open',
    ...over,
  };
}

export function makeOrder(n: number, over: Partial<PortOrder> = {}): PortOrder {
  const at = over.createdAt ?? T0.toISOString();
  return {
    id: orderId(n),
    token: `tok${String(n).padStart(8, '0')}`,
    state: 'pending_verification',
    accountId: `ACC-${n}`,
    dids: [`+120655501${String(n % 100).padStart(2, '0')}`],
    carrier: { name: 'Northwind Mobile', email: 'ports@northwind.example.test', pon: `PON-${n}` },
    provided: { name: `Dana Example ${n}`, zip: '98101', pinGiven: true, pinMatched: true },
    requestedDate: '2026-03-10',
    verification: {
      sentTo: `dana${n}@example.test`,
      sentAt: at,
      expiresAt: at,
      messageId: `verify-${n}@desk.example.test`,
      clarifications: 0,
    },
    requestKey: `northwind|PON-${n}`,
    sourceMessageIds: [`req-${n}@northwind.example.test`],
    createdAt: at,
    updatedAt: at,
    history: [{ at, event: 'received' }, { at, event: 'verification_sent', detail: `to dana${n}@example.test` }],
    ...over,
  };
}

export function makeInbound(key: string, over: Partial<InboundEntry> = {}): InboundEntry {
  return {
    key,
    messageId: key,
    mailbox: 'INBOX',
    uid: 7,
    uidValidity: '1001',
    from: 'ports@northwind.example.test',
    subject: 'Port request',
    kind: 'port_request',
    outcome: 'processed',
    orderIds: [],
    at: T0.toISOString(),
    ...over,
  };
}

export function makeOutbox(id: string, over: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    id,
    messageId: `${id}@desk.example.test`,
    template: 'verification',
    from: 'porting@desk.example.test',
    to: ['dana1@example.test'],
    cc: [],
    subject: 'Port-out request',
    text: 'Please answer APPROVE or REJECT.',
    html: '<p>Please answer APPROVE or REJECT.</p>',
    references: [],
    autoSubmitted: 'auto-generated',
    status: 'queued',
    attempts: 0,
    nextAttemptAt: T0.toISOString(),
    createdAt: T0.toISOString(),
    ...over,
  };
}

export function makeCsr(id: string, over: Partial<CsrRequest> = {}): CsrRequest {
  return {
    id,
    from: 'dana1@example.test',
    provided: { name: 'Dana Example 1', email: 'dana1@example.test', techPrefix: '7001', dids: ['+12065550101'] },
    accountId: 'ACC-1',
    outcome: 'sent',
    reasons: [],
    at: T0.toISOString(),
    ...over,
  };
}
