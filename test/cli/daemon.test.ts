/**
 * Commands against a running daemon on the same DATA_DIR (SPEC §9): the daemon holds the data
 * directory, so `orders complete`, `jobs run` and `accounts import` ask it through
 * DATA_DIR/portdesk.sock; the change is visible at once and every e-mail is written once. A second
 * `start` on the same directory is refused; SIGTERM stops the daemon with exit 0.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileStore } from '../../src/adapters/file-store.js';
import type { PortOrder } from '../../src/domain/records.js';
import { ensureBuilt, isTo, parseJson, readEmlFiles, REPO_ROOT, runCli, startCli, waitForEml, type RunningCli } from '../support/run-cli.js';

const ORDER_ID = 'PO-SOCK01';
const CUSTOMER = 'priya.raman@example.test';

let dir: string;
let dataDir: string;
let daemon: RunningCli | undefined;
let env: Record<string, string>;

const portdesk = (args: string[]) => runCli(args, { cwd: dir, env });
const completionMails = async () =>
  (await readEmlFiles(path.join(dataDir, 'outbox-files'))).filter((m) => isTo(CUSTOMER, m.parsed) && (m.parsed.subject ?? '').includes(`[${ORDER_ID}]`));

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-daemon-'));
  dataDir = path.join(dir, 'data');
  // Port 0: the embedded listener takes a free port, and the banner says which.
  env = { DATA_DIR: dataDir, INBOUND_SMTP_PORT: '0' };
  expect((await portdesk(['accounts', 'import', path.join(REPO_ROOT, 'data', 'sample-accounts.json')])).code).toBe(0);
  const at = new Date(Date.now() - 60_000).toISOString();
  const store = await openFileStore(dataDir);
  const approved: PortOrder = {
    id: ORDER_ID,
    token: 'tok-sock01-secret',
    state: 'approved',
    accountId: 'ACC-1003',
    dids: ['+15035550177'],
    carrier: { name: 'Northwind Telecom LNP', email: 'lnp@northwind.example.test', pon: 'NW-77' },
    provided: { name: 'Priya Raman', zip: '97214' },
    focDate: '2099-06-01',
    verification: { sentTo: CUSTOMER, sentAt: at, expiresAt: at, messageId: 'v-sock01@desk.example.test', clarifications: 0 },
    decision: { by: 'customer', at, reasonCodes: [] },
    requestKey: 'lnp@northwind.example.test|NW-77',
    sourceMessageIds: ['nw-77@northwind.example.test'],
    createdAt: at,
    updatedAt: at,
    history: [{ at, event: 'received' }],
  };
  await store.commit({ orders: [approved] });
  await store.close();
  daemon = startCli(['start'], { cwd: dir, env });
  await daemon.waitForOutput(/portdesk is running\./);
}, 120_000);

afterAll(async () => {
  daemon?.kill();
  await rm(dir, { recursive: true, force: true });
});

describe('while the daemon runs', () => {
  it('the banner says where mail comes in and goes out', () => {
    const out = daemon!.output();
    expect(out).toMatch(/mail in:\s+smtp:\/\/127\.0\.0\.1:\d+/);
    expect(out).toContain(`mail out:  ${path.join(dataDir, 'outbox-files')}`);
    expect(existsSync(path.join(dataDir, 'portdesk.sock'))).toBe(true);
  });

  it('a second start on the same data directory is refused with exit 1', async () => {
    const r = await portdesk(['start']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/portdesk: /);
  });

  it('orders complete goes through the daemon: the change is visible and the e-mail written once', async () => {
    const r = await portdesk(['orders', 'complete', ORDER_ID, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(parseJson<PortOrder>(r).state).toBe('completed');
    // The daemon did it: its log records the support action.
    await daemon!.waitForOutput(/order complete by support/);

    const shown = parseJson<PortOrder>(await portdesk(['orders', 'show', ORDER_ID, '--json']));
    expect(shown.state).toBe('completed');
    await waitForEml(path.join(dataDir, 'outbox-files'), (m) => isTo(CUSTOMER, m) && (m.subject ?? '').includes(`[${ORDER_ID}]`));

    const again = await portdesk(['orders', 'complete', ORDER_ID]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/INVALID_TRANSITION/);
  });

  it('jobs run and accounts import go through the daemon too', async () => {
    const jobs = await portdesk(['jobs', 'run', '--json']);
    expect(jobs.code).toBe(0);
    expect(parseJson<{ ranBy: string }>(jobs).ranBy).toBe('daemon');
    const imported = await portdesk(['accounts', 'import', path.join(REPO_ROOT, 'data', 'sample-accounts.csv'), '--json']);
    expect(imported.code).toBe(0);
    expect(parseJson<{ updated: string[] }>(imported).updated).toHaveLength(6);
  });

  it('SIGTERM stops it cleanly (exit 0); the socket is gone and the completion e-mail exists once', async () => {
    const { code } = await daemon!.stop('SIGTERM');
    expect(code).toBe(0);
    expect(existsSync(path.join(dataDir, 'portdesk.sock'))).toBe(false);
    const mails = await completionMails();
    expect(mails.map((m) => m.parsed.subject)).toEqual([`[${ORDER_ID}] Your number has been ported out`]);
  });
});
