/**
 * No PIN in clear reaches the disk (SPEC §10): an account's PIN is kept as a salted hash (the Pins
 * port), and of a carrier's PIN an order keeps only whether it was given and whether it matched.
 *
 * The desk's own paths already write records that way (intake checks the carrier's PIN and drops
 * it; an import hashes). This is the store's guarantee on top: a commit carrying a clear PIN (a
 * test, a tool, an older caller) is sealed before it is journalled, and a data directory written
 * before PINs were sealed is migrated when it is opened for writing — the live records here, the
 * snapshot and journal by the compaction that follows, the archived orders file by rewriting it.
 */
import { createReadStream } from 'node:fs';
import { open, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { normalizePin } from '../../domain/normalize.js';
import { checkCarrierPin } from '../../domain/pin-guard.js';
import type { Account, PortOrder } from '../../domain/records.js';
import type { Pins } from '../../ports/pins.js';
import type { DeskState } from './desk-state.js';
import { fsyncPath } from './fsync.js';
import type { ParsedChanges, StoredPortOrder } from './schemas.js';

export interface SealCount {
  /** Account PINs hashed (or dropped, when nothing was in them). */
  accounts: number;
  /** Orders whose carrier PIN was reduced to given / matched. */
  orders: number;
}

/** Records the archived orders file was checked (and if need be rewritten) for clear PINs. */
const ARCHIVE_SEALED_MARKER = '.pins-sealed';
/** Hashes at once while migrating, on libuv's thread pool (nothing else runs while the store opens). */
const MIGRATION_CONCURRENCY = 4;

function hasClearPin(account: Account, pins: Pins): boolean {
  return account.portOutPin !== undefined && !pins.isHash(account.portOutPin);
}

/** A PIN with nothing in it (" ", "--") meant no PIN to the desk that stored it: it is dropped, not hashed. */
function withoutEmptyPin(account: Account): Account {
  const { portOutPin: _empty, ...rest } = account;
  return rest;
}

/** The order with what is kept of its carrier's PIN instead of the PIN; undefined when it had none in clear. */
function sealOrder(order: StoredPortOrder, account: Account | undefined, pins: Pins): PortOrder | undefined {
  const { pin, ...fields } = order.provided;
  if (pin === undefined) return undefined;
  // Checked against the account as it is now: for an order still open, what the PIN was then.
  const kept = account ? checkCarrierPin(pins, pin, account) : normalizePin(pin) ? { pinGiven: true } : {};
  return { ...order, provided: { ...fields, ...kept } };
}

/**
 * Seals a commit in place, before it is applied or journalled. Orders first: their accounts'
 * PINs may still be in clear in the same commit, and a clear PIN is compared as such.
 */
export function sealChanges(changes: ParsedChanges, accountOf: (id: string) => Account | undefined, pins: Pins): SealCount {
  const count: SealCount = { accounts: 0, orders: 0 };
  const inCommit = new Map((changes.accounts ?? []).map((a) => [a.id, a]));
  changes.orders = changes.orders?.map((o) => {
    const sealed = sealOrder(o, inCommit.get(o.accountId) ?? accountOf(o.accountId), pins);
    if (!sealed) return o;
    count.orders++;
    return sealed;
  });
  if (!changes.orders) delete changes.orders;
  if (changes.accounts) {
    changes.accounts = changes.accounts.map((a) => {
      if (!hasClearPin(a, pins)) return a;
      count.accounts++;
      const pin = a.portOutPin!;
      return normalizePin(pin) === '' ? withoutEmptyPin(a) : { ...a, portOutPin: pins.hash(pin) };
    });
  }
  return count;
}

/**
 * For a store opened read-only on a data directory not migrated yet (a command reading while no
 * daemon has opened it since): its orders lose the carrier's PIN in memory, so no listing shows
 * it; account PINs are left (nothing shows them) and the files untouched.
 */
export function sealOrdersInMemory(state: DeskState, pins: Pins): number {
  const orders: PortOrder[] = [];
  for (const o of state.orders.values()) {
    const sealed = sealOrder(o as StoredPortOrder, state.accounts.get(o.accountId), pins);
    if (sealed) orders.push(sealed);
  }
  if (orders.length) state.apply({ orders });
  return orders.length;
}

/** Seals the live records of a store just loaded; the caller compacts, so the files follow. */
export async function sealState(state: DeskState, pins: Pins): Promise<SealCount> {
  const orders: PortOrder[] = [];
  for (const o of state.orders.values()) {
    const sealed = sealOrder(o as StoredPortOrder, state.accounts.get(o.accountId), pins);
    if (sealed) orders.push(sealed);
  }
  const clear = [...state.accounts.values()].filter((a) => hasClearPin(a, pins));
  const accounts: Account[] = [];
  let next = 0;
  const worker = async () => {
    while (next < clear.length) {
      const a = clear[next++]!;
      const pin = a.portOutPin!;
      accounts.push(normalizePin(pin) === '' ? withoutEmptyPin(a) : { ...a, portOutPin: await pins.hashInBackground(pin) });
    }
  };
  await Promise.all(Array.from({ length: MIGRATION_CONCURRENCY }, worker));
  state.apply({ accounts, orders });
  return { accounts: accounts.length, orders: orders.length };
}

/**
 * Archived orders are final and their accounts may be long gone: a clear PIN there becomes
 * "given", and "not matched" when the order was refused for it; whether it matched otherwise
 * was not recorded. Runs once per data directory (a marker file records it), before the archive
 * is indexed; a rewrite goes to a new file renamed over the old one, so a crash leaves one or the
 * other whole. Returns the orders changed.
 */
export async function sealArchivedOrders(archiveDir: string): Promise<number> {
  const marker = path.join(archiveDir, ARCHIVE_SEALED_MARKER);
  if (await exists(marker)) return 0;
  const file = path.join(archiveDir, 'orders.jsonl');
  let changed = 0;
  if ((await exists(file)) && (await anyLine(file, (line) => line.includes('"pin":')))) {
    const temp = `${file}.sealing.tmp`;
    const out = await open(temp, 'w', 0o600);
    try {
      for await (const line of lines(file)) {
        const sealed = sealArchiveLine(line);
        if (sealed !== line) changed++;
        await out.write(`${sealed}\n`);
      }
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(temp, file);
    await fsyncPath(archiveDir);
  }
  await writeFile(marker, '', { mode: 0o600 });
  return changed;
}

/** One archive line (`header\trecord`), its record's clear PIN replaced; the line itself when it has none. */
function sealArchiveLine(line: string): string {
  if (!line.includes('"pin":')) return line;
  const tab = line.indexOf('\t');
  if (tab < 0) return line;
  let record: StoredPortOrder;
  try {
    record = JSON.parse(line.slice(tab + 1)) as StoredPortOrder;
  } catch {
    return line; // the store reports a damaged line when it reads it
  }
  const pin = record.provided?.pin;
  if (pin === undefined) return line;
  const { pin: _clear, ...fields } = record.provided;
  const refused = record.decision?.reasonCodes.includes('PIN_INVALID') === true;
  const kept = normalizePin(pin) === '' ? {} : { pinGiven: true, ...(refused ? { pinMatched: false } : {}) };
  return `${line.slice(0, tab)}\t${JSON.stringify({ ...record, provided: { ...fields, ...kept } })}`;
}

async function* lines(file: string): AsyncGenerator<string> {
  const input = createReadStream(file, { encoding: 'utf8' });
  try {
    yield* createInterface({ input, crlfDelay: Infinity });
  } finally {
    // Closing the interface (a caller that stopped early) leaves its input open.
    input.destroy();
  }
}

async function anyLine(file: string, test: (line: string) => boolean): Promise<boolean> {
  for await (const line of lines(file)) if (test(line)) return true;
  return false;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

