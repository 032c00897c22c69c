/**
 * A job that fails is reported to whoever asked for it: `portdesk jobs run` handed to the running
 * daemon exits 1 with the error, while the daemon's own schedule logs the failure and keeps
 * running. The failure here is a broken TEMPLATES_DIR override of the reminder's subject, with an
 * order whose reminder is due.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileStore } from '../../src/adapters/file-store.js';
import type { PortOrder } from '../../src/domain/records.js';
import { ensureBuilt, parseJson, REPO_ROOT, runCli, startCli, type RunningCli } from '../support/run-cli.js';

const ORDER_ID = 'PO-JOBF01';

let dir: string;
let daemon: RunningCli | undefined;
let env: Record<string, string>;

const portdesk = (args: string[]) => runCli(args, { cwd: dir, env });

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-jobs-failure-'));
  const dataDir = path.join(dir, 'data');
  const templates = path.join(dir, 'templates');
  await mkdir(path.join(templates, 'customer-reminder'), { recursive: true });
  // An unclosed block: Handlebars refuses it when the reminder is rendered.
  await writeFile(path.join(templates, 'customer-reminder', 'subject.hbs'), '[{{order.id}}] Reminder {{#if order}}\n');
  // Jobs every second: the schedule meets the broken template again and again.
  env = { DATA_DIR: dataDir, TEMPLATES_DIR: templates, INBOUND_SMTP_PORT: '0', JOBS_SCHEDULE: '* * * * * *' };
  expect((await portdesk(['accounts', 'import', path.join(REPO_ROOT, 'data', 'sample-accounts.json')])).code).toBe(0);

  const now = Date.now();
  const iso = (ms: number) => new Date(now + ms).toISOString();
  const pending: PortOrder = {
    id: ORDER_ID,
    token: 'tok-jobf01-secret',
    state: 'pending_verification',
    accountId: 'ACC-1003',
    dids: ['+15035550177'],
    carrier: { name: 'Northwind Telecom LNP', email: 'lnp@northwind.example.test', pon: 'NW-JF1' },
    provided: { name: 'Priya Raman', zip: '97214' },
    // Sent two days ago, expiring in a day: the reminder (after 24 h) is due.
    verification: { sentTo: 'priya.raman@example.test', sentAt: iso(-2 * 86_400_000), expiresAt: iso(86_400_000), messageId: 'v-jobf01@desk.example.test', clarifications: 0 },
    requestKey: 'lnp@northwind.example.test|NW-JF1',
    sourceMessageIds: ['nw-jf1@northwind.example.test'],
    createdAt: iso(-2 * 86_400_000),
    updatedAt: iso(-2 * 86_400_000),
    history: [{ at: iso(-2 * 86_400_000), event: 'received' }],
  };
  const store = await openFileStore(dataDir);
  await store.commit({ orders: [pending] });
  await store.close();

  daemon = startCli(['start'], { cwd: dir, env });
  await daemon.waitForOutput(/portdesk is running\./);
}, 120_000);

afterAll(async () => {
  daemon?.kill();
  await rm(dir, { recursive: true, force: true });
});

describe('a job that fails, through the running daemon', () => {
  it('jobs run exits 1 with the error; the schedule logs it and goes on', async () => {
    const r = await portdesk(['jobs', 'run', '--json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^portdesk: TEMPLATE_ERROR: template "customer-reminder"/);

    // The schedule met the same failure, logged it, and ran again the next second.
    await daemon!.waitForOutput(/job run failed[\s\S]*job run failed/, 10_000);
    expect(daemon!.child.exitCode).toBeNull();

    // Nothing was half done: the order still waits for its reminder.
    const shown = parseJson<PortOrder>(await portdesk(['orders', 'show', ORDER_ID, '--json']));
    expect(shown.state).toBe('pending_verification');
    expect(shown.verification?.reminderSentAt).toBeUndefined();
  });

  it('SIGTERM still stops the daemon cleanly (exit 0)', async () => {
    expect((await daemon!.stop('SIGTERM')).code).toBe(0);
  });
});
