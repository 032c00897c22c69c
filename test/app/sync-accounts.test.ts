/**
 * Accounts from billing (SPEC §14): a changed document is checked whole and applied in one commit
 * (new and different accounts written, missing ones closed, an `accounts.synced` event); a source
 * that cannot be read or a document that does not pass changes nothing and tells support once per
 * failure streak. Driven with a scripted source, the memory store and a PIN port that counts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEventWriter } from '../../src/app/record-events.js';
import { SerialQueue } from '../../src/app/serial-queue.js';
import { createAccountsSync, type AccountsSync, type AccountsSyncDeps } from '../../src/app/sync-accounts.js';
import type { Account } from '../../src/domain/records.js';
import type { NewEvent } from '../../src/domain/webhook-events.js';
import { silentLogger } from '../../src/logger.js';
import type { AccountsSource, SourceFetch, SourceValidators } from '../../src/ports/accounts-source.js';
import type { Pins } from '../../src/ports/pins.js';
import { FixedClock } from '../support/fixed-clock.js';
import { MemoryStore } from '../support/memory-store.js';
import { makeOrder } from '../adapters/store-records.js';
import { bakeryAccount, lockedAccount, pinAccount, sampleAccounts, singleNumberAccount } from '../support/sample-accounts.js';
import { testPins } from '../support/test-pins.js';

const T0 = '2026-12-01T15:00:00.000Z';
const LOCATION = 'https://billing.example.test/export/accounts.json';
const HOOK = 'https://hooks.example.test/portdesk';

/** Answers each fetch from a script; records the validators it was given. */
class FakeSource implements AccountsSource {
  readonly location = LOCATION;
  readonly kind = 'http' as const;
  readonly asked: (SourceValidators | undefined)[] = [];
  private readonly script: (SourceFetch | Error)[] = [];

  answer(...results: (SourceFetch | Error)[]): this {
    this.script.push(...results);
    return this;
  }
  async fetch(previous?: SourceValidators): Promise<SourceFetch> {
    this.asked.push(previous ? { ...previous } : undefined);
    const next = this.script.shift();
    if (!next) throw new Error('test: no scripted answer left');
    if (next instanceof Error) throw next;
    return next;
  }
}

/** The test PIN adapter, counting the scrypt work asked of it. */
class CountingPins implements Pins {
  hashes = 0;
  checks = 0;
  hash(pin: string): string {
    this.hashes++;
    return testPins.hash(pin);
  }
  async hashInBackground(pin: string): Promise<string> {
    this.hashes++;
    return testPins.hashInBackground(pin);
  }
  matches(pin: string, stored: string): boolean {
    this.checks++;
    return testPins.matches(pin, stored);
  }
  async matchesInBackground(pin: string, stored: string): Promise<boolean> {
    this.checks++;
    return testPins.matchesInBackground(pin, stored);
  }
  isHash(stored: string): boolean {
    return testPins.isHash(stored);
  }
}

function doc(accounts: unknown[], etag: string): SourceFetch {
  const text = JSON.stringify(accounts);
  return { changed: true, text, format: 'json', validators: { etag }, bytes: Buffer.byteLength(text) };
}
const unchanged = (etag: string): SourceFetch => ({ changed: false, validators: { etag } });

const syncs: AccountsSync[] = [];
afterEach(async () => {
  await Promise.all(syncs.splice(0).map((s) => s.stop()));
});

function setup(opts: { store?: MemoryStore; pins?: CountingPins; events?: boolean } & Partial<AccountsSyncDeps> = {}) {
  const clock = new FixedClock(T0);
  const store = opts.store ?? new MemoryStore();
  const source = new FakeSource();
  const pins = opts.pins ?? new CountingPins();
  const queue = new SerialQueue();
  const writer = createEventWriter([HOOK], clock);
  const told: NewEvent[] = [];
  const alerts: { problem: string; location: string }[] = [];
  const sync = createAccountsSync({
    source,
    store,
    queue,
    pins,
    clock,
    log: silentLogger(),
    ...(opts.events === false
      ? {}
      : {
          event: (e: NewEvent, now: Date) => {
            told.push(e);
            return writer.build([e], now);
          },
        }),
    alert: async (problem, location) => {
      alerts.push({ problem, location });
    },
    ...opts,
  });
  syncs.push(sync);
  return { clock, store, source, pins, queue, sync, told, alerts };
}

