/**
 * What support changes on an account from the console (SPEC §12): the port-out lock and the
 * port-out PIN. A PIN is hashed before it reaches the store and never shown again; orders made
 * before a PIN change are re-checked against it at expiry (order-transitions.ts). Each change is
 * logged with the user's name.
 */
import type { Account } from '../domain/records.js';
import { DeskError } from '../errors.js';
import { normalizePin } from '../domain/normalize.js';
import { ActionError } from './support-actions.js';
import type { DeskCore } from './desk-core.js';

function change(core: DeskCore, accountId: string, by: string, what: string, edit: (a: Account, now: Date) => Account | Promise<Account>): Promise<Account> {
  return core.queue.run(async () => {
    const account = core.deps.store.getAccount(accountId.trim());
    if (!account) throw new ActionError('ACCOUNT_NOT_FOUND', `no account ${accountId}`);
    const now = core.deps.clock.now();
    const next = await edit(account, now);
    if (next !== account) await core.commit({ accounts: [next] }, [], now);
    core.deps.log.info({ accountId: account.id, by }, next === account ? `${what}: nothing to change` : what);
    return next;
  });
}

export function setPortOutLock(core: DeskCore, accountId: string, locked: boolean, by: string): Promise<Account> {
  return change(core, accountId, by, locked ? 'port-out lock set' : 'port-out lock lifted', (a) => (a.portOutLock === locked ? a : { ...a, portOutLock: locked }));
}

/** Sets (or with undefined, clears) the port-out PIN. */
export async function setPortOutPin(core: DeskCore, accountId: string, pin: string | undefined, by: string): Promise<Account> {
  const pins = core.deps.pins;
  if (!pins) throw new DeskError('UNEXPECTED', 'PINs cannot be set: the desk has no PIN hasher');
  if (pin !== undefined) {
    const n = normalizePin(pin);
    if (n.length < 4 || n.length > 16) throw new DeskError('INPUT_INVALID', 'a PIN must have 4 to 16 letters or digits');
  }
  // Hashed before the queue, on the thread pool: the desk keeps deciding meanwhile.
  const hash = pin === undefined ? undefined : await pins.hashInBackground(pin);
  return change(core, accountId, by, hash ? 'port-out PIN set' : 'port-out PIN cleared', (a, now) => {
    if (!hash && !a.portOutPin) return a;
    const { portOutPin: _old, ...rest } = a;
    return { ...rest, ...(hash ? { portOutPin: hash } : {}), portOutPinChangedAt: now.toISOString() };
  });
}
