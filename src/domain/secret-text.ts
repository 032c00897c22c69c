/**
 * The secrets of rule 4 as they can appear in text a person reads: a reply address's token
 * (`porting+TOKEN@…`) and an answer link (`/v/PO-XXXXXX.SIGNATURE`). Text that reaches support —
 * an alert, the digest, a console page, `review show` — passes through maskSecrets, so a customer
 * who quotes their verification in a subject does not hand its secrets to support.
 */

/** `porting+k3j…@` → `porting+…@`; `/v/PO-ABC123.sig…` → `/v/…`. */
export function maskSecrets(text: string): string {
  return text.replace(/\+[A-Za-z0-9_-]{12,}@/g, '+…@').replace(/\/v\/PO-[0-9A-Z]{6}\.[A-Za-z0-9_-]+/g, '/v/…');
}
