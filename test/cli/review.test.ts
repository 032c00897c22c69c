/**
 * `portdesk review` against a running daemon (SPEC §9): a message the desk parked is listed with
 * its reason, shown as text with the reply-address token masked, handled again through the
 * daemon once the account is fixed (its e-mail written once), or dismissed with a note.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDnsServer, type TestDnsServer } from '../support/dns-server.js';
import { ensureBuilt, isTo, parseJson, readEmlFiles, REPO_ROOT, runCli, startCli, type RunningCli } from '../support/run-cli.js';

const PRIYA = 'priya.raman@example.test';

let dir: string;
let dataDir: string;
let daemon: RunningCli | undefined;
let dns: TestDnsServer;
let env: Record<string, string>;

const portdesk = (args: string[]) => runCli(args, { cwd: dir, env });

interface Item {
  id: string;
  reviewReason: string;
  detail: string;
  from?: string;
  resolution?: { action: string; note?: string };
}

async function deliver(subject: string, text: string, messageId: string): Promise<void> {
  const port = Number(/mail in:\s+smtp:\/\/127\.0\.0\.1:(\d+)/.exec(daemon!.output())?.[1]);
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ from: PRIYA, to: 'porting@localhost', subject, text, messageId: `<${messageId}>` });
  } finally {
    transport.close();
  }
}

/** Priya asks for her CSR with a tech prefix that is not (yet) the one on file. */
const csrRequest = (id: string, prefix: string) =>
  deliver('CSR request', `Please send me my CSR.\nAccount name: Priya Raman\nTech prefix: ${prefix}\nNumbers: (503) 555-0177\n`, id);

const csrMails = async () => (await readEmlFiles(path.join(dataDir, 'outbox-files'))).filter((m) => isTo(PRIYA, m.parsed) && /^Your Customer Service Record/.test(m.parsed.subject ?? ''));

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-review-'));
  dataDir = path.join(dir, 'data');
  dns = await startTestDnsServer();
  env = { DATA_DIR: dataDir, INBOUND_SMTP_PORT: '0', MAIL_AUTH_DNS: dns.address };
  expect((await portdesk(['accounts', 'import', path.join(REPO_ROOT, 'data', 'sample-accounts.json')])).code).toBe(0);
  daemon = startCli(['start'], { cwd: dir, env });
  await daemon.waitForOutput(/portdesk is running\./);
}, 120_000);

afterAll(async () => {
  daemon?.kill();
  await dns?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('portdesk review', () => {
  it('lists a parked message with its reason, shows it, and handles it again through the daemon once the account is fixed', async () => {
    await csrRequest('csr-review-1@example.test', 'ZZ99');
    const list = parseJson<Item[]>(await portdesk(['review', 'list', '--json']));
    const item = list.find((i) => i.from === PRIYA)!;
    expect(item).toMatchObject({ reviewReason: 'CSR_MISMATCH', id: expect.stringMatching(/^R-[0-9a-f]{10}$/) });
    expect(item.detail).toContain('the tech prefix does not match');

    const shown = await portdesk(['review', 'show', item.id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`${item.id}  CSR_MISMATCH`);
    expect(shown.stdout).toContain('Tech prefix: ZZ99');

    // The account on file had the wrong tech prefix: fix it, then have the request handled again.
    const accounts = JSON.parse(await readFile(path.join(REPO_ROOT, 'data', 'sample-accounts.json'), 'utf8')) as { id: string; techPrefix: string }[];
    const fixed = accounts.map((a) => (a.id === 'ACC-1003' ? { ...a, techPrefix: 'ZZ99' } : a));
    await writeFile(path.join(dir, 'fixed.json'), JSON.stringify(fixed));
    expect((await portdesk(['accounts', 'import', path.join(dir, 'fixed.json')])).code).toBe(0);

    const again = await portdesk(['review', 'reprocess', item.id, '--json']);
    expect(again.code).toBe(0);
    expect(parseJson<{ disposition: string; item: Item }>(again)).toMatchObject({ disposition: 'processed', item: { resolution: { action: 'reprocessed' } } });
    await expect.poll(async () => (await csrMails()).length, { timeout: 10_000 }).toBe(1);
    expect(parseJson<Item[]>(await portdesk(['review', 'list', '--json'])).map((i) => i.id)).not.toContain(item.id);

    const twice = await portdesk(['review', 'reprocess', item.id]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/REVIEW_ALREADY_RESOLVED/);
    expect((await csrMails()).length).toBe(1);
  });

  it('dismisses with a note, and says what is wrong with a bad id or no note', async () => {
    await csrRequest('csr-review-2@example.test', 'XX00');
    const item = parseJson<Item[]>(await portdesk(['review', 'list', '--json'])).find((i) => i.reviewReason === 'CSR_MISMATCH')!;
    const noNote = await portdesk(['review', 'dismiss', item.id]);
    expect(noNote.code).toBe(2);
    expect(noNote.stderr).toMatch(/--note/);
    const dismissed = await portdesk(['review', 'dismiss', item.id, '--note', 'asked by phone; not our customer', '--json']);
    expect(dismissed.code).toBe(0);
    expect(parseJson<Item>(dismissed).resolution).toMatchObject({ action: 'dismissed', note: 'asked by phone; not our customer' });
    const all = parseJson<Item[]>(await portdesk(['review', 'list', '--all', '--json']));
    expect(all.find((i) => i.id === item.id)?.resolution?.action).toBe('dismissed');
    const unknown = await portdesk(['review', 'show', 'R-0000000000']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/REVIEW_NOT_FOUND/);
  });
});
