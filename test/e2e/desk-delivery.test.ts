/**
 * End to end, delivery guarantees: an SMTP server that refuses for a while, and the daemon killed
 * with SIGKILL after saving its e-mails but before any was sent. Every e-mail must go out, and
 * none twice (the sink counts by Message-ID). On PostgreSQL (PORTDESK_TEST_STORE) the killed
 * daemon's lease is never given back: the restarted one takes it once it has run out.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, describe, expect, it } from 'vitest';
import { DESK_FROM, DESK_USER, SUPPORT, isTo, startDeskHarness } from '../support/desk-harness.js';
import { startDovecot } from '../support/dovecot.js';
import { REPO_ROOT, startProcess, type RunningCli } from '../support/run-cli.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { prepareChildStore } from '../support/test-store.js';
import { CARRIER, account, matchingRequest, orderIdOf } from './support/scenario.js';

const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

describe('delivery', () => {
  it('an SMTP server refusing for a while: the e-mails go out once it is back, each exactly once', async () => {
    const h = await startDeskHarness({ accounts: [account(31)], env: { VERIFICATION_WINDOW: '5d', REMINDER_AFTER: '3d' } });
    cleanups.push(() => h.close());
    h.sink.refuse(451, 'Try again later');
    await h.send(matchingRequest(31, 'PON-DLV-31'));
    // The acknowledgement and the verification are saved and tried; the server says no.
    const tried = () => h.daemon.store.listQueuedOutbox().filter((e) => e.attempts >= 1 && e.lastError);
    await expect.poll(() => tried().length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    expect(h.sink.refused).toBeGreaterThanOrEqual(2);
    expect(h.sink.messages).toHaveLength(0);

    h.sink.accept();
    // Past every backoff: the next job tick retries.
    h.clock.advance(2 * 3_600_000);
    const ack = await h.waitForMail((m) => isTo(CARRIER, m) && /received/i.test(m.subject ?? ''));
    const verification = await h.waitForMail((m) => isTo('customer31@example.test', m));
    expect(orderIdOf(ack)).toBe(orderIdOf(verification));
    await expect.poll(() => h.daemon.store.listQueuedOutbox().length, { timeout: 10_000 }).toBe(0);
    // More job runs change nothing: each went out once.
    await h.daemon.runJobs();
    await h.daemon.runJobs();
    expect(h.sink.count(ack.messageId!)).toBe(1);
    expect(h.sink.count(verification.messageId!)).toBe(1);
    expect(h.mailsTo('customer31@example.test')).toHaveLength(1);
  });

  it('the daemon killed (SIGKILL) between saving and sending: after a restart every e-mail goes out, none twice', async () => {
    const dovecot = await startDovecot({ users: [DESK_USER] });
    cleanups.push(() => dovecot.stop());
    const sink = await startSmtpSink();
    cleanups.push(() => sink.stop());
    // An SMTP server that takes the message and never answers: the desk is mid-send when killed.
    const seenBeforeKill: string[] = [];
    const hanging = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, _callback) {
        let raw = '';
        stream.on('data', (c: Buffer) => (raw += c.toString('utf8')));
        stream.on('end', () => seenBeforeKill.push(/^message-id:\s*<([^>]+)>/im.exec(raw)?.[1] ?? '?'));
        // The callback is never called: no 250, so the desk cannot count it as sent.
      },
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => hanging.close(() => resolve())));
    const hangingPort = (hanging.server.address() as { port: number }).port;

    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-kill-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    // FAILOVER_AFTER (PostgreSQL): short, so the restart does not stand by for the default 15 s.
    const store = await prepareChildStore(dataDir, { failoverAfter: '3s' });
    cleanups.push(() => store.close());
    await store.seed({ accounts: [account(41)] });

    const imap = dovecot.imapConfig(DESK_USER);
    const env = (smtpPort: number): Record<string, string> => ({
      IMAP_HOST: imap.host,
      IMAP_PORT: String(imap.port),
      IMAP_SECURE: 'false',
      IMAP_USER: imap.user,
      IMAP_PASSWORD: imap.password,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtpPort),
      MAIL_FROM: DESK_FROM,
      SUPPORT_EMAIL: SUPPORT,
      ...store.env,
      VERIFICATION_WINDOW: '1h',
      JOBS_SCHEDULE: '* * * * * *',
      LOG_LEVEL: 'warn',
    });
    const startChild = async (smtpPort: number): Promise<RunningCli> => {
      const daemon = startProcess(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/cli.ts'), 'start'], { cwd: REPO_ROOT, env: env(smtpPort) });
      cleanups.push(async () => daemon.kill());
      await daemon.waitForOutput(/portdesk is running/);
      return daemon;
    };

    const first = await startChild(hangingPort);
    await dovecot.append(DESK_USER, 'INBOX', matchingRequest(41, 'PON-KILL-41'));
    // The desk saved its e-mails and started sending the first one: kill it there.
    await expect.poll(() => seenBeforeKill.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    await first.stop('SIGKILL');

    const second = await startChild(sink.port);
    const ack = await sink.waitFor((m) => isTo(CARRIER, m.parsed) && /received/i.test(m.parsed.subject ?? ''), 20_000);
    const verification = await sink.waitFor((m) => isTo('customer41@example.test', m.parsed), 20_000);
    // The entry that was in flight when the desk died went out with the Message-ID it was saved with.
    expect([ack.parsed.messageId, verification.parsed.messageId].map((id) => id!.replace(/^<|>$/g, ''))).toContain(seenBeforeKill[0]);
    await expect.poll(async () => (await dovecot.list(DESK_USER, 'INBOX')).length, { timeout: 15_000 }).toBe(0);
    // SIGTERM stops it cleanly, after the message in hand and the outbox pass in flight.
    expect((await second.stop('SIGTERM')).code).toBe(0);
    // The message was handled once: one order, and no e-mail twice.
    expect(sink.count(ack.parsed.messageId!)).toBe(1);
    expect(sink.count(verification.parsed.messageId!)).toBe(1);
    expect(sink.messages.filter((m) => isTo(CARRIER, m.parsed))).toHaveLength(1);
    const after = await store.read();
    cleanups.push(() => after.close());
    expect(after.listOrders()).toHaveLength(1);
    expect(after.listQueuedOutbox()).toHaveLength(0);
  });
});
