/**
 * `portdesk orders list --json | jq`: every byte a command prints reaches the other end of a pipe,
 * however slowly that end reads. A pipe holds 64 KB; a CLI that ends the process right after
 * writing (process.exit) drops whatever is still queued behind it. Here the built binary prints
 * more than a megabyte into a pipe that the test drains in small bursts with pauses between them.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileStore } from '../../src/adapters/file-store.js';
import type { PortOrder } from '../../src/domain/records.js';
import { childEnv, CLI, ensureBuilt } from '../support/run-cli.js';

const ORDERS = 2_000;
const CARRIER = { name: 'Northwind Telecom LNP', email: 'lnp@northwind.example.test' };

let dir: string;

function order(n: number): PortOrder {
  const at = new Date(Date.UTC(2026, 10, 1, 12, 0, n % 60)).toISOString();
  const id = `PO-P${n.toString(36).toUpperCase().padStart(5, '0')}`;
  return {
    id,
    token: `tok-${id.toLowerCase()}`,
    state: 'pending_verification',
    accountId: 'ACC-1001',
    dids: ['+12065550100', '+12065550101'],
    carrier: { ...CARRIER, pon: `PON-${id}` },
    provided: { name: 'Cascade Coffee Roasters', street: '1420 Pine St Ste 310', city: 'Seattle', state: 'WA', zip: '98101' },
    requestKey: `${CARRIER.email}|PON-${id}`,
    sourceMessageIds: [`${id.toLowerCase()}@northwind.example.test`],
    createdAt: at,
    updatedAt: at,
    history: [
      { at, event: 'received', detail: `port request PON-${id} from ${CARRIER.email}` },
      { at, event: 'verification sent', detail: 'to maria.delgado@example.test' },
    ],
  };
}

/** Runs the CLI with stdout into a pipe read `burst` bytes at a time, `pauseMs` apart. */
function runIntoSlowPipe(args: string[], env: Record<string, string>, { burst, pauseMs }: { burst: number; pauseMs: number }) {
  return new Promise<{ code: number | null; stdout: Buffer; stderr: string; bursts: number }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    // No 'data' listener: the stream stays paused and only what read() takes leaves the pipe. The
    // 'readable' listener marks it as read by hand; without one, node resumes (and so discards)
    // a child's unread output as soon as the child exits.
    const out = child.stdout;
    out.on('readable', () => undefined);
    const chunks: Buffer[] = [];
    let bursts = 0;
    let ended = false;
    let exitCode: number | null | undefined;
    out.on('end', () => {
      ended = true;
      finish();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      exitCode = code;
      finish();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no end within 60 s; ${chunks.reduce((n, c) => n + c.length, 0)} bytes read\n${stderr}`));
    }, 60_000);
    function finish() {
      if (!ended || exitCode === undefined) return;
      clearTimeout(timer);
      resolve({ code: exitCode, stdout: Buffer.concat(chunks), stderr, bursts });
    }
    const drip = () => {
      if (ended) return;
      const chunk = out.read(Math.min(burst, out.readableLength)) as Buffer | null;
      if (chunk) {
        chunks.push(chunk);
        bursts += 1;
      }
      setTimeout(drip, pauseMs);
    };
    // The first burst only once the child has had time to print and, before the fix, to exit.
    setTimeout(drip, 200);
  });
}

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-pipe-'));
  const store = await openFileStore(path.join(dir, 'data'));
  await store.commit({ orders: Array.from({ length: ORDERS }, (_, i) => order(i)) });
  await store.close();
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('output into a pipe read slowly', () => {
  it('orders list --json: more than a megabyte, all of it arrives and parses, exit 0', async () => {
    const r = await runIntoSlowPipe(['orders', 'list', '--json'], { DATA_DIR: path.join(dir, 'data') }, { burst: 16 * 1024, pauseMs: 5 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(1024 * 1024);
    // Read in many small bursts: the pipe was full while the command finished.
    expect(r.bursts).toBeGreaterThan(50);
    const listed = JSON.parse(r.stdout.toString('utf8')) as PortOrder[];
    expect(listed).toHaveLength(ORDERS);
    expect(new Set(listed.map((o) => o.id)).size).toBe(ORDERS);
    expect(listed.every((o) => o.token === '(secret)')).toBe(true);
  }, 90_000);
});
