/**
 * Reads the .eml files the desk writes during the demo, as the customers' and the carrier's mail
 * clients would receive them, and waits for the one a step expects.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';

const WAIT_MS = 10_000;

/** A step did not behave as the SPEC says; its message is what was expected and not seen. */
export class StepFailure extends Error {}

export function addressesOf(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return list.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase())).filter(Boolean);
}

export function isTo(address: string, m: ParsedMail): boolean {
  return addressesOf(m.to).includes(address.toLowerCase());
}

export function orderIdIn(subject: string | undefined): string | undefined {
  return /PO-[0-9A-Z]{6}/.exec(subject ?? '')?.[0];
}

/**
 * Reads the .eml files the desk writes, as a customer's or carrier's mail client would receive
 * them. fs.watch says when something changed; a slow rescan covers platforms where it misses.
 */
export class OutboxReader {
  readonly mails: Array<{ atMs: number; file: string; parsed: ParsedMail }> = [];
  private readonly seen = new Set<string>();
  private readonly consumed = new Set<ParsedMail>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly dir: string,
    private readonly elapsed: () => number,
    private readonly onMail: (atMs: number, m: ParsedMail) => void,
  ) {}

  start(): void {
    this.watchDir();
    this.timer = setInterval(() => {
      if (!this.watcher) this.watchDir();
      void this.scan();
    }, 250);
  }

  private watchDir(): void {
    try {
      this.watcher = watch(this.dir, () => void this.scan());
      this.watcher.on('error', () => undefined);
    } catch {
      // The directory appears with the first e-mail; the periodic rescan retries.
    }
  }

  stop(): void {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }

  private scan(): Promise<void> {
    if (this.scanning) {
      this.rescan = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.rescan = false;
        const names = await readdir(this.dir).catch(() => [] as string[]);
        // Dot files are the mailer's temporary files, renamed into place when complete.
        for (const name of names.filter((n) => n.endsWith('.eml') && !n.startsWith('.')).sort()) {
          if (this.seen.has(name)) continue;
          this.seen.add(name);
          const parsed = await simpleParser(await readFile(path.join(this.dir, name)));
          const atMs = this.elapsed();
          this.mails.push({ atMs, file: name, parsed });
          this.onMail(atMs, parsed);
        }
      } while (this.rescan);
    })().finally(() => {
      this.scanning = undefined;
      for (const wake of [...this.waiters]) wake();
    });
    return this.scanning;
  }

  /** The first e-mail not yet taken that matches, waiting for it to be written. */
  async take(what: string, predicate: (m: ParsedMail) => boolean, timeoutMs = WAIT_MS): Promise<ParsedMail> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.mails.find((x) => !this.consumed.has(x.parsed) && predicate(x.parsed));
      if (found) {
        this.consumed.add(found.parsed);
        return found.parsed;
      }
      const left = until - Date.now();
      if (left <= 0) throw new StepFailure(`expected ${what}; it was not written within ${timeoutMs / 1000}s`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 1_000));
        this.waiters.add(wake);
      });
    }
  }

  count(predicate: (m: ParsedMail) => boolean): number {
    return this.mails.filter((x) => predicate(x.parsed)).length;
  }
}
