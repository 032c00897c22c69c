/**
 * The benchmarks' DNS server, in its own process like the SMTP sink, so that answering the desk's
 * look-ups does not run on the desk's event loop (in production the resolver is another machine).
 * It is the test suite's authoritative loopback server (test/support/dns-server.ts): the names it
 * is given answer with their records, every other name NXDOMAIN.
 *
 * IPC: the parent sends `{ type: 'zone', entries }`, the child answers `{ type: 'ready', address }`;
 * `{ type: 'count' }` is answered with `{ type: 'count', total }` (queries received so far).
 */
import { startTestDnsServer, type TestDnsServer, type TestRecords } from '../test/support/dns-server.js';

export type ZoneEntry = [name: string, records: TestRecords, ttl: number];

type Request = { type: 'zone'; entries: ZoneEntry[] } | { type: 'count' } | { type: 'stop' };

async function main(): Promise<void> {
  let server: TestDnsServer | undefined;
  process.on('message', (msg: Request) => {
    switch (msg.type) {
      case 'zone':
        void startTestDnsServer().then((s) => {
          server = s;
          for (const [name, records, ttl] of msg.entries) s.set(name, records, ttl);
          process.send?.({ type: 'ready', address: s.address });
        }, (err: unknown) => {
          console.error(err);
          process.exit(1);
        });
        break;
      case 'count':
        process.send?.({ type: 'count', total: server?.totalQueries() ?? 0 });
        break;
      case 'stop':
        void (server?.close() ?? Promise.resolve()).finally(() => process.exit(0));
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
