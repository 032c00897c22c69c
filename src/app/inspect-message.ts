/**
 * `portdesk inspect FILE.eml`: how the desk reads one message, changing nothing. The output shape
 * is part of the command-line contract (SPEC §9).
 */
import type { MessageKind } from '../domain/records.js';
import { classifyMessage } from '../mail/classify-message.js';
import { findOrderRefs } from '../mail/find-order-refs.js';
import { parseMessage } from '../mail/parse-message.js';
import { readPortRequest } from '../mail/read-port-request.js';
import { readReply } from '../mail/read-reply.js';
import type { PortRequestFields, ReplyDecision } from '../mail/types.js';

export interface Inspection {
  kind: MessageKind;
  decision?: ReplyDecision;
  request?: Omit<PortRequestFields, 'carrierName' | 'spid' | 'carrierEmail'> & { dids: string[] };
  notes: string[];
}

const REQUEST_KEYS = ['pon', 'name', 'company', 'street', 'city', 'state', 'zip', 'accountNumber', 'btn', 'pin', 'authorizedName', 'requestedDate'] as const;

/** `orderExists` answers whether DATA_DIR holds an order (undefined when there is no data to ask). */
export async function inspectMessage(
  raw: Buffer,
  { deskAddresses, orderExists }: { deskAddresses: string[]; orderExists?: (id: string) => boolean },
): Promise<Inspection> {
  const msg = await parseMessage(raw);
  const classification = classifyMessage(msg, { deskAddresses });
  const notes = [...msg.defects, ...classification.notes];
  const out: Inspection = { kind: classification.kind, notes };

  if (classification.kind === 'verification_reply' || classification.kind === 'other') {
    const reply = readReply(msg);
    if (classification.kind === 'verification_reply') {
      out.decision = reply.decision;
      const refs = findOrderRefs(msg, { deskAddresses });
      for (const id of refs.orderIds) {
        if (!orderExists) notes.push(`answers order ${id}; no data directory was read, so the order was not looked up`);
        else notes.push(orderExists(id) ? `answers order ${id}, which is in the data directory` : `answers order ${id}, which is not in the data directory`);
      }
    }
    notes.push(...reply.notes);
  }
  if (classification.kind === 'port_request') {
    const reading = readPortRequest(msg);
    const request: Inspection['request'] = { dids: reading.fields.dids };
    for (const k of REQUEST_KEYS) {
      const v = reading.fields[k];
      if (v !== undefined && v !== '') request[k] = v;
    }
    out.request = request;
    if (reading.missing.length) notes.push(`missing: ${reading.missing.join(', ')}`);
    if (reading.invalidNumbers.length) notes.push(`not valid numbers: ${reading.invalidNumbers.slice(0, 20).join(', ')}`);
    notes.push(...reading.notes);
  }
  return out;
}
