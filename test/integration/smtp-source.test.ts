/**
 * The embedded SMTP listener, driven by nodemailer (what a relaying MTA or a test sender does) and
 * by a raw socket where the exact SMTP dialogue matters.
 */
import net from 'node:net';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpSource } from '../../src/adapters/smtp-source.js';
import { silentLogger } from '../../src/logger.js';
import type { Disposition, MessageHandler, SourceMeta } from '../../src/ports/mail-source.js';
import { startSmtpSink } from '../support/smtp-sink.js';

const MAX_BYTES = 64 * 1024;

/** The test's handler: its behaviour is swapped per test; every call is recorded in order. */
let behave: (raw: Buffer, meta: SourceMeta) => Promise<Disposition>;
const events: string[] = [];
const received: Buffer[] = [];
const handler: MessageHandler = async (raw, meta) => {
  received.push(raw);
  return behave(raw, meta);
};

let source: SmtpSource;
let port: number;

function transport() {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, tls: { rejectUnauthorized: false } });
}

function mail(id: string, text = 'Please port 206-555-0142.') {
  return {
    from: 'ports@carrier.example.test',
    to: 'porting@example.test',
    subject: `Port request ${id}`,
    messageId: `<${id}@carrier.example.test>`,
    text,
  };
}

/** Runs an SMTP dialogue line by line and returns every reply code, for replies nodemailer hides. */
async function converse(lines: string[]): Promise<number[]> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const replies: number[] = [];
  let buffer = '';
  let wake: (() => void) | undefined;
  socket.on('data', (d: Buffer) => {
    buffer += d.toString('latin1');
    wake?.();
  });
  const nextReply = async (): Promise<number> => {
    for (;;) {
      // A reply is complete at a line "NNN text" (a hyphen after the code means more lines follow).
      const m = /^(\d{3}) .*\r\n/m.exec(buffer);
      if (m) {
        buffer = buffer.slice((m.index ?? 0) + m[0].length);
        return Number(m[1]);
      }
      await new Promise<void>((resolve, reject) => {
        wake = resolve;
        socket.once('error', reject);
        socket.once('close', () => reject(new Error(`connection closed; got ${replies.join(',')}`)));
      });
    }
  };
  try {
    replies.push(await nextReply()); // greeting
    for (const line of lines) {
      socket.write(`${line}\r\n`);
      // The message body is sent as one chunk ending in "\r\n.", answered once.
      replies.push(await nextReply());
      if (replies.at(-1)! >= 500 && !line.startsWith('QUIT')) break;
    }
  } finally {
    socket.destroy();
  }
  return replies;
}

beforeAll(async () => {
  source = new SmtpSource({ port: 0, maxBytes: MAX_BYTES, log: silentLogger() });
  await source.start(handler);
  port = source.port!;
});

afterAll(async () => {
  await source.stop();
});

