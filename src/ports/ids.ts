/** Where new identifiers come from; random in production, predictable in tests. */
export interface Ids {
  /** `PO-` and six characters people can read aloud, e.g. `PO-7K3F9Q`. */
  orderId(): string;
  /** The secret carried in a verification's reply address; lower case so it survives servers that fold case. */
  token(): string;
  /** A Message-ID without angle brackets, e.g. `k2j3…@example.com`. */
  messageId(): string;
  /** Any other record id (outbox entries, CSR requests). */
  recordId(prefix: string): string;
}
