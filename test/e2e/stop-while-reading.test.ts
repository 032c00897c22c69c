/**
 * End to end, SPEC §10: SIGTERM always stops the daemon within its stop timeout, even with a
 * large message being read. The message being read is not lost: the sender is told to try again
 * (451), and after the restart the same message is taken and recorded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openFileStore } from '../../src/adapters/file-store.js';
import { findFreePort } from '../support/free-port.js';
import { REPO_ROOT, startProcess, type RunningCli } from '../support/run-cli.js';

const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** 20 MB in 56 base64 parts: a second or so of work for the reader. */
function largeMessage(id: string): string {
  const chunk = Buffer.alloc(256 * 1024, 'a').toString('base64').replace(/(.{76})/g, '$1\r\n');
  const parts: string[] = [];
  for (let i = 0; i < 56; i += 1) parts.push('--s', 'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', chunk);
  return ['From: big@bulk.example.test', 'To: porting@example.test', 'Subject: many files', `Message-ID: <${id}>`, 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="s"', '', ...parts, '--s--', ''].join('\r\n');
}

/**
 * Sends `message` in one SMTP session and resolves with the code of the reply to its DATA.
 * `afterData` runs once the whole message has been written to the socket.
 */
function deliver(port: number, message: string, afterData?: () => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const steps = ['EHLO bulk.example.test', 'MAIL FROM:<big@bulk.example.test>', 'RCPT TO:<porting@example.test>', 'DATA'];
    let buffer = '';
    let step = -1;
    socket.on('data', (d: Buffer) => {
      buffer += d.toString('latin1');
      for (let m = /^(\d{3}) .*\r\n/m.exec(buffer); m; m = /^(\d{3}) .*\r\n/m.exec(buffer)) {
        buffer = buffer.slice(m.index + m[0].length);
        const code = Number(m[1]);
        step += 1;
        if (step < steps.length) {
          socket.write(`${steps[step]}\r\n`);
        } else if (step === steps.length) {
          if (code !== 354) return reject(new Error(`DATA answered ${code}`));
          const body = message.replace(/^\./gm, '..');
          socket.write(`${body}\r\n.\r\n`, () => afterData?.());
        } else {
          socket.end('QUIT\r\n');
          return resolve(code);
        }
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('connection closed before the message was answered')));
  });
}

describe('stopping while a message is read', () => {
  it('SIGTERM with a 20 MB message being read: exit 0 within STOP_TIMEOUT, the sender told 451, the message taken after the restart', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-stop-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const port = await findFreePort();
    const env = { DATA_DIR: dataDir, INBOUND_SMTP_PORT: String(port), MAIL_AUTH: 'off', STOP_TIMEOUT: '10s', LOG_LEVEL: 'debug' };
    const start = async (): Promise<RunningCli> => {
      const daemon = startProcess(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/cli.ts'), 'start'], { cwd: REPO_ROOT, env });
      cleanups.push(async () => daemon.kill());
      await daemon.waitForOutput(/portdesk is running/);
      return daemon;
    };

    const message = largeMessage('large-1@bulk.example.test');
    const first = await start();
    const delivering = deliver(port, message);
    // The reader thread has the large message: the moment to stop the daemon.
    await first.waitForOutput(/"bytes":\d{8,}[^\n]*message handed to a reader thread/);
    const signalledAt = Date.now();
    const firstExit = first.stop('SIGTERM');
    expect(await delivering).toBe(451);
    expect((await firstExit).code).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);

    const second = await start();
    expect(await deliver(port, message)).toBe(250);
    expect((await second.stop('SIGTERM')).code).toBe(0);
    const store = await openFileStore(dataDir, { readOnly: true });
    expect(store.getInbound('large-1@bulk.example.test')).toMatchObject({ kind: 'other' });
    await store.close();
  });
});
