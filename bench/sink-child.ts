/**
 * The benchmarks' SMTP sink, in its own process so that receiving what the desk sends does not
 * run on the desk's event loop (in production the SMTP relay is another machine). It shares the
 * machine's second core with Dovecot, so it does as little as a relay would: it takes the
 * message, reads the few header fields the scenarios report on, and forgets the message. (The
 * tests' sink, test/support/smtp-sink.ts, parses every message fully and keeps it; at tens of
 * thousands of messages that cost more CPU than the desk's own sending.)
 *
 * Tells the parent its port, then one small summary per accepted message over IPC, in batches.
 */
import libmime from 'libmime';
import { SMTPServer } from 'smtp-server';

export interface SinkReport {
  /** Date.now() when the message was accepted. */
  at: number;
  messageId?: string;
  inReplyTo?: string;
  subject: string;
  to: string[];
  replyTo?: string;
  orderId?: string;
}

/** The header block's fields, unfolded, by lower-cased name (first occurrence wins). */
export function readHeaderFields(head: string): Map<string, string> {
  const fields = new Map<string, string>();
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

const bareId = (v: string | undefined) => v?.trim().replace(/^<|>$/g, '') || undefined;

/** The addresses of an address-list field, lower-cased: `A <a@x>, b@y` → [a@x, b@y]. */
function addresses(v: string | undefined): string[] {
  if (!v) return [];
  return [...v.matchAll(/<([^<>\s]+@[^<>\s]+)>|([^\s,<>"]+@[^\s,<>"]+)/g)].map((m) => (m[1] ?? m[2]!).toLowerCase());
}

export function summarise(head: string, at: number): SinkReport {
  const f = readHeaderFields(head);
  const messageId = bareId(f.get('message-id'));
  const inReplyTo = bareId(f.get('in-reply-to'));
  const replyTo = addresses(f.get('reply-to'))[0];
  const orderId = f.get('x-portdesk-order');
  return {
    at,
    ...(messageId ? { messageId } : {}),
    ...(inReplyTo ? { inReplyTo } : {}),
    subject: libmime.decodeWords(f.get('subject') ?? ''),
    to: addresses(f.get('to')),
    ...(replyTo ? { replyTo } : {}),
    ...(orderId ? { orderId } : {}),
  };
}

/** The header block: everything before the first empty line. */
function headerBlock(chunks: Buffer[]): string {
  const text = Buffer.concat(chunks).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

async function main(): Promise<void> {
  let batch: SinkReport[] = [];
  let flush: NodeJS.Timeout | undefined;
  const report = (r: SinkReport) => {
    batch.push(r);
    // Batching the reports keeps IPC from becoming the sink's bottleneck.
    flush ??= setTimeout(() => {
      process.send?.({ type: 'mail', reports: batch });
      batch = [];
      flush = undefined;
    }, 5);
  };
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      // Only the header block is needed; the body is read and dropped.
      const head: Buffer[] = [];
      let headBytes = 0;
      let complete = false;
      stream.on('data', (chunk: Buffer) => {
        if (complete) return;
        head.push(chunk);
        headBytes += chunk.length;
        complete = headBytes > 64 * 1024 || /\r?\n\r?\n/.test(chunk.toString('latin1'));
      });
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        report(summarise(headerBlock(head), Date.now()));
        callback(null, 'queued by the benchmark sink');
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('the SMTP sink has no TCP address');
  process.send?.({ type: 'ready', port: address.port });
  process.on('message', (msg: { type?: string }) => {
    if (msg?.type === 'stop') server.close(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
}

// No top-level await: the file must load the same whether the loader treats it as ESM or not.
main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
