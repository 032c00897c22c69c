import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openFileStore } from '../../src/adapters/file-store.js';
import { orderId } from './store-records.js';

const CHILD = fileURLToPath(new URL('./file-store-crash-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'portdesk-crash-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs the child until it has acknowledged `acks` more commits, then SIGKILLs it `delayMs` later,
 * wherever it is by then (appending, fsyncing, archiving, writing or renaming the snapshot,
 * truncating the journal). Returns the last commit it acknowledged.
 */
async function runAndKill(acks: number, delayMs: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit');
  let lastAck = -1;
  let seen = 0;
  for await (const line of createInterface({ input: child.stdout! })) {
    const [word, num] = line.split(' ');
    if (word === 'ready') lastAck = Number(num);
    if (word === 'ack') {
      lastAck = Number(num);
      if (++seen >= acks) break;
    }
  }
  // The kill moment is the random variable here, so this waits on a timer rather than an event;
  // acknowledgements printed meanwhile are not read, which only makes the check below stricter.
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  child.kill('SIGKILL');
  const [code, signal] = (await exited) as [number | null, string | null];
  if (signal !== 'SIGKILL') throw new Error(`child ended by itself (code ${code}): ${stderr}`);
  return lastAck;
}

it('survives SIGKILL at random moments: every reload holds a whole prefix of the commits', async () => {
  let committed = 0;
  for (let round = 0; round < 8; round++) {
    const lastAck = await runAndKill(5 + Math.floor(Math.random() * 30), Math.random() * 20);
    expect(lastAck).toBeGreaterThanOrEqual(committed);

    const store = await openFileStore(dir); // also takes over the dead child's lock
    try {
      const n = store.getCursor('INBOX')?.lastUid ?? 0;
      // Everything acknowledged is there; anything more is a commit that landed before the kill.
      expect(n).toBeGreaterThanOrEqual(lastAck);
      for (let i = 1; i <= n; i++) {
        expect(store.getInbound(`<crash-${i}@example.test>`)?.uid, `inbound ${i} of ${n}`).toBe(i);
        expect(store.getOrder(orderId(i))?.state, `order ${i} of ${n}`).toBe('completed');
        expect(store.getOutbox(`OUT-${i}`)?.orderId, `outbox ${i} of ${n}`).toBe(orderId(i));
        expect(store.findOrderByOutboundMessageId(`OUT-${i}@desk.example.test`)?.id).toBe(orderId(i));
      }
      expect(store.getInbound(`<crash-${n + 1}@example.test>`)).toBeUndefined();
      expect(store.getOrder(orderId(n + 1))).toBeUndefined();
      expect(store.getOutbox(`OUT-${n + 1}`)).toBeUndefined();
      expect(store.stats().seq).toBe(n);
      committed = n;
    } finally {
      await store.close();
    }
  }
  // The child compacts every 5 commits and archives what is a week old, so the rounds crossed both.
  const store = await openFileStore(dir, { readOnly: true });
  expect(store.stats().archived.inbound).toBeGreaterThan(0);
  await store.close();
}, 180_000);
