/**
 * The README's first steps on a clean copy of the repository: no data directory, no .env, no
 * dist/. The packages are the ones already installed (node_modules is linked, nothing is
 * downloaded); `npm run build` is what `npm ci` runs through `prepare`. Then, as the README says:
 * import the sample accounts with `portdesk accounts import data/sample-accounts.json`, run
 * `npm start`, send a port request to the embedded listener, find the acknowledgement and the
 * verification as .eml files under data/outbox-files/, and stop the desk with Ctrl-C (SIGINT to
 * the whole process group, as a terminal sends it): it stops cleanly and `npm start` exits 0.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDnsServer, type TestDnsServer } from '../support/dns-server.js';
import { findFreePort } from '../support/free-port.js';
import { isTo, REPO_ROOT, runProcess, startProcess, waitForEml, type RunningCli } from '../support/run-cli.js';

let clone: string;
let desk: RunningCli | undefined;
let dns: TestDnsServer | undefined;

/** npm must not reach for the network: no update check, no audit, offline. */
const NPM_ENV = { npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_offline: 'true' };

beforeAll(async () => {
  clone = await mkdtemp(path.join(os.tmpdir(), 'portdesk-clone-'));
  // What a commit of the working tree holds: tracked files plus new ones not ignored.
  const { stdout } = await promisify(execFile)('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
  const files = stdout.split('\0').filter((f) => f && existsSync(path.join(REPO_ROOT, f)));
  for (const f of files) {
    await mkdir(path.dirname(path.join(clone, f)), { recursive: true });
    await copyFile(path.join(REPO_ROOT, f), path.join(clone, f));
  }
  await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(clone, 'node_modules'), 'dir');
  const build = await runProcess('npm', ['run', 'build', '--silent'], { cwd: clone, env: NPM_ENV, timeoutMs: 120_000 });
  if (!existsSync(path.join(clone, 'dist', 'cli.js'))) throw new Error(`the build produced no dist/cli.js:\n${build.stdout}\n${build.stderr}`);
}, 120_000);

afterAll(async () => {
  desk?.kill();
  await dns?.close();
  if (clone) await rm(clone, { recursive: true, force: true });
});

describe('a clean copy of the repository', () => {
  it('has no data directory state, no .env and no build of its own before the build', () => {
    expect(existsSync(path.join(clone, '.env'))).toBe(false);
    expect(existsSync(path.join(clone, 'data', 'desk.json'))).toBe(false);
    expect(existsSync(path.join(clone, 'data', 'sample-accounts.json'))).toBe(true);
  });

  it('npm start runs the desk on the embedded defaults: a request in, acknowledgement and verification out as .eml, Ctrl-C stops it cleanly (exit 0)', async () => {
    const port = await findFreePort();
    // The embedded defaults, but for the resolver mail authentication asks: a sandbox's own may
    // not answer, and a test must not depend on the network.
    dns = await startTestDnsServer();
    const env = { ...NPM_ENV, INBOUND_SMTP_PORT: String(port), MAIL_AUTH_DNS: dns.address };

    // `npx portdesk` in the package directory runs this same bin (npm links the project into its
    // npx cache first, which takes seconds); the bin itself is what is tested here.
    const imported = await runProcess(process.execPath, ['dist/cli.js', 'accounts', 'import', 'data/sample-accounts.json'], { cwd: clone, env });
    expect(imported.stderr).not.toMatch(/error/i);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/imported 6 account\(s\)/);

    desk = startProcess('npm', ['start'], { cwd: clone, env });
    await desk.waitForOutput(new RegExp(`mail in:\\s+smtp://127\\.0\\.0\\.1:${port}`), 20_000);
    expect(desk.output()).toContain(`mail out:  ${path.join(clone, 'data', 'outbox-files')}`);

    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    try {
      await transport.sendMail({
        from: 'Northwind Telecom LNP <lnp@northwind.example.test>',
        to: 'porting@localhost',
        subject: 'Port-out request PON NW-9001',
        text: [
          'Please port out the number below.',
          '',
          'PON: NW-9001',
          'Account Name: Priya Raman',
          'Service Address: 3307 SE Hawthorne Blvd Apt 4B',
          'City: Portland',
          'State: OR',
          'ZIP: 97214',
          'Telephone Number: (503) 555-0177',
        ].join('\n'),
      });
    } finally {
      transport.close();
    }

    const outbox = path.join(clone, 'data', 'outbox-files');
    const ack = await waitForEml(outbox, (m) => isTo('lnp@northwind.example.test', m) && /Port-out request received \(PON NW-9001\)/.test(m.subject ?? ''));
    const orderId = /PO-[0-9A-Z]{6}/.exec(ack.subject ?? '')?.[0];
    expect(orderId).toBeDefined();
    const verification = await waitForEml(outbox, (m) => isTo('priya.raman@example.test', m) && (m.subject ?? '').includes(`[${orderId}] Please confirm`));
    expect(verification.headers.get('auto-submitted')).toBeDefined();

    // Ctrl-C as a terminal sends it: SIGINT to the whole process group, so the desk gets it
    // twice — from the terminal and passed on by npm — and takes the two for one: a clean stop.
    // (SIGTERM to the desk's own pid, as a supervisor sends it: test/cli/daemon.test.ts.)
    const pid = Number((await readFile(path.join(clone, 'data', 'portdesk.lock'), 'utf8')).trim());
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(desk.child.pid);
    process.kill(-desk.child.pid!, 'SIGINT');
    // npm start ends with the desk's exit code.
    const { code, signal } = await desk.waitForExit(20_000);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(desk.output()).toMatch(/"msg":"stopped"/);
    expect(desk.output()).not.toContain('without a clean stop');
    expect(existsSync(path.join(clone, 'data', 'portdesk.sock'))).toBe(false);
    expect(existsSync(path.join(clone, 'data', 'desk.json')) || existsSync(path.join(clone, 'data', 'journal.jsonl'))).toBe(true);
  });
});
