/**
 * The reader threads: a message read on a thread is the message parseMessage gives on this one;
 * one that passes the time or heap limit comes back unread with the reason, the thread is
 * replaced and the next message is read; close() refuses what is left as transient, so the
 * message stays where it is to be read after the restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createParsePool, type ParsePool } from '../../src/adapters/parse-pool.js';
import { isDeskError, isTransient } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { parseMessage } from '../../src/mail/parse-message.js';
import { buildMail } from '../support/mail-builder.js';

const pools: ParsePool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

function pool(options: { size?: number; timeLimitMs?: number; heapLimitMb?: number } = {}): ParsePool {
  const p = createParsePool({ log: silentLogger(), ...options });
  pools.push(p);
  return p;
}

function withAttachment(id: string): Buffer {
  return Buffer.from(
    [
      'From: lnp@carrier.example.test',
      'To: porting@example.test',
      'Subject: Port request with LOA',
      `Message-ID: <${id}>`,
      'Date: Mon, 02 Mar 2026 15:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'Please port 206-555-0100. PON: X-1',
      '--b',
      'Content-Type: application/pdf; name="loa.pdf"',
      'Content-Disposition: attachment; filename="loa.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF-1.4 a letter of authorization').toString('base64'),
      '--b--',
      '',
    ].join('\r\n'),
  );
}

/** A message mailparser needs a while to read: 20 MB of base64 in many parts. */
function slowMessage(id: string): Buffer {
  const chunk = Buffer.alloc(256 * 1024, 'a').toString('base64').replace(/(.{76})/g, '$1\r\n');
  const parts: string[] = [];
  for (let i = 0; i < 80; i += 1) parts.push('--s', 'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', chunk);
  return Buffer.from(
    ['From: big@example.test', 'To: porting@example.test', 'Subject: slow', `Message-ID: <${id}>`, 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="s"', '', ...parts, '--s--', ''].join('\r\n'),
  );
}

describe('the reader threads', () => {
  it('give the message parseMessage gives, attachments as Buffers', async () => {
    const raw = withAttachment('pool-1@carrier.example.test');
    const [onThread, here] = await Promise.all([pool().parse(raw), parseMessage(raw)]);
    expect(onThread).toEqual(here);
    expect(Buffer.isBuffer(onThread.attachments[0]!.content)).toBe(true);
    expect(onThread.attachments[0]!.content.toString()).toBe('%PDF-1.4 a letter of authorization');
    expect(onThread.date).toBeInstanceOf(Date);
  });

  it('warm() starts the threads before the first message; that message is read by them', async () => {
    const p = pool({ size: 2 });
    p.warm();
    p.warm();
    const msg = await p.parse(buildMail({ from: 'c@example.test', to: 'porting@example.test', subject: 'first', text: 'Port 206-555-0100' }));
    expect(msg.subject).toBe('first');
  });

  it('read many messages at once, each answered with its own', async () => {
    const p = pool({ size: 2 });
    const raws = Array.from({ length: 30 }, (_, i) => buildMail({ from: `c${i}@example.test`, to: 'porting@example.test', subject: `request ${i}`, text: `Port 206-555-01${String(i).padStart(2, '0')}` }));
    const read = await Promise.all(raws.map((raw) => p.parse(raw)));
    expect(read.map((m) => m.subject)).toEqual(raws.map((_, i) => `request ${i}`));
  });

  it('a message past the time limit comes back unread with the reason, and the next one is read', async () => {
    const p = pool({ size: 1, timeLimitMs: 50 });
    const slow = p.parse(slowMessage('slow-1@example.test'));
    const next = p.parse(buildMail({ from: 'c@example.test', to: 'porting@example.test', subject: 'after', text: 'Port 206-555-0100' }));
    const unread = await slow;
    expect(unread).toMatchObject({ key: 'slow-1@example.test', subject: 'slow', text: '', limits: ['reading it took longer than 0.05 s'] });
    expect((await next).subject).toBe('after');
  });

  it('a message that needs more heap than the thread has comes back unread with the reason', async () => {
    // About 75 MB of heap to turn into text; the thread starts in less than 32.
    const p = pool({ size: 1, heapLimitMb: 32, timeLimitMs: 60_000 });
    const html = `<html><body><table>${'<tr><td>label</td><td>value</td></tr>'.repeat(25_000)}</table></body></html>`;
    const raw = Buffer.from(['From: big@example.test', 'To: porting@example.test', 'Subject: heavy', 'Message-ID: <heavy-1@example.test>', 'MIME-Version: 1.0', 'Content-Type: text/html', '', html, ''].join('\r\n'));
    const unread = await p.parse(raw);
    expect(unread.limits).toEqual(['reading it needed more than 32 MB']);
    expect(unread.key).toBe('heavy-1@example.test');
  });

  it('close() refuses what is being read and what waits, as transient; nothing more is taken', async () => {
    const p = pool({ size: 1 });
    const reading = p.parse(slowMessage('slow-2@example.test'));
    const waiting = p.parse(buildMail({ from: 'c@example.test', to: 'porting@example.test', subject: 'w', text: 't' }));
    const settled = Promise.allSettled([reading, waiting]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await p.close();
    for (const outcome of await settled) {
      expect(outcome.status).toBe('rejected');
      const err = (outcome as PromiseRejectedResult).reason as Error;
      expect(isDeskError(err, 'PARSER_STOPPED')).toBe(true);
      expect(isTransient(err)).toBe(true);
    }
    await expect(p.parse(Buffer.from('x'))).rejects.toMatchObject({ code: 'PARSER_STOPPED' });
  });
});