describe('SmtpSource', () => {
  it('binds a free loopback port when asked for port 0', () => {
    expect(port).toBeGreaterThan(0);
  });

  it('hands the whole message to the handler and answers 250 only after the handler resolved', async () => {
    events.length = 0;
    behave = async () => {
      events.push('handler started');
      // A slow durable write: an early 250 would overtake it.
      await new Promise((r) => setTimeout(r, 150));
      events.push('handler resolved');
      return 'processed';
    };
    const before = received.length;
    const info = await transport().sendMail(mail('sm01'));
    events.push('client got 250');

    expect(info.response).toMatch(/^250 /);
    expect(events).toEqual(['handler started', 'handler resolved', 'client got 250']);
    const raw = received[before]!.toString();
    expect(raw).toContain('Message-ID: <sm01@carrier.example.test>');
    expect(raw).toContain('Please port 206-555-0142.');
  });

  it('answers 451 when the handler fails, and keeps serving', async () => {
    behave = async () => {
      throw Object.assign(new Error('store is read-only'), { code: 'STORE_WRITE_FAILED' });
    };
    const err = await transport()
      .sendMail(mail('sm02'))
      .then(
        () => undefined,
        (e: { responseCode?: number; response?: string }) => e,
      );
    expect(err?.responseCode).toBe(451);
    expect(err?.response).toMatch(/try again later/);
    // The internal error text is not sent to the client.
    expect(err?.response).not.toMatch(/read-only/);

    behave = async () => 'processed';
    const info = await transport().sendMail(mail('sm03'));
    expect(info.response).toMatch(/^250 /);
  });

  it('refuses a message over the size limit with 552 without calling the handler, and keeps serving', async () => {
    behave = async () => 'processed';
    const before = received.length;
    const big = 'x'.repeat(100) + '\r\n';
    const err = await transport()
      .sendMail(mail('sm04', big.repeat(Math.ceil((MAX_BYTES * 2) / big.length))))
      .then(
        () => undefined,
        (e: { responseCode?: number; response?: string }) => e,
      );
    expect(err?.responseCode).toBe(552);
    expect(err?.response).toMatch(/maximum size/);
    expect(received.length).toBe(before);

    // A client that declares the size up front is stopped at MAIL FROM.
    const replies = await converse(['EHLO carrier.example.test', `MAIL FROM:<ports@carrier.example.test> SIZE=${MAX_BYTES * 2}`]);
    expect(replies.at(-1)).toBe(552);

    const info = await transport().sendMail(mail('sm05'));
    expect(info.response).toMatch(/^250 /);
    expect(received.length).toBe(before + 1);
  });

  it('offers neither AUTH nor STARTTLS', async () => {
    const replies = await converse(['EHLO carrier.example.test', 'STARTTLS', 'QUIT']);
    expect(replies[1]).toBe(250);
    expect(replies[2]).toBeGreaterThanOrEqual(500);
  });

  it('lets a message being handled finish and be answered when stopped', async () => {
    const own = new SmtpSource({ port: 0, log: silentLogger() });
    let entered!: () => void;
    const handlerEntered = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await own.start(async () => {
      entered();
      await gate;
      return 'processed';
    });
    const sending = nodemailer
      .createTransport({ host: '127.0.0.1', port: own.port!, secure: false, ignoreTLS: true })
      .sendMail(mail('sm06'));
    await handlerEntered;
    const stopping = own.stop();
    release();
    const info = await sending;
    expect(info.response).toMatch(/^250 /);
    await stopping;
    // Closed: a new connection is refused.
    await expect(
      new Promise((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port: own.port! });
        s.once('connect', () => {
          s.destroy();
          resolve('connected');
        });
        s.once('error', reject);
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('SmtpSource limits on what it holds at once', () => {
  it('answers 451 to a message that would pass the bytes held across sessions, and takes it once the others are answered', async () => {
    const own = new SmtpSource({ port: 0, maxHeldBytes: 48 * 1024, log: silentLogger() });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const firstEntered = new Promise<void>((r) => (entered = r));
    const sizes: number[] = [];
    await own.start(async (raw) => {
      sizes.push(raw.length);
      entered();
      await gate;
      return 'processed';
    });
    const send = (id: string) =>
      nodemailer.createTransport({ host: '127.0.0.1', port: own.port!, secure: false, ignoreTLS: true }).sendMail(mail(id, 'y'.repeat(30 * 1024)));
    try {
      // The first (30 KB) is held while the desk handles it; a second would make 60 KB.
      const first = send('held-1');
      await firstEntered;
      const refused = await send('held-2').then(
        () => undefined,
        (e: { responseCode?: number; response?: string }) => e,
      );
      expect(refused?.responseCode).toBe(451);
      expect(refused?.response).toMatch(/too much mail at once, try again later/);
      release();
      expect((await first).response).toMatch(/^250 /);
      // Its bytes are let go once it is answered: the retry is taken.
      expect((await send('held-2')).response).toMatch(/^250 /);
      expect(sizes).toHaveLength(2);
    } finally {
      release();
      await own.stop();
    }
  });

  it('answers 421 to a session past maxClients; the sessions in hand are served', async () => {
    const own = new SmtpSource({ port: 0, maxClients: 2, log: silentLogger() });
    await own.start(async () => 'processed');
    const sockets: net.Socket[] = [];
    const greeting = (socket: net.Socket) =>
      new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (d: Buffer) => {
          text += d.toString('latin1');
          if (text.includes('\r\n')) resolve(text);
        });
        socket.on('close', () => resolve(text));
      });
    try {
      const greetings: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const socket = net.connect({ host: '127.0.0.1', port: own.port! });
        sockets.push(socket);
        greetings.push(await greeting(socket));
      }
      expect(greetings.slice(0, 2).every((g) => g.startsWith('220 '))).toBe(true);
      expect(greetings[2]).toMatch(/^421 /);
    } finally {
      for (const s of sockets) s.destroy();
      await own.stop();
    }
  });
});

// The sink the mail tests send to: checked here so a broken sink cannot make those tests lie.
describe('SMTP sink (test support)', () => {
  it('collects parsed messages, wakes waiters, counts by Message-ID, refuses and drops on demand', async () => {
    const sink = await startSmtpSink();
    try {
      const send = (id: string) =>
        nodemailer
          .createTransport({ host: sink.host, port: sink.port, secure: false, ignoreTLS: true })
          .sendMail(mail(id))
          .then(
            (info) => ({ ok: true as const, response: info.response }),
            (e: { responseCode?: number; code?: string }) => ({ ok: false as const, responseCode: e.responseCode, code: e.code }),
          );

      const waiting = sink.waitFor((m) => m.parsed.subject === 'Port request sk01', 5_000);
      expect(await send('sk01')).toMatchObject({ ok: true });
      const got = await waiting;
      expect(got.envelope).toEqual({ mailFrom: 'ports@carrier.example.test', rcptTo: ['porting@example.test'] });
      expect(got.parsed.text).toContain('206-555-0142');
      expect(got.raw.toString()).toContain('Subject: Port request sk01');

      expect(await send('sk01')).toMatchObject({ ok: true });
      expect(sink.count('<sk01@carrier.example.test>')).toBe(2);
      expect(sink.count('sk01@carrier.example.test')).toBe(2);

      sink.refuse();
      expect(await send('sk02')).toMatchObject({ ok: false, responseCode: 451 });
      sink.refuse(550, 'no such user');
      expect(await send('sk03')).toMatchObject({ ok: false, responseCode: 550 });
      sink.drop('connect');
      expect(await send('sk04')).toMatchObject({ ok: false });
      sink.drop('data');
      expect(await send('sk05')).toMatchObject({ ok: false });
      sink.accept();
      expect(await send('sk06')).toMatchObject({ ok: true });

      expect(sink.refused).toBe(4);
      expect(sink.messages.map((m) => m.parsed.subject)).toEqual(['Port request sk01', 'Port request sk01', 'Port request sk06']);
      await expect(sink.waitFor((m) => m.parsed.subject === 'never sent', 50)).rejects.toThrow(/within 50 ms/);
    } finally {
      await sink.stop();
    }
  });
});