const ids = (accounts: Account[]) => accounts.map((a) => a.id).sort();

describe('accounts sync: applying a document', () => {
  it('first sync: creates every account in one commit with an accounts.synced event', async () => {
    const { store, source, sync, told, clock } = setup();
    source.answer(doc(sampleAccounts(), '"v1"'));
    expect(await sync.syncNow()).toEqual({ status: 'applied', created: 4, updated: 0, closed: 0, unchanged: 0, total: 4 });
    expect(source.asked).toEqual([undefined]);
    expect(ids(store.listAccounts())).toEqual(ids(sampleAccounts()));
    expect(store.getAccount('acct-bakery')).toEqual(bakeryAccount());
    expect(store.commits).toHaveLength(1);
    const [commit] = store.commits;
    expect(commit!.accounts).toHaveLength(4);
    expect(told).toEqual([
      {
        type: 'accounts.synced',
        data: {
          source: LOCATION,
          created: 4,
          updated: 0,
          closed: 0,
          unchanged: 0,
          total: 4,
          createdIds: sampleAccounts().map((a) => a.id),
          updatedIds: [],
          closedIds: [],
        },
      },
    ]);
    // The event is written in the same commit, built at the sync's time.
    expect(commit!.events).toHaveLength(1);
    expect(commit!.events![0]).toMatchObject({ type: 'accounts.synced', timestamp: clock.now().toISOString(), data: told[0]!.data });
    expect(store.listPendingEvents()).toHaveLength(1);
  });

  it('without events on, applies the accounts and writes no event', async () => {
    const { store, source, sync } = setup({ events: false });
    source.answer(doc(sampleAccounts(), '"v1"'));
    expect(await sync.syncNow()).toMatchObject({ status: 'applied', created: 4 });
    expect(store.commits).toHaveLength(1);
    expect(store.commits[0]).not.toHaveProperty('events');
  });

  it('an unchanged source commits nothing', async () => {
    const { store, source, sync, told } = setup();
    source.answer(doc(sampleAccounts(), '"v1"'), unchanged('"v1"'));
    await sync.syncNow();
    expect(await sync.syncNow()).toEqual({ status: 'unchanged' });
    expect(source.asked).toEqual([undefined, { etag: '"v1"' }]);
    expect(store.commits).toHaveLength(1);
    expect(told).toHaveLength(1);
  });

  it('a changed document with the same accounts commits nothing', async () => {
    const { store, source, sync, told } = setup();
    // Same content, keys in another order.
    const reordered = sampleAccounts().map((a) => Object.fromEntries(Object.entries(a).reverse()));
    source.answer(doc(sampleAccounts(), '"v1"'), doc(reordered, '"v2"'));
    await sync.syncNow();
    expect(await sync.syncNow()).toEqual({ status: 'applied', created: 0, updated: 0, closed: 0, unchanged: 4, total: 4 });
    expect(store.commits).toHaveLength(1);
    expect(told).toHaveLength(1);
  });

  it('a document with one account changed commits that account only', async () => {
    const { store, source, sync, told } = setup();
    const changed = sampleAccounts().map((a) => (a.id === 'acct-bakery' ? { ...a, portOutLock: true } : a));
    source.answer(doc(sampleAccounts(), '"v1"'), doc(changed, '"v2"'));
    await sync.syncNow();
    expect(await sync.syncNow()).toEqual({ status: 'applied', created: 0, updated: 1, closed: 0, unchanged: 3, total: 4 });
    expect(store.commits).toHaveLength(2);
    expect(store.commits[1]!.accounts!.map((a) => a.id)).toEqual(['acct-bakery']);
    expect(store.getAccount('acct-bakery')!.portOutLock).toBe(true);
    expect(told[1]!.data).toMatchObject({ created: 0, updated: 1, closed: 0, unchanged: 3, total: 4, createdIds: [], updatedIds: ['acct-bakery'], closedIds: [] });
  });

  it('closes an account the document no longer lists, never deletes it; reopens it when it comes back', async () => {
    const { store, source, sync, told } = setup();
    const without = sampleAccounts().filter((a) => a.id !== 'acct-single');
    source.answer(doc(sampleAccounts(), '"v1"'), doc(without, '"v2"'), doc(without, '"v3"'), doc(sampleAccounts(), '"v4"'));
    await sync.syncNow();
    expect(await sync.syncNow()).toEqual({ status: 'applied', created: 0, updated: 0, closed: 1, unchanged: 3, total: 3 });
    expect(store.commits[1]!.accounts).toEqual([{ ...singleNumberAccount(), status: 'closed' }]);
    expect(store.getAccount('acct-single')).toEqual({ ...singleNumberAccount(), status: 'closed' });
    expect(store.findAccountByDid('+16085550130')?.id).toBe('acct-single');
    expect(told[1]!.data).toMatchObject({ closed: 1, closedIds: ['acct-single'] });
    // Still missing: already closed, nothing to do.
    expect(await sync.syncNow()).toMatchObject({ status: 'applied', closed: 0, updated: 0 });
    expect(store.commits).toHaveLength(2);
    // Listed again: open again.
    expect(await sync.syncNow()).toMatchObject({ status: 'applied', created: 0, updated: 1, closed: 0 });
    expect(store.getAccount('acct-single')!.status).toBe('open');
  });

  it('waits for the desk\'s queue: the plan and its commit never interleave with a message being decided', async () => {
    const { store, source, sync, queue } = setup();
    source.answer(doc(sampleAccounts(), '"v1"'));
    let release!: () => void;
    const deciding = queue.run(() => new Promise<void>((r) => (release = r)));
    const pending = sync.syncNow();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(store.commits).toHaveLength(0);
    release();
    await deciding;
    expect(await pending).toMatchObject({ status: 'applied', created: 4 });
  });

  it('one sync at a time: a second syncNow while one runs shares it', async () => {
    const { source, sync } = setup();
    source.answer(doc(sampleAccounts(), '"v1"'), unchanged('"v1"'));
    const [a, b] = await Promise.all([sync.syncNow(), sync.syncNow()]);
    expect(a).toBe(b);
    expect(source.asked).toHaveLength(1);
  });
});

