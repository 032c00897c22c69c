/**
 * A provider's webhook endpoint for tests: an HTTP server on loopback that receives Standard
 * Webhooks (https://www.standardwebhooks.com), checks each signature with the `standardwebhooks`
 * package and records every request, so tests assert on what the desk sent. It can refuse
 * (failNext, respondWith), answer slowly (delay) or go away and come back on the same port
 * (stop, start), to exercise the sender's retries.
 *
 * Answers, checked in this order: another method or path → 404; a missing or wrong signature, or a
 * `webhook-timestamp` more than 5 minutes from this process's clock (the package's tolerance) →
 * 401; a body that is not a JSON `{ type, timestamp, data }` → 400; otherwise the status set with
 * failNext/respondWith (204 by default). Only the last kind uses up a failNext.
 * Each request is recorded when it arrives, before any delay: like a real endpoint, it has
 * processed a webhook even if the sender gave up waiting for the answer.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Webhook } from 'standardwebhooks';
import { restartable } from './restartable-server.js';

export interface WebhookEvent {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

export interface ReceivedWebhook {
  /** The webhook-id, webhook-timestamp and webhook-signature headers ('' when missing). */
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** The parsed body; undefined when answered 404 or 400. */
  event?: WebhookEvent;
  /** The signature matched the secret (false when answered 404: not checked). */
  verified: boolean;
  /** What the receiver answered. */
  status: number;
  /** Date.now() on arrival. */
  at: number;
}

/** An accepted request always passed every check, so it has its event. */
export type AcceptedWebhook = ReceivedWebhook & { event: WebhookEvent };

export interface WebhookReceiver {
  /** http://127.0.0.1:PORT/hook (the path is an option). */
  readonly url: string;
  readonly port: number;
  /** whsec_… of 24 random bytes unless given. */
  readonly secret: string;
  /** Every request, refused and unverifiable ones (401) included, in arrival order. */
  readonly requests: readonly ReceivedWebhook[];
  /** Those answered 2xx, in arrival order. */
  accepted(): AcceptedWebhook[];
  /** Answer this status to every valid request until changed (default 204). */
  respondWith(status: number): void;
  /** Answer `status` (default 503) to the next n valid requests, then the respondWith status again. */
  failNext(n: number, status?: number): void;
  /** Hold every answer this long (a slow endpoint); 0 answers at once again. */
  delay(ms: number): void;
  /** Resolves with accepted() once it satisfies `pred`; rejects after `timeoutMs`, listing what came. */
  waitFor(pred: (accepted: AcceptedWebhook[]) => boolean, timeoutMs?: number): Promise<AcceptedWebhook[]>;
  /** Stops listening and drops every connection at once; start() listens on the same port again. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** stop(), and pending waitFor calls reject. */
  close(): Promise<void>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEvent = (v: unknown): v is WebhookEvent =>
  isObject(v) && typeof v.type === 'string' && typeof v.timestamp === 'string' && isObject(v.data);

export async function startWebhookReceiver(opts: { secret?: string; port?: number; path?: string } = {}): Promise<WebhookReceiver> {
  const host = '127.0.0.1';
  const path = opts.path ?? '/hook';
  const secret = opts.secret ?? `whsec_${randomBytes(24).toString('base64')}`;
  const webhook = new Webhook(secret);
  const requests: ReceivedWebhook[] = [];
  const waiters = new Set<{ check: () => void; fail: (why: string) => void }>();
  const held = new Set<NodeJS.Timeout>();
  let status = 204;
  let failing = { left: 0, status: 503 };
  let delayMs = 0;

  const accepted = () => requests.filter((r): r is AcceptedWebhook => r.status >= 200 && r.status < 300);

  /** Decides the answer and the record, with a reason for error answers. */
  const judge = (req: http.IncomingMessage, body: string): [ReceivedWebhook, string] => {
    const header = (name: string) => String(req.headers[name] ?? '');
    const base = { id: header('webhook-id'), timestamp: header('webhook-timestamp'), signature: header('webhook-signature'), body, verified: false, at: Date.now() };
    if (req.method !== 'POST' || req.url?.split('?')[0] !== path) return [{ ...base, status: 404 }, 'not found'];
    try {
      webhook.verify(body, { 'webhook-id': base.id, 'webhook-timestamp': base.timestamp, 'webhook-signature': base.signature }, { jsonParse: false });
    } catch (err) {
      return [{ ...base, status: 401 }, `bad signature: ${(err as Error).message}`];
    }
    let event: unknown;
    try {
      event = JSON.parse(body);
    } catch {} // Not JSON: not an event either, answered below.
    if (!isEvent(event)) return [{ ...base, verified: true, status: 400 }, 'not a webhook payload'];
    const answer = failing.left > 0 ? failing.status : status;
    if (failing.left > 0) failing.left -= 1;
    return [{ ...base, verified: true, event, status: answer }, `answered ${answer} on purpose`];
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const [record, reason] = judge(req, Buffer.concat(chunks).toString('utf8'));
      requests.push(record);
      for (const w of [...waiters]) w.check();
      const answer = () => res.writeHead(record.status).end(record.status >= 400 ? reason : undefined);
      if (delayMs <= 0) return answer();
      const timer = setTimeout(() => (held.delete(timer), answer()), delayMs);
      held.add(timer);
    });
  });

  // Answers held back (delay) are dropped when it stops.
  const listener = restartable(server, host, opts.port ?? 0, () => {
    for (const timer of held) clearTimeout(timer);
    held.clear();
  });
  const { start, stop } = listener;
  await start();
  const port = listener.port;

  return {
    url: `http://${host}:${port}${path}`,
    port,
    secret,
    requests,
    accepted,
    respondWith: (s) => void (status = s),
    failNext: (n, s = 503) => void (failing = { left: n, status: s }),
    delay: (ms) => void (delayMs = ms),
    waitFor(pred, timeoutMs = 10_000) {
      if (pred(accepted())) return Promise.resolve(accepted());
      return new Promise((resolve, reject) => {
        const done = () => (waiters.delete(waiter), clearTimeout(timer));
        const waiter = {
          check: () => void (pred(accepted()) && (done(), resolve(accepted()))),
          fail: (why: string) => {
            done();
            const seen = accepted().map((r) => `${r.event.type} ${r.id}`).join(', ') || 'none';
            const refused = requests.filter((r) => r.status < 200 || r.status >= 300).map((r) => r.status);
            reject(new Error(`${why}; accepted so far: ${seen}${refused.length ? `; refused: ${refused.join(', ')}` : ''}`));
          },
        };
        const timer = setTimeout(() => waiter.fail(`no matching webhooks accepted within ${timeoutMs} ms`), timeoutMs);
        waiters.add(waiter);
      });
    },
    stop,
    start,
    async close() {
      await stop();
      for (const w of [...waiters]) w.fail('the webhook receiver was closed');
    },
  };
}
