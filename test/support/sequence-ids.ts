/**
 * Predictable identifiers: orders PO-AAAAA2, PO-AAAAA3, …; tokens tknaaaaaaaaaaaa2, …; Message-IDs
 * m1@desk.example.test, …; records mail-1, csr-2, …. They use the same alphabets as the random
 * ids, so readers that recognise an order id or a token recognise these too.
 */
import type { Ids } from '../../src/ports/ids.js';

const ORDER_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const TOKEN_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

function encode(n: number, alphabet: string): string {
  let out = '';
  let rest = n;
  do {
    out = alphabet[rest % alphabet.length]! + out;
    rest = Math.floor(rest / alphabet.length);
  } while (rest > 0);
  return out;
}

export class SequenceIds implements Ids {
  private orders = 0;
  private tokens = 0;
  private messages = 0;
  private records = 0;
  readonly issued = { orderIds: [] as string[], tokens: [] as string[], messageIds: [] as string[] };

  constructor(private readonly domain = 'desk.example.test') {}

  orderId(): string {
    const id = `PO-${encode(this.orders++, ORDER_ALPHABET).padStart(6, 'A')}`;
    this.issued.orderIds.push(id);
    return id;
  }

  token(): string {
    const t = `tkn${encode(this.tokens++, TOKEN_ALPHABET).padStart(13, 'a')}`;
    this.issued.tokens.push(t);
    return t;
  }

  messageId(): string {
    const id = `m${++this.messages}@${this.domain}`;
    this.issued.messageIds.push(id);
    return id;
  }

  recordId(prefix: string): string {
    return `${prefix}-${++this.records}`;
  }
}

/** Ids whose next order ids are given in advance (then sequential), to test collisions. */
export class ScriptedIds extends SequenceIds {
  constructor(private readonly nextOrderIds: string[]) {
    super();
  }

  override orderId(): string {
    return this.nextOrderIds.shift() ?? super.orderId();
  }
}
