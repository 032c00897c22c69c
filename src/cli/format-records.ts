/**
 * Orders and accounts as the command line shows them. PINs are shown to nobody, nor their hashes:
 * an account's PIN is "set" or "not set", an order says whether one was given and matched (all it
 * keeps). Nor the secrets that bind a customer's reply (the token, the Message-IDs of the e-mails
 * to the customer): output gets pasted into tickets and chats, and whoever holds them can answer
 * for the customer.
 */
import type { Account, PortOrder } from '../domain/records.js';
import { formatNumber } from '../domain/phone.js';
import type { EventView } from '../domain/webhook-events.js';

const SECRET = '(secret)';

export function maskOrder(o: PortOrder): PortOrder {
  const v = o.verification;
  return {
    ...o,
    token: SECRET,
    ...(v ? { verification: { ...v, messageId: SECRET, ...(v.followUpIds ? { followUpIds: v.followUpIds.map(() => SECRET) } : {}) } } : {}),
  };
}

/** An account as shown: the stored PIN hash replaced by whether there is one. */
export type ShownAccount = Omit<Account, 'portOutPin'> & { portOutPin: 'set' | 'not set' };

export function maskAccount(a: Account): ShownAccount {
  return { ...a, portOutPin: a.portOutPin ? 'set' : 'not set' };
}

export const ORDER_COLUMNS = ['ID', 'STATE', 'ACCOUNT', 'CARRIER', 'NUMBERS', 'FOC', 'UPDATED'];

export function orderRow(o: PortOrder): string[] {
  return [o.id, o.state, o.accountId, o.carrier.name, o.dids.map(formatNumber).join(', '), o.focDate ?? '', o.updatedAt];
}

export function showOrder(o: PortOrder, events: readonly EventView[] = []): string {
  const lines = [
    `Order ${o.id}  (${o.state})`,
    `  account:    ${o.accountId}`,
    `  numbers:    ${o.dids.map(formatNumber).join(', ')}`,
    `  carrier:    ${o.carrier.name} <${o.carrier.email}>${o.carrier.pon ? `  PON ${o.carrier.pon}` : ''}`,
    `  requested:  ${o.requestedDate ?? '-'}    completion date: ${o.focDate ?? '-'}`,
  ];
  const p = o.provided;
  lines.push(`  provided:   ${[p.name, p.company, p.street, p.city, p.state, p.zip].filter(Boolean).join(', ') || '-'}`);
  if (p.accountNumber) lines.push(`              account number ${p.accountNumber}`);
  if (p.pinGiven) lines.push(`              PIN given${p.pinMatched === true ? ', matched' : p.pinMatched === false ? ', did not match' : ''}`);
  if (o.verification) {
    const v = o.verification;
    lines.push(`  verification: sent to ${v.sentTo} at ${v.sentAt}, expires ${v.expiresAt}${v.reminderSentAt ? `, reminded ${v.reminderSentAt}` : ''}`);
  }
  if (o.decision) {
    lines.push(`  decision:   ${o.state} by ${o.decision.by} at ${o.decision.at}${o.decision.reasonCodes.length ? ` — ${o.decision.reasonCodes.join(', ')}` : ''}`);
    if (o.decision.note) lines.push(`              ${o.decision.note}`);
    for (const f of o.decision.matchReport?.fields ?? []) {
      lines.push(`    ${f.result.padEnd(8)} ${f.field.padEnd(14)} ${f.reason}`);
    }
  }
  lines.push('  history:');
  for (const h of o.history) lines.push(`    ${h.at}  ${h.event}${h.detail ? `  ${h.detail}` : ''}`);
  if (events.length) {
    lines.push('  events to other systems:');
    for (const e of events) {
      lines.push(`    ${e.timestamp}  ${e.type}  ${e.id}`);
      for (const d of e.deliveries) {
        const state =
          d.status === 'delivered'
            ? `delivered ${d.deliveredAt ?? ''}`
            : d.status === 'dropped'
              ? `dropped ${d.droppedAt ?? ''} (no longer in WEBHOOK_URL), after ${d.attempts} tries`
              : `pending, ${d.attempts} tries${d.lastError ? `, last: ${d.lastError}` : ''}, next ${d.nextAttemptAt ?? '-'}`;
        lines.push(`      → ${d.endpoint}  ${state}`);
      }
    }
  }
  return lines.join('\n');
}

export const ACCOUNT_COLUMNS = ['ID', 'NAME', 'COMPANY', 'EMAIL', 'NUMBERS', 'FLAGS'];

export function accountRow(a: ShownAccount): string[] {
  return [
    a.id,
    a.name,
    a.company ?? '',
    a.email,
    String(a.dids.filter((d) => d.status === 'active').length),
    [a.portOutLock ? 'locked' : '', a.portOutPin === 'set' ? 'pin' : '', a.pinGuard?.locks.length ? 'pin-locked' : '', a.status === 'closed' ? 'closed' : '']
      .filter(Boolean)
      .join(','),
  ];
}

export function showAccount(m: ShownAccount): string {
  const guard = m.pinGuard;
  return [
    `Account ${m.id}  (${m.status})`,
    `  name:     ${m.name}${m.company ? ` — ${m.company}` : ''}`,
    `  email:    ${m.email}`,
    `  number:   ${m.accountNumber}   tech prefix: ${m.techPrefix}`,
    `  address:  ${m.address.street}${m.address.unit ? `, ${m.address.unit}` : ''}, ${m.address.city}, ${m.address.state} ${m.address.zip}`,
    `  port-out: ${m.portOutLock ? 'LOCKED' : 'allowed'}${m.portOutPin === 'set' ? ', PIN required' : ''}`,
    `  PIN:      ${m.portOutPin}${m.portOutPinChangedAt ? ` (changed ${m.portOutPinChangedAt})` : ''}`,
    ...(guard?.locks ?? []).map((l) => `  PIN lock: requests from ${l.carrier} refused since ${l.at} (${l.wrongPins} wrong PINs); clear with: portdesk accounts unlock-pin ${m.id} --carrier ${l.carrier}`),
    ...(guard?.wrong.length ? [`  wrong PINs (24 h): ${guard.wrong.map((w) => `${w.at} ${w.carrier}`).join('; ')}`] : []),
    '  numbers:',
    ...m.dids.map((d) => `    ${formatNumber(d.number).padEnd(16)} ${d.status}${d.portOrderId ? ` (${d.portOrderId})` : ''}`),
  ].join('\n');
}
