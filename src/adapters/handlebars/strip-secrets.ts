/** Keys whose values never reach a template, wherever they appear in the data. */
const SECRET_KEYS = new Set(['pin', 'portoutpin', 'password', 'token', 'onfile']);
/** Field names in a match report whose provided value is a secret. */
const SECRET_FIELDS = /^(pin|passcode|portoutpin)$/i;

/**
 * A deep copy without secret values: keys like `pin` are dropped, and a match-report row about
 * the PIN loses the value the carrier wrote. What breaks if this goes: SPEC §10, PINs in e-mails.
 * Applied to every render's data, so an operator's override template cannot print them either.
 */
export function stripSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripSecrets);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(source)) {
    if (SECRET_KEYS.has(key.toLowerCase())) continue;
    out[key] = stripSecrets(v);
  }
  if (typeof source.field === 'string' && SECRET_FIELDS.test(source.field) && out.provided !== undefined) {
    out.provided = '(not shown)';
  }
  return out;
}
