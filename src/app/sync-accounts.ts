/**
 * Accounts from billing (SPEC §14): ACCOUNTS_URL is read at start and every ACCOUNTS_SYNC, each
 * time conditionally (ETag / Last-Modified), so an unchanged export costs one request. A changed
 * document is validated whole (parse-accounts-file.ts, then the same checks as an import) before
 * anything changes; then, in one commit, accounts new or different are written, accounts the
 * source no longer lists are closed (never deleted: their numbers' history stays), and an
 * `accounts.synced` event tells the provider's other systems what changed.
 *
 * A source that cannot be read, or a document that does not pass, changes nothing: the desk goes
 * on with the accounts it has, logs each failed sync, and tells support once — not once per sync
 * — until a sync succeeds again.
 *
 * PINs: a PIN in clear is hashed (scrypt) as on import; to keep a sync of an unchanged PIN from
 * costing a scrypt check every time, this process remembers, per account, a keyed digest of the
 * clear PIN it last saw with the hash that came of it. The key is made at start and never
 * written, so the digests are worth nothing outside this process.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Account } from '../domain/records.js';
import type { NewEvent } from '../domain/webhook-events.js';
import type { Logger } from '../logger.js';
import type { AccountsSource, SourceValidators } from '../ports/accounts-source.js';
import type { Clock } from '../ports/clock.js';
import type { Pins } from '../ports/pins.js';
import type { Changes, Store } from '../ports/store.js';
import { formatImportErrors, hashImportedPins, planAccountImport } from './import-accounts.js';
import { parseAccountsFile } from './parse-accounts-file.js';
import type { SerialQueue } from './serial-queue.js';

export type SyncOutcome =
  | { status: 'unchanged' }
  | { status: 'applied'; created: number; updated: number; closed: number; unchanged: number; total: number }
  | { status: 'failed'; problem: string };

export interface AccountsSync {
  /** One sync now (the start, the schedule, `portdesk check`); never throws. */
  syncNow(): Promise<SyncOutcome>;
  /** Syncs every `everyMs` until stopped. */
  start(everyMs: number): void;
  stop(): Promise<void>;
}

export interface AccountsSyncDeps {
  source: AccountsSource;
  store: Store;
  /** The desk's queue: the plan and its commit never interleave with a message being decided. */
  queue: SerialQueue;
  pins: Pins;
  clock: Clock;
  log: Logger;
  /** The `accounts.synced` event, when events are on; unset: none written. */
  event?: (e: NewEvent, now: Date) => Changes['events'];
  /** Queues the support alert about a failing source (once per failure streak). */
  alert?: (problem: string, location: string) => Promise<void>;
}

/** A sync that would close at least this many open accounts, and more than this share of them, is refused. */
const MASS_CLOSE = { atLeast: 20, share: 0.5 };

/** At most this many ids of each kind in the event; the counts are always whole. */
const IDS_IN_EVENT = 1000;

