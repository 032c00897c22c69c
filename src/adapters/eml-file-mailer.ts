/**
 * Delivers outbox entries as `.eml` files when no SMTP server is configured (SPEC §7): nothing is
 * lost and nothing leaves the machine. The file is written under a temporary name and renamed,
 * so a reader never sees half a message; an existing file means the entry was already delivered.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { OutboxEntry } from '../domain/records.js';
import type { Mailer, SendResult } from '../ports/mailer.js';
import { buildMailOptions } from './smtp-mailer.js';

/** The bytes of the message an outbox entry becomes, exactly as the SMTP mailer would send it. */
export async function composeMessage(entry: OutboxEntry): Promise<Buffer> {
  return new MailComposer(buildMailOptions(entry)).compile().build();
}

/** `<dir>/<outbox id>.eml`; ids are made by the desk, but a path separator must never escape dir. */
export function emlPathFor(dir: string, entry: Pick<OutboxEntry, 'id'>): string {
  return path.join(dir, `${entry.id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_')}.eml`);
}

export function createEmlFileMailer(dir: string): Mailer {
  let ready: Promise<unknown> | undefined;

  async function send(entry: OutboxEntry): Promise<SendResult> {
    const file = emlPathFor(dir, entry);
    try {
      ready ??= mkdir(dir, { recursive: true, mode: 0o700 });
      await ready;
      if (await exists(file)) return { ok: true, response: `already written: ${file}` };
      const raw = await composeMessage(entry);
      const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await writeFile(temp, raw, { flag: 'wx', mode: 0o600 });
        await rename(temp, file);
      } catch (err) {
        await unlink(temp).catch(() => undefined);
        throw err;
      }
      return { ok: true, response: `written: ${file}` };
    } catch (err) {
      ready = undefined;
      // A full disk or a permission problem can be fixed by the operator: retry later.
      return { ok: false, permanent: false, error: `cannot write ${file}: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  return { send, close: async () => undefined };
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