describe('accounts sync: failures change nothing and tell support once per streak', () => {
  it('an invalid document: nothing committed; one alert over three failing syncs; a good sync resets', async () => {
    const { store, source, sync, alerts } = setup();
    const bad = [{ ...bakeryAccount(), email: 'not-an-address' }];
    source.answer(doc(sampleAccounts(), '"v1"'), doc(bad, '"v2"'), doc(bad, '"v2"'), doc(bad, '"v2"'));
    await sync.syncNow();
    for (let i = 0; i < 3; i++) {
      const outcome = await sync.syncNow();
      expect(outcome.status).toBe('failed');
      expect(outcome.status === 'failed' && outcome.problem).toMatch(/^the accounts document is invalid: row 1: email/);
    }
    expect(store.commits).toHaveLength(1);
    expect(store.getAccount('acct-bakery')).toEqual(bakeryAccount());
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.location).toBe(LOCATION);
    expect(alerts[0]!.problem).toMatch(/invalid/);
    // A good sync, then a failure again: alerted again.
    source.answer(doc(sampleAccounts(), '"v3"'), doc(bad, '"v4"'), doc(bad, '"v4"'));
    expect(await sync.syncNow()).toMatchObject({ status: 'applied' });
    await sync.syncNow();
    await sync.syncNow();
    expect(alerts).toHaveLength(2);
  });

  it('a document that is not JSON at all: failed, nothing committed', async () => {
    const { store, source, sync, alerts } = setup();
    source.answer({ changed: true, text: '<html>login</html>', format: 'json', validators: { etag: '"x"' }, bytes: 18 });
    expect(await sync.syncNow()).toMatchObject({ status: 'failed', problem: expect.stringMatching(/not valid JSON/) });
    expect(store.commits).toHaveLength(0);
    expect(alerts).toHaveLength(1);
  });

  it('a source that cannot be read: the same, and an unchanged answer ends the streak', async () => {
    const { store, source, sync, alerts } = setup();
    source.answer(doc(sampleAccounts(), '"v1"'), new Error('HTTP 503 from billing'), new Error('timed out'), new Error('HTTP 503 from billing'));
    await sync.syncNow();
    for (let i = 0; i < 3; i++) expect(await sync.syncNow()).toMatchObject({ status: 'failed' });
    expect(alerts).toEqual([{ problem: 'HTTP 503 from billing', location: LOCATION }]);
    expect(store.commits).toHaveLength(1);
    source.answer(unchanged('"v1"'), new Error('connection refused'));
    expect(await sync.syncNow()).toEqual({ status: 'unchanged' });
    await sync.syncNow();
    expect(alerts).toHaveLength(2);
    expect(alerts[1]!.problem).toBe('connection refused');
  });

  it('an alert that cannot be queued does not break the sync', async () => {
    const { source, sync } = setup({
      alert: async () => {
        throw new Error('store closed');
      },
    });
    source.answer(new Error('HTTP 500'));
    expect(await sync.syncNow()).toEqual({ status: 'failed', problem: 'HTTP 500' });
    await new Promise((r) => setImmediate(r));
  });

  it('a number billing moved from an account it left out to another moves in one sync; the old account is closed without it', async () => {
    const { store, source, sync, alerts } = setup();
    const moved = sampleAccounts()
      .filter((a) => a.id !== 'acct-single')
      .map((a) => (a.id === 'acct-bakery' ? { ...a, dids: [...a.dids, { number: '+16085550130', status: 'active' }] } : a));
    source.answer(doc(sampleAccounts(), '"v1"'), doc(moved, '"v2"'));
    await sync.syncNow();
    const outcome = await sync.syncNow();
    expect(outcome).toMatchObject({ status: 'applied', updated: 1, closed: 1 });
    expect(store.getAccount('acct-single')).toMatchObject({ status: 'closed', dids: [] });
    expect(store.findAccountByDid('+16085550130')?.id).toBe('acct-bakery');
    expect(alerts).toHaveLength(0);
  });

  it('a number with an open order stays on its account until the order ends; the rest of the document applies at once', async () => {
    const { store, source, sync, alerts } = setup();
    // Billing drops the single-number account, gives its number to the bakery, and locks the bakery.
    const moved = sampleAccounts()
      .filter((a) => a.id !== 'acct-single')
      .map((a) => (a.id === 'acct-bakery' ? { ...a, portOutLock: true, dids: [...a.dids, { number: '+16085550130', status: 'active' }] } : a));
    source.answer(doc(sampleAccounts(), '"v1"'), doc(moved, '"v2"'), doc(moved, '"v2"'));
    await sync.syncNow();
    const order = makeOrder(1, { accountId: 'acct-single', dids: ['+16085550130'] });
    await store.commit({ orders: [order] });
    const outcome = await sync.syncNow();
    expect(outcome).toMatchObject({ status: 'applied', updated: 1, closed: 1 });
    expect(store.getAccount('acct-bakery')!.portOutLock).toBe(true);
    expect(store.getAccount('acct-single')).toMatchObject({ status: 'closed', dids: [{ number: '+16085550130', status: 'active' }] });
    expect(store.findAccountByDid('+16085550130')?.id).toBe('acct-single');
    expect(alerts).toHaveLength(0);
    // Not applied as it is: the next sync reads it whole again (no validators of it kept)…
    await store.commit({ orders: [{ ...order, state: 'rejected' }] });
    expect(await sync.syncNow()).toMatchObject({ status: 'applied' });
    expect(source.asked.slice(1)).toEqual([{ etag: '"v1"' }, { etag: '"v1"' }]);
    // …and once the order has ended, the number moves.
    expect(store.findAccountByDid('+16085550130')?.id).toBe('acct-bakery');
    expect(store.getAccount('acct-single')!.dids).toEqual([]);
  });

  it('refuses a document that would close most of the accounts (an export cut short): nothing changes, support told', async () => {
    const { store, source, sync, alerts } = setup();
    const many = Array.from({ length: 30 }, (_, i) => ({ ...bakeryAccount(), id: `acct-${i}`, email: `c${i}@example.test`, dids: [{ number: `+1608555${String(2000 + i)}`, status: 'active' }] }));
    source.answer(doc(many, '"v1"'), doc(many.slice(0, 5), '"v2"'), doc(many.slice(0, 20), '"v3"'));
    await sync.syncNow();
    const cut = await sync.syncNow();
    expect(cut).toMatchObject({ status: 'failed' });
    expect(cut.status === 'failed' && cut.problem).toMatch(/would close 25 of the 30 open accounts; refused/);
    expect(store.listAccounts().filter((a) => a.status === 'closed')).toEqual([]);
    expect(alerts).toHaveLength(1);
    // Closing a third is billing's call.
    expect(await sync.syncNow()).toMatchObject({ status: 'applied', closed: 10 });
  });

  it('asks the source with the validators of the last document applied, not of one that failed', async () => {
    const { source, sync } = setup();
    const bad = [{ ...bakeryAccount(), dids: [] }];
    const refused = [{ ...bakeryAccount(), id: 'acct-other' }, { ...bakeryAccount(), id: 'acct-third', email: 'x@example.test' }]; // the same numbers on two accounts
    source.answer(
      doc(sampleAccounts(), '"v1"'),
      doc(bad, '"v2"'),
      new Error('HTTP 502'),
      doc(refused, '"v3"'),
      unchanged('"v1"'),
      doc(sampleAccounts().slice(0, 3), '"v4"'),
      unchanged('"v4"'),
    );
    const outcomes = [];
    for (let i = 0; i < 7; i++) outcomes.push((await sync.syncNow()).status);
    expect(outcomes).toEqual(['applied', 'failed', 'failed', 'failed', 'unchanged', 'applied', 'unchanged']);
    expect(source.asked).toEqual([undefined, { etag: '"v1"' }, { etag: '"v1"' }, { etag: '"v1"' }, { etag: '"v1"' }, { etag: '"v1"' }, { etag: '"v4"' }]);
  });

  it('keeps the Last-Modified validator too', async () => {
    const { source, sync } = setup();
    const first: SourceFetch = { ...doc(sampleAccounts(), 'x'), validators: { lastModified: 'Tue, 01 Dec 2026 14:00:00 GMT', etag: 'W/"7"' } };
    source.answer(first, unchanged('W/"7"'));
    await sync.syncNow();
    await sync.syncNow();
    expect(source.asked[1]).toEqual({ lastModified: 'Tue, 01 Dec 2026 14:00:00 GMT', etag: 'W/"7"' });
  });
});

