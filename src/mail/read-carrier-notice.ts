/**
 * A carrier's completion or cancellation notice: which orders (our order ids, the carrier's PON)
 * and which numbers it speaks of. The app matches these to open orders; nothing is decided here.
 */
import { extractNumbers } from './extract-numbers.js';
import { findOrderIds } from './find-order-refs.js';
import { findInlinePon, readPortLabels } from './read-port-labels.js';
import { findForwardedPart } from './text/forwards.js';
import { cutQuotedAndSignature } from './text/quotes.js';
import type { CarrierNoticeReading, InboundMessage } from './types.js';

export function readCarrierNotice(msg: InboundMessage): CarrierNoticeReading {
  const notes: string[] = [];
  const forwarded = findForwardedPart(msg);
  if (forwarded) notes.push(`read from the forwarded message (${forwarded.style})`);
  const subject = [forwarded?.subject, msg.subject].filter(Boolean).join('\n');
  const body = cutQuotedAndSignature(forwarded ? forwarded.text : msg.text);

  const orderIds = findOrderIds(`${subject}\n${body}`);
  const { dids, invalid, stopped } = extractNumbers(body);
  if (stopped) notes.push(stopped);
  if (invalid.length > 0) notes.push(`not valid US numbers: ${invalid.slice(0, 10).join(', ')}`);

  const labelled = readPortLabels(body).find((entry) => entry.key === 'pon')?.value;
  const pon = labelled ?? findInlinePon(`${subject}\n${body}`);

  if (orderIds.length === 0 && !pon && dids.length === 0) notes.push('names no order id, PON or number');
  const reading: CarrierNoticeReading = { orderIds, dids, notes };
  if (pon) reading.pon = pon;
  return reading;
}
