import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmlFileMailer, emlPathFor } from '../../src/adapters/eml-file-mailer.js';
import { classifySmtpError, createSmtpMailer } from '../../src/adapters/smtp-mailer.js';
import type { OutboxEntry } from '../../src/domain/records.js';
import type { Mailer } from '../../src/ports/mailer.js';

interface Received {
  from: string;
  to: string[];
  raw: Buffer;
}

/** An SMTP sink on a free loopback port; recipients named reject550@ / defer451@ are refused. */
async function startSink(extra: Partial<SMTPServerOptions> = {}) {
  const received: Received[] = [];
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onRcptTo(address, _session, callback) {
      const local = address.address.split('@')[0];
      if (local === 'reject550') return callback(Object.assign(new Error('5.1.1 mailbox unavailable'), { responseCode: 550 }));
      if (local === 'defer451') return callback(Object.assign(new Error('4.3.0 try again later'), { responseCode: 451 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        });
        callback();
      });
    },
    ...extra,
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function entry(overrides: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    id: 'mail-0001',
    messageId: 'pd.0a1b2c3d@voip.example.test',
    template: 'customer-verification',
    from: 'Port-out desk <porting@voip.example.test>',
    to: ['dana@bakery.example.test'],
    cc: ['support@voip.example.test'],
    replyTo: 'porting+k7wq2mxp9rtd4hza@voip.example.test',
    subject: '[PO-7K3F9Q] Please confirm: request from Rainier & Sons',
    text: 'Hello Dana,\n\nReply APPROVE or REJECT. Tom & Jerry <ok> "quoted"\n',
    html: '<p>Hello Dana,</p><p>Reply <b>APPROVE</b> or <b>REJECT</b>.</p>\n',
    inReplyTo: 'carrier-req-77@cascade.example.test',
    references: ['thread-1@cascade.example.test', 'carrier-req-77@cascade.example.test'],
    autoSubmitted: 'auto-replied',
    orderId: 'PO-7K3F9Q',
    status: 'queued',
    attempts: 0,
    nextAttemptAt: '2026-12-01T15:00:00.000Z',
    createdAt: '2026-12-01T15:00:00.000Z',
    ...overrides,
  };
}