describe('accounts sync: PINs', () => {
  const withClearPin = (pin: string, extra: Partial<Account> = {}) =>
    sampleAccounts().map((a) => (a.id === 'acct-bakery' ? { ...a, portOutPin: pin, ...extra } : a));

  it('hashes a clear PIN once; the same clear PIN on a later changed sync costs no scrypt and changes nothing', async () => {
    const pins = new CountingPins();
    const { store, source, sync, clock } = setup({ pins });
    source.answer(
      doc(withClearPin('2468'), '"v1"'),
      // Another account changed; the bakery's PIN is the same, in clear.
      doc(withClearPin('2468').map((a) => (a.id === 'acct-locked' ? { ...a, portOutLock: false } : a)), '"v2"'),
    );
    await sync.syncNow();
    expect(pins.hashes).toBe(1);
    const stored = store.getAccount('acct-bakery')!.portOutPin!;
    expect(pins.isHash(stored)).toBe(true);
    expect(testPins.matches('2468', stored)).toBe(true);
    expect(JSON.stringify(store.commits)).not.toContain('"2468"');

    clock.advance(3_600_000);
    expect(await sync.syncNow()).toMatchObject({ status: 'applied', updated: 1, unchanged: 3 });
    expect(pins.hashes).toBe(1);
    expect(pins.checks).toBe(0);
    expect(store.getAccount('acct-bakery')!.portOutPin).toBe(stored);
    expect(store.getAccount('acct-bakery')).not.toHaveProperty('portOutPinChangedAt');
    expect(store.commits[1]!.accounts!.map((a) => a.id)).toEqual(['acct-locked']);
  });

  it('a changed clear PIN is hashed again and marks when it changed', async () => {
    const pins = new CountingPins();
    const { store, source, sync, clock } = setup({ pins });
    source.answer(doc(withClearPin('2468'), '"v1"'), doc(withClearPin('1357'), '"v2"'));
    await sync.syncNow();
    const before = store.getAccount('acct-bakery')!.portOutPin!;
    clock.advance(60_000);
    expect(await sync.syncNow()).toMatchObject({ status: 'applied', updated: 1 });
    expect(pins.hashes).toBe(2);
    const after = store.getAccount('acct-bakery')!;
    expect(after.portOutPin).not.toBe(before);
    expect(testPins.matches('1357', after.portOutPin!)).toBe(true);
    expect(after.portOutPinChangedAt).toBe(clock.now().toISOString());
  });

  it('after a restart (a new sync, nothing remembered) an unchanged clear PIN is checked, not re-hashed, and changes nothing', async () => {
    const store = new MemoryStore();
    const first = setup({ store });
    first.source.answer(doc(withClearPin('2468'), '"v1"'));
    await first.sync.syncNow();
    const stored = store.getAccount('acct-bakery')!.portOutPin;

    const pins = new CountingPins();
    const second = setup({ store, pins });
    second.source.answer(doc(withClearPin('2468'), '"v1"'));
    expect(await second.sync.syncNow()).toMatchObject({ status: 'applied', updated: 0, unchanged: 4 });
    expect(pins.hashes).toBe(0);
    expect(pins.checks).toBe(1);
    expect(store.getAccount('acct-bakery')!.portOutPin).toBe(stored);
    expect(store.commits).toHaveLength(1);
  });

  it('a PIN already hashed is kept as given', async () => {
    const pins = new CountingPins();
    const { store, source, sync } = setup({ pins });
    source.answer(doc([pinAccount(), lockedAccount()], '"v1"'));
    await sync.syncNow();
    expect(pins.hashes + pins.checks).toBe(0);
    expect(store.getAccount('acct-pin')!.portOutPin).toBe(pinAccount().portOutPin);
  });
});

describe('accounts sync: a store that refuses the commit', () => {
  // syncNow never throws: a commit the store refuses is a failed sync (alerted once), not an
  // unhandled rejection from the timer.
  it('resolves failed (never throws) and alerts when the commit is refused', async () => {
    const { store, source, sync, alerts } = setup();
    source.answer(doc(sampleAccounts(), '"v1"'));
    store.failNextCommit = new Error('disk full');
    await expect(sync.syncNow()).resolves.toMatchObject({ status: 'failed' });
    expect(alerts).toHaveLength(1);
  });

  it('the refused commit leaves the store as it was and the next sync asks without validators', async () => {
    const { store, source, sync } = setup();
    source.answer(doc(sampleAccounts(), '"v1"'), doc(sampleAccounts(), '"v1"'));
    store.failNextCommit = new Error('disk full');
    await sync.syncNow().catch(() => undefined);
    expect(store.listAccounts()).toEqual([]);
    expect(await sync.syncNow()).toMatchObject({ status: 'applied', created: 4 });
    expect(source.asked).toEqual([undefined, undefined]);
  });
});
