/**
 * `portdesk accounts import FILE`: read accounts from JSON or CSV (parse-accounts-file.ts), check
 * them against the store, and commit all of them in one Changes or none at all (SPEC §9). PINs
 * are hashed on the way in (SPEC §10): a PIN in clear becomes a salted hash, one already in the
 * stored form is kept, and an unchanged PIN keeps the hash it has.
 */
import type { Account, Did } from '../domain/records.js';
import type { Pins } from '../ports/pins.js';
import type { Changes, Store } from '../ports/store.js';
import { mergeByRow, parseAccountsFile, type AccountsFormat, type ImportRowError } from './parse-accounts-file.js';

export {
  detectAccountsFormat,
  parseAccountsFile,
  type AccountsFormat,
  type ImportRowError,
  type ParseAccountsResult,
} from './parse-accounts-file.js';

/** PINs hashed at once during an import; libuv's thread pool has four threads by default. */
const HASHING_CONCURRENCY = 2;

/** The parts of the store an import reads. */
type ImportView = Pick<Store, 'getAccount' | 'findAccountByDid' | 'openOrdersForDid'>;

/**
 * The accounts with their PINs in the stored form. A PIN in clear that is the one the account
 * already has keeps its hash, so a daily re-import changes nothing (and does not count as a
 * changed PIN for the orders waiting on it). Runs on the thread pool: a file of thousands of
 * PIN-protected accounts costs seconds of scrypt, which must not stop the desk answering mail.
 */
export async function hashImportedPins(existing: Pick<Store, 'getAccount'> | undefined, accounts: Account[], pins: Pins): Promise<Account[]> {
  const sealed = [...accounts];
  const seal = async (account: Account): Promise<Account> => {
    const pin = account.portOutPin;
    if (pin === undefined || pins.isHash(pin)) return account;
    const stored = existing?.getAccount(account.id)?.portOutPin;
    if (stored !== undefined && pins.isHash(stored) && (await pins.matchesInBackground(pin, stored))) return { ...account, portOutPin: stored };
    return { ...account, portOutPin: await pins.hashInBackground(pin) };
  };
  // A few at a time: the thread pool also does the journal's writes and fsyncs, which must not
  // wait behind thousands of queued hashes.
  let next = 0;
  const worker = async () => {
    while (next < sealed.length) {
      const i = next++;
      sealed[i] = await seal(sealed[i]!);
    }
  };
  await Promise.all(Array.from({ length: HASHING_CONCURRENCY }, worker));
  return sealed;
}

export type AccountImportPlan =
  | { ok: true; changes: Changes; created: string[]; updated: string[] }
  | { ok: false; errors: ImportRowError[] };

/**
 * Checks parsed accounts against what the store holds and returns the one Changes that imports
 * them. An account whose id exists is updated; numbers it already had keep their port-out
 * history (status, date, order), and numbers that left through a port-out stay on it even when
 * the file no longer lists them, because SPEC §3 rule 10 keeps ported numbers on the account.
 * Refused: a number that belongs to another account the file does not also re-import, and
 * dropping a number that has an open port-out order.
 */
