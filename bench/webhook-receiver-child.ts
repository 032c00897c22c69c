/**
 * A provider's webhook endpoint for the webhooks scenario, in its own process like the SMTP sink,
 * so that taking the desk's events does not run on the desk's event loop (in production it is
 * another system). It does what a receiver must and little more: checks each Standard Webhooks
 * signature (the `standardwebhooks` package, as test/support/webhook-receiver.ts), reads the
 * body's type, counts, and answers 204 (401 to a bad signature).
 *
 * IPC: `{type: 'start', secret}` → `{type: 'ready', port}`; `{type: 'count'}` → `{type: 'count',
 * …ReceiverCounts}`; `{type: 'reset'}` forgets what was counted (between runs).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceiverCounts {
  requests: number;
  /** Answered 204: signature good, body readable. */
  accepted: number;
  /** Distinct webhook-ids accepted, and ids accepted more than once (a retry of a delivered event). */
  unique: number;
  duplicates: number;
  badSignatures: number;
  byType: Record<string, number>;
  /** Distinct orders (data.id of order.* events) told `order.received`. */
  ordersReceived: number;
  /** Date.now() of the first and last accepted request. */
  firstAt?: number;
  lastAt?: number;
}

type Request = { type: 'start'; secret: string } | { type: 'count' } | { type: 'ids' } | { type: 'reset' } | { type: 'stop' };

async function main(): Promise<void> {
  let verifier: Webhook | undefined;
  let counts: ReceiverCounts;
  let ids: Set<string>;
  let ordersReceived: Set<string>;
  const reset = () => {
    counts = { requests: 0, accepted: 0, unique: 0, duplicates: 0, badSignatures: 0, byType: {}, ordersReceived: 0 };
    ids = new Set();
    ordersReceived = new Set();
  };
  reset();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      counts.requests++;
      const body = Buffer.concat(chunks).toString('utf8');
      let event: { type: string; data: { id?: string } };
      try {
        event = verifier!.verify(body, {
          'webhook-id': String(req.headers['webhook-id'] ?? ''),
          'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
          'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
        }) as typeof event;
      } catch {
        counts.badSignatures++;
        res.writeHead(401).end();
        return;
      }
      const id = String(req.headers['webhook-id']);
      counts.accepted++;
      if (ids.has(id)) counts.duplicates++;
      else ids.add(id);
      counts.unique = ids.size;
      counts.byType[event.type] = (counts.byType[event.type] ?? 0) + 1;
      if (event.type === 'order.received' && event.data.id) ordersReceived.add(event.data.id);
      counts.ordersReceived = ordersReceived.size;
      const now = Date.now();
      counts.firstAt ??= now;
      counts.lastAt = now;
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;

  process.on('message', (msg: Request) => {
    switch (msg.type) {
      case 'start':
        verifier = new Webhook(msg.secret);
        server.listen(0, '127.0.0.1', () => process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port }));
        break;
      case 'count':
        process.send?.({ type: 'count', ...counts });
        break;
      case 'ids':
        process.send?.({ type: 'ids', ids: [...ids] });
        break;
      case 'reset':
        reset();
        process.send?.({ type: 'reset' });
        break;
      case 'stop':
        server.close(() => process.exit(0));
        server.closeAllConnections();
        break;
    }
  });
  process.on('disconnect', () => process.exit(0));
}

// No top-level await: the file must load the same whether the loader treats it as ESM or not.
main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