function expectHeaders(parsed: ParsedMail, e: OutboxEntry): void {
  expect(parsed.messageId).toBe(`<${e.messageId}>`);
  expect(parsed.inReplyTo).toBe(`<${e.inReplyTo}>`);
  expect([parsed.references].flat()).toEqual(e.references.map((r) => `<${r}>`));
  expect(parsed.headers.get('auto-submitted')).toBe(e.autoSubmitted);
  expect(parsed.replyTo?.value[0]?.address).toBe(e.replyTo);
  expect(parsed.from?.value[0]).toMatchObject({ name: 'Port-out desk', address: 'porting@voip.example.test' });
  expect([parsed.to].flat().flatMap((a) => a!.value.map((v) => v.address))).toEqual(e.to);
  expect([parsed.cc].flat().flatMap((a) => a!.value.map((v) => v.address))).toEqual(e.cc);
  expect(parsed.subject).toBe(e.subject);
  expect(parsed.text).toBe(e.text);
  expect(parsed.html).toBe(e.html);
  expect(parsed.date?.toISOString()).toBe(e.createdAt);
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function smtpMailer(port: number, extra: Parameters<typeof createSmtpMailer>[1] = {}): Mailer {
  const m = createSmtpMailer({ host: '127.0.0.1', port, secure: false }, extra);
  cleanups.push(() => m.close());
  return m;
}

describe('SMTP mailer', () => {
  it('sends an outbox entry with its Message-ID, threading headers, Reply-To and Auto-Submitted', async () => {
    const sink = await startSink();
    cleanups.push(sink.close);
    const e = entry();
    const result = await smtpMailer(sink.port).send(e);
    expect(result).toMatchObject({ ok: true });
    expect(sink.received).toHaveLength(1);
    expect(sink.received[0]!.from).toBe('porting@voip.example.test');
    expect(sink.received[0]!.to).toEqual(['dana@bakery.example.test', 'support@voip.example.test']);
    expectHeaders(await simpleParser(sink.received[0]!.raw), e);
  });

  it('sends a message without threading headers when it answers nothing', async () => {
    const sink = await startSink();
    cleanups.push(sink.close);
    const e = entry({ inReplyTo: undefined, references: [], replyTo: undefined, cc: [], autoSubmitted: 'auto-generated' });
    expect(await smtpMailer(sink.port).send(e)).toMatchObject({ ok: true });
    const parsed = await simpleParser(sink.received[0]!.raw);
    expect(parsed.inReplyTo).toBeUndefined();
    expect(parsed.references).toBeUndefined();
    expect(parsed.replyTo).toBeUndefined();
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
  });

  it('classes a 550 as permanent', async () => {
    const sink = await startSink();
    cleanups.push(sink.close);
    const result = await smtpMailer(sink.port).send(entry({ to: ['reject550@bakery.example.test'], cc: [] }));
    expect(result).toMatchObject({ ok: false, permanent: true });
    expect(result.ok === false && result.error).toContain('550');
    expect(sink.received).toHaveLength(0);
  });

  it('classes a 451 as transient', async () => {
    const sink = await startSink();
    cleanups.push(sink.close);
    const result = await smtpMailer(sink.port).send(entry({ to: ['defer451@bakery.example.test'], cc: [] }));
    expect(result).toMatchObject({ ok: false, permanent: false });
    expect(result.ok === false && result.error).toContain('451');
  });

  it('classes a refused connection as transient', async () => {
    const sink = await startSink();
    const port = sink.port;
    await sink.close();
    const result = await smtpMailer(port).send(entry());
    expect(result).toMatchObject({ ok: false, permanent: false });
  });

  it('classes a server that never greets as transient (timeout)', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => silent.close(() => r()));
    });
    const port = (silent.address() as AddressInfo).port;
    const result = await smtpMailer(port, { timeouts: { connection: 2_000, greeting: 200, socket: 2_000 } }).send(entry());
    expect(result).toMatchObject({ ok: false, permanent: false });
    expect(result.ok === false && result.error).toMatch(/ETIMEDOUT|timeout/i);
  });

  it('reuses pooled connections across messages', async () => {
    const sink = await startSink();
    cleanups.push(sink.close);
    const mailer = smtpMailer(sink.port, { maxConnections: 1 });
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => mailer.send(entry({ id: `mail-000${n}`, messageId: `pd.${n}@voip.example.test` }))),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(sink.received).toHaveLength(5);
    expect(sink.connections()).toBe(1);
    const ids = await Promise.all(sink.received.map(async (r) => (await simpleParser(r.raw)).messageId));
    expect(ids.sort()).toEqual([1, 2, 3, 4, 5].map((n) => `<pd.${n}@voip.example.test>`));
  });

  it('sends from its own thread: several in flight at once, each delivered once, and again after close()', async () => {
    const sink = await startSink();
    cleanups.push(sink.close);
    const m = createSmtpMailer({ host: '127.0.0.1', port: sink.port, secure: false });
    const entries = Array.from({ length: 12 }, (_, i) => entry({ id: `OUT-T${i}`, messageId: `t${i}@voip.example.test` }));
    const results = await Promise.all(entries.map((e) => m.send(e)));
    expect(results.every((r) => r.ok)).toBe(true);
    await m.close();
    // A closed mailer starts a new thread for the next e-mail (the daemon never does this, but a
    // command-line run that sends after a check may).
    expect(await m.send(entry({ id: 'OUT-AFTER', messageId: 'after@voip.example.test' }))).toMatchObject({ ok: true });
    await m.close();
    const ids = await Promise.all(sink.received.map(async (r) => (await simpleParser(r.raw)).messageId));
    expect(ids.sort()).toEqual([...entries.map((e) => `<${e.messageId}>`), '<after@voip.example.test>'].sort());
  });

  it('verify() passes against a working server and fails with the reason against a dead one', async () => {
    const sink = await startSink();
    cleanups.push(sink.close);
    const ok = createSmtpMailer({ host: '127.0.0.1', port: sink.port, secure: false });
    cleanups.push(() => ok.close());
    await expect(ok.verify()).resolves.toBeUndefined();
    const gone = await startSink();
    const port = gone.port;
    await gone.close();
    const dead = createSmtpMailer({ host: '127.0.0.1', port, secure: false });
    cleanups.push(() => dead.close());
    await expect(dead.verify()).rejects.toMatchObject({ code: 'SMTP_CHECK_FAILED', transient: true, cause: { code: 'ESOCKET' } });
  });

  it('treats an authentication failure as transient: the message is not at fault', () => {
    expect(classifySmtpError(Object.assign(new Error('Invalid login'), { code: 'EAUTH', responseCode: 535 }))).toMatchObject({
      permanent: false,
    });
    expect(classifySmtpError(Object.assign(new Error('no such user'), { code: 'EENVELOPE', responseCode: 550 }))).toMatchObject({
      permanent: true,
      error: 'EENVELOPE 550 no such user',
    });
    expect(classifySmtpError(Object.assign(new Error('Connection closed'), { code: 'ECONNECTION' }))).toMatchObject({ permanent: false });
  });
});

describe('.eml file mailer', () => {
  function tempDir(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'portdesk-eml-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  it('writes <dir>/<outbox id>.eml with the same headers the SMTP mailer sends', async () => {
    const dir = path.join(tempDir(), 'outbox-files');
    const e = entry();
    const result = await createEmlFileMailer(dir).send(e);
    expect(result).toMatchObject({ ok: true });
    const file = path.join(dir, 'mail-0001.eml');
    expect(readdirSync(dir)).toEqual(['mail-0001.eml']);
    expectHeaders(await simpleParser(readFileSync(file)), e);
  });

  it('counts an existing file as delivered and leaves it alone', async () => {
    const dir = tempDir();
    const mailer = createEmlFileMailer(dir);
    const e = entry();
    await mailer.send(e);
    const file = emlPathFor(dir, e);
    const before = readFileSync(file);
    const mtime = statSync(file).mtimeMs;
    const again = await mailer.send({ ...e, subject: 'changed' });
    expect(again).toMatchObject({ ok: true });
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(statSync(file).mtimeMs).toBe(mtime);
    expect(readdirSync(dir)).toEqual(['mail-0001.eml']);
  });

  it('keeps the file name inside the directory whatever the id', () => {
    const file = emlPathFor('/data/outbox-files', { id: '../../etc/passwd' });
    expect(path.dirname(file)).toBe('/data/outbox-files');
    expect(path.basename(file)).toBe('__.._etc_passwd.eml');
  });

  it('reports a directory it cannot write as transient', async () => {
    const plainFile = path.join(tempDir(), 'plain-file');
    writeFileSync(plainFile, 'not a directory');
    const result = await createEmlFileMailer(path.join(plainFile, 'outbox-files')).send(entry());
    expect(result).toMatchObject({ ok: false, permanent: false });
    expect(result.ok === false && result.error).toContain('cannot write');
  });
});