export function planAccountImport(existing: ImportView, accounts: Account[], now?: Date): AccountImportPlan {
  const importedIds = new Set(accounts.map((a) => a.id));
  const errors: ImportRowError[] = [];
  const created: string[] = [];
  const updated: string[] = [];
  const merged: Account[] = [];
  accounts.forEach((account, i) => {
    const row = i + 1;
    const problems: string[] = [];
    for (const d of account.dids) {
      const owner = existing.findAccountByDid(d.number);
      if (owner && owner.id !== account.id && !importedIds.has(owner.id)) {
        const status = owner.dids.find((x) => x.number === d.number)?.status;
        problems.push(`dids: ${d.number} already belongs to account ${owner.id}${status && status !== 'active' ? ` (${status})` : ''}`);
      }
    }
    const before = existing.getAccount(account.id);
    // What the desk keeps on an account is the desk's: a file cannot set or erase it.
    const { pinGuard: _guard, portOutPinChangedAt: _changed, ...fromFile } = account;
    let next: Account = fromFile;
    if (before) {
      const listed = new Set(account.dids.map((d) => d.number));
      const history = new Map(before.dids.map((d) => [d.number, d]));
      const dids: Did[] = account.dids.map((d) => {
        const old = history.get(d.number);
        return old && old.status !== 'active' ? old : d;
      });
      for (const old of before.dids) {
        if (listed.has(old.number)) continue;
        if (old.status === 'ported-out') {
          dids.push(old);
          continue;
        }
        const open = existing.openOrdersForDid(old.number).filter((o) => o.accountId === account.id);
        if (open.length) problems.push(`dids: ${old.number} cannot be removed while order ${open.map((o) => o.id).join(', ')} is open`);
      }
      // Orders made before a PIN changed were checked against the old one (order-transitions.ts).
      const pinChangedAt = before.portOutPin !== account.portOutPin && now ? now.toISOString() : before.portOutPinChangedAt;
      next = {
        ...fromFile,
        dids,
        ...(pinChangedAt ? { portOutPinChangedAt: pinChangedAt } : {}),
        ...(before.pinGuard ? { pinGuard: before.pinGuard } : {}),
      };
      updated.push(account.id);
    } else {
      created.push(account.id);
    }
    if (problems.length) errors.push({ row, problems });
    else merged.push(next);
  });
  // Numbers moving between re-imported accounts: the file was checked for duplicates already,
  // but a ported-out number kept above could collide with a number the file gives another row.
  const holder = new Map<string, string>();
  merged.forEach((a) => {
    for (const d of a.dids) {
      const other = holder.get(d.number);
      if (other && other !== a.id) {
        errors.push({ row: accounts.findIndex((x) => x.id === a.id) + 1, problems: [`dids: ${d.number} is kept on account ${other} (ported out) and cannot be added here`] });
      }
      holder.set(d.number, a.id);
    }
  });
  if (errors.length) return { ok: false, errors: mergeByRow(errors) };
  return { ok: true, changes: { accounts: merged }, created, updated };
}

export type ImportAccountsResult =
  | { ok: true; created: string[]; updated: string[]; dryRun: boolean }
  | { ok: false; errors: ImportRowError[] };

export interface ImportOptions {
  dryRun?: boolean;
  /** Hashes PINs in clear (hashImportedPins). Without it they go to the store as given, which hashes them itself. */
  pins?: Pins;
  /** When the import happens: recorded as the time a PIN changed. */
  now?: Date;
}

/**
 * Plans the import of accounts already read and (unless dryRun) commits it in one Changes: all
 * rows or none. The one way accounts enter a store: the command line, the daemon (asked over its
 * control socket) and the demo all come through here.
 */
export async function applyAccountImport(store: Store, accounts: Account[], opts: ImportOptions = {}): Promise<ImportAccountsResult> {
  const sealed = opts.pins ? await hashImportedPins(store, accounts, opts.pins) : accounts;
  const plan = planAccountImport(store, sealed, opts.now);
  if (!plan.ok) return plan;
  const dryRun = opts.dryRun ?? false;
  if (!dryRun) await store.commit(plan.changes);
  return { ok: true, created: plan.created, updated: plan.updated, dryRun };
}

/** Parses, plans and (unless dryRun) commits in one Changes: all rows or none. */
export async function importAccounts(
  store: Store,
  content: string,
  format: AccountsFormat,
  opts: ImportOptions = {},
): Promise<ImportAccountsResult> {
  const parsed = parseAccountsFile(content, format);
  if (!parsed.ok) return parsed;
  return applyAccountImport(store, parsed.accounts, opts);
}

/** One line per problem, `row 3: email: Invalid email address`, for the command line. */
export function formatImportErrors(errors: ImportRowError[]): string[] {
  return errors.flatMap((e) => e.problems.map((p) => (e.row === 0 ? p : `row ${e.row}: ${p}`)));
}
