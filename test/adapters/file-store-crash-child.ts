/**
 * Child process of file-store-crash.test.ts: commits forever (and compacts often) until the test
 * kills it. Commit n holds an inbound entry, an order, an outbox entry and the cursor lastUid = n,
 * so a reload can tell a whole prefix of commits from a torn state. Commit 1 also brings 3,000
 * accounts, so that writing a snapshot takes long enough for kills to land inside compactions.
 * Prints `ack n` once commit n is durable.
 */
import { openFileStore } from '../../src/adapters/file-store.js';
import { T0, makeAccount, makeInbound, makeOrder, makeOutbox, orderId } from './store-records.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: file-store-crash-child.ts DATA_DIR');

const STEP = 6 * 60 * 60 * 1000;
let n = 0;
// Each commit is six hours later, so compaction keeps archiving what is more than 7 (or 30) days old.
const clock = { now: () => new Date(T0.getTime() + n * STEP) };
const store = await openFileStore(dataDir, { clock, compactBytes: 16 * 1024 });
n = store.getCursor('INBOX')?.lastUid ?? 0;
process.stdout.write(`ready ${n}\n`);

for (;;) {
  n++;
  const at = clock.now().toISOString();
  await store.commit({
    ...(n === 1 ? { accounts: Array.from({ length: 3000 }, (_, i) => makeAccount(i)) } : {}),
    inbound: [makeInbound(`<crash-${n}@example.test>`, { at, uid: n })],
    orders: [makeOrder(n, { state: 'completed', createdAt: at, updatedAt: at, completedAt: at })],
    outbox: [makeOutbox(`OUT-${n}`, { orderId: orderId(n), status: 'sent', createdAt: at, sentAt: at, nextAttemptAt: at })],
    cursors: { INBOX: { uidValidity: '1001', lastUid: n } },
  });
  process.stdout.write(`ack ${n}\n`);
  if (n % 5 === 0) await store.compact();
}