export function createAccountsSync(deps: AccountsSyncDeps): AccountsSync {
  const { source, store, queue, pins, clock, log } = deps;
  let validators: SourceValidators | undefined;
  let alerted = false;
  let failing = false;
  let running: Promise<SyncOutcome> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const digestKey = randomBytes(32);
  /** accountId → digest of the clear PIN last seen and the hash it became. */
  const seenPins = new Map<string, { digest: string; hash: string }>();
  const digestOf = (pin: string) => createHmac('sha256', digestKey).update(pin).digest('base64url');

  async function sync(): Promise<SyncOutcome> {
    let fetched;
    try {
      fetched = await source.fetch(validators);
    } catch (err) {
      return fail((err as Error).message);
    }
    if (stopped) return { status: 'unchanged' };
    if (!fetched.changed) {
      if (failing) recovered();
      log.debug({ source: source.location }, 'accounts source unchanged');
      return { status: 'unchanged' };
    }
    const parsed = parseAccountsFile(fetched.text, fetched.format);
    if (!parsed.ok) return fail(`the accounts document is invalid: ${summarise(formatImportErrors(parsed.errors))}`);
    const sealed = await sealPins(parsed.accounts);
    if (stopped) return { status: 'unchanged' };
    let held: string[] = [];
    const outcome = await queue.run(async (): Promise<{ problem: string } | { counts: Omit<Extract<SyncOutcome, { status: 'applied' }>, 'status'> }> => {
      const now = clock.now();
      const listed = new Set(sealed.map((a) => a.id));
      // A number with an order open on its account stays there until the order ends, whatever
      // the document says; the rest (a lock, a PIN, an address) is applied now — a lock set to stop
      // a port-out must not wait on that very port-out — and the whole document is read again at
      // each sync until it applies as it is.
      const openOn = (accountId: string, number: string) => store.openOrdersForDid(number).some((o) => o.accountId === accountId);
      const keep = new Map<string, string>();
      const kept = sealed.map((a) => {
        const before = store.getAccount(a.id);
        if (!before) return a;
        const listedNumbers = new Set(a.dids.map((d) => d.number));
        const stay = before.dids.filter((d) => d.status === 'active' && !listedNumbers.has(d.number) && openOn(a.id, d.number));
        for (const d of stay) keep.set(d.number, a.id);
        return stay.length ? { ...a, dids: [...a.dids, ...stay] } : a;
      });
      // Accounts gone from the document are closed; a number the document now gives another
      // account leaves the closed one (unless it was ported out — that stays as history — or has
      // an open order), so a number moved in billing moves here in one sync.
      const claimed = new Set(kept.flatMap((a) => a.dids.map((d) => d.number)));
      const closing: Account[] = [];
      let closingOpen = 0;
      for (const a of store.listAccounts()) {
        if (listed.has(a.id)) continue;
        const leaving = (d: Account['dids'][number]) => d.status !== 'ported-out' && claimed.has(d.number) && !openOn(a.id, d.number);
        for (const d of a.dids) if (d.status !== 'ported-out' && claimed.has(d.number) && openOn(a.id, d.number)) keep.set(d.number, a.id);
        if (a.status === 'closed' && !a.dids.some(leaving)) continue;
        if (a.status !== 'closed') closingOpen++;
        closing.push({ ...a, status: 'closed', dids: a.dids.filter((d) => !leaving(d)) });
      }
      // A number kept where it is is not given to another account yet.
      const accounts = keep.size ? kept.map((a) => ({ ...a, dids: a.dids.filter((d) => (keep.get(d.number) ?? a.id) === a.id) })) : kept;
      held = [...keep.keys()];
      // An export cut short still parses; closing most of the desk's accounts on its word is
      // refused, so one bad export cannot stop every port-out.
      const openAccounts = store.listAccounts().filter((a) => a.status !== 'closed').length;
      if (closingOpen >= MASS_CLOSE.atLeast && closingOpen > openAccounts * MASS_CLOSE.share) {
        return { problem: `the accounts document would close ${closingOpen} of the ${openAccounts} open accounts; refused (an export cut short?). Nothing was changed` };
      }
      const plan = planAccountImport(store, [...accounts, ...closing], now);
      if (!plan.ok) return { problem: `the accounts document cannot be applied: ${summarise(formatImportErrors(plan.errors))}` };
      const closingIds = new Set(closing.map((a) => a.id));
      const written = (plan.changes.accounts ?? []).filter((a) => !sameAccount(store.getAccount(a.id), a));
      const changed = written.filter((a) => !closingIds.has(a.id));
      const closed = written.filter((a) => closingIds.has(a.id));
      const createdIds = plan.created.filter((id) => !closingIds.has(id));
      const updatedIds = changed.filter((a) => store.getAccount(a.id)).map((a) => a.id);
      const counts = {
        created: createdIds.length,
        updated: updatedIds.length,
        closed: closed.length,
        unchanged: accounts.length - changed.length,
        total: accounts.length,
      };
      if (changed.length || closed.length) {
        const event = deps.event?.(
          {
            type: 'accounts.synced',
            data: {
              source: source.location,
              ...counts,
              createdIds: createdIds.slice(0, IDS_IN_EVENT),
              updatedIds: updatedIds.slice(0, IDS_IN_EVENT),
              closedIds: closed.slice(0, IDS_IN_EVENT).map((a) => a.id),
            },
          },
          now,
        );
        await store.commit({ accounts: [...changed, ...closed], ...(event?.length ? { events: event } : {}) });
      }
      return { counts };
    });
    if ('problem' in outcome) return fail(outcome.problem);
    if (held.length) {
      log.warn({ source: source.location, numbers: held.slice(0, 20), count: held.length }, 'numbers with an open order stay on their account until it ends; the rest of the document was applied');
    } else {
      validators = fetched.validators;
    }
    if (failing) recovered();
    log.info({ source: source.location, bytes: fetched.bytes, ...outcome.counts }, 'accounts synced from the source');
    return { status: 'applied', ...outcome.counts };
  }

  /** Clear PINs seen before in this process take the hash they had; the rest are hashed on the thread pool. */
  async function sealPins(accounts: Account[]): Promise<Account[]> {
    const digests = new Map<string, string>();
    const known = accounts.map((a) => {
      const pin = a.portOutPin;
      if (pin === undefined || pins.isHash(pin)) return a;
      const digest = digestOf(pin);
      digests.set(a.id, digest);
      const seen = seenPins.get(a.id);
      const stored = store.getAccount(a.id)?.portOutPin;
      return seen && seen.digest === digest && seen.hash === stored ? { ...a, portOutPin: stored } : a;
    });
    const sealed = await hashImportedPins(store, known, pins);
    for (const a of sealed) {
      const digest = digests.get(a.id);
      if (digest && a.portOutPin) seenPins.set(a.id, { digest, hash: a.portOutPin });
    }
    return sealed;
  }

  function fail(problem: string): SyncOutcome {
    failing = true;
    log.warn({ source: source.location, problem }, 'accounts not synced; the desk keeps the accounts it has');
    if (!alerted && deps.alert) {
      alerted = true;
      deps.alert(problem, source.location).catch((err: unknown) => log.error({ err }, 'could not queue the alert about the accounts source'));
    }
    return { status: 'failed', problem };
  }

  function recovered(): void {
    failing = false;
    alerted = false;
    log.info({ source: source.location }, 'the accounts source is readable again');
  }

  // A commit the store refuses is a failed sync like any other: alerted, never thrown.
  const syncNow = () => (running ??= sync().catch((err: unknown) => fail(`the accounts could not be written: ${(err as Error).message}`)).finally(() => (running = undefined)));

  return {
    syncNow,
    start(everyMs) {
      timer = setInterval(() => void syncNow(), everyMs);
      timer.unref();
    },
    async stop() {
      // A fetch in flight is not waited for (it may take its whole timeout): its result is
      // dropped. A commit under way is the desk's queue's, which the daemon's stop waits for.
      stopped = true;
      if (timer) clearInterval(timer);
    },
  };
}

function summarise(lines: string[]): string {
  return lines.slice(0, 5).join('; ') + (lines.length > 5 ? ` (and ${lines.length - 5} more)` : '');
}

/** Same content, whatever the order of the keys (the plain text first: it is almost always in the same order). */
function sameAccount(before: Account | undefined, after: Account): boolean {
  if (before === undefined) return false;
  return JSON.stringify(before) === JSON.stringify(after) || canonical(before) === canonical(after);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}
