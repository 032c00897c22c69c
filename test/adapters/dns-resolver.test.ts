/**
 * The resolver against a real DNS server on loopback (UDP and TCP, no mocks): node's result shapes
 * and error codes that mailauth reads, server fail-over, the TTL cache and TCP after truncation.
 */
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDnsResolver,
  DnsConfigError,
  DnsError,
  parseDnsServers,
  type DnsResolver,
  type DnsResolverOptions,
} from '../../src/adapters/dns-resolver.js';
import { startTestDnsServer, type TestDnsServer } from '../support/dns-server.js';
import { findFreePort } from '../support/free-port.js';

/** A 2048-bit DKIM key record is about 400 bytes: more than one 255-byte chunk. */
const LONG_DKIM_RECORD = `v=DKIM1; k=rsa; p=${'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'.repeat(9)}`;

let server: TestDnsServer;
let clock: number;
const resolvers: DnsResolver[] = [];
const extraServers: TestDnsServer[] = [];

function resolverFor(options: Partial<DnsResolverOptions> = {}): DnsResolver {
  const resolver = createDnsResolver({ servers: [server], timeoutMs: 200, tries: 2, now: () => clock, ...options });
  resolvers.push(resolver);
  return resolver;
}

async function anotherServer(): Promise<TestDnsServer> {
  const started = await startTestDnsServer();
  extraServers.push(started);
  return started;
}

/** The DnsError a look-up fails with (and that it fails at all). */
async function failureOf(lookUp: Promise<unknown>): Promise<DnsError> {
  const error = await lookUp.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(DnsError);
  return error as DnsError;
}

beforeEach(async () => {
  clock = 1_000_000;
  server = await startTestDnsServer();
  server.set('example-mail.test', { TXT: ['v=spf1 -all'], A: ['192.0.2.10'], MX: [{ exchange: 'mx.example-mail.test', priority: 10 }] });
  server.set('s1._domainkey.example-mail.test', { TXT: [LONG_DKIM_RECORD] });
});

afterEach(async () => {
  for (const resolver of resolvers.splice(0)) resolver.close();
  await Promise.all([server, ...extraServers.splice(0)].map((s) => s.close()));
});

describe('answers in node shapes', () => {
  it('returns TXT records as their chunks, which the caller joins', async () => {
    const resolver = resolverFor();
    expect(await resolver.resolve('example-mail.test', 'TXT')).toEqual([['v=spf1 -all']]);
    const [key] = (await resolver.resolve('s1._domainkey.example-mail.test', 'TXT')) as string[][];
    expect(key?.length).toBeGreaterThan(1);
    expect(key?.join('')).toBe(LONG_DKIM_RECORD);
  });

  it('returns A addresses and MX exchanges with their priority', async () => {
    const resolver = resolverFor();
    expect(await resolver.resolve('example-mail.test', 'A')).toEqual(['192.0.2.10']);
    expect(await resolver.resolve('example-mail.test', 'MX')).toEqual([{ exchange: 'mx.example-mail.test', priority: 10 }]);
  });

  it('follows a CNAME in the answer and keeps only records of the asked type', async () => {
    server.set('alias.example-mail.test', { CNAME: 'example-mail.test' });
    expect(await resolverFor().resolve('alias.example-mail.test', 'A')).toEqual(['192.0.2.10']);
  });

  it('treats names case-insensitively and ignores a trailing dot', async () => {
    const resolver = resolverFor();
    expect(await resolver.resolve('Example-Mail.TEST.', 'A')).toEqual(['192.0.2.10']);
    await resolver.resolve('example-mail.test', 'A');
    expect(server.queries('example-mail.test', 'A')).toBe(1);
  });

  it('answers TCP after a truncated UDP answer', async () => {
    server.truncateOver = 300;
    const [key] = (await resolverFor().resolve('s1._domainkey.example-mail.test', 'TXT')) as string[][];
    expect(key?.join('')).toBe(LONG_DKIM_RECORD);
    expect(server.queries('s1._domainkey.example-mail.test', 'TXT')).toBe(2); // once over UDP, once over TCP
  });
});

describe('failures, with the codes mailauth reads', () => {
  it('rejects a name that does not exist with ENOTFOUND, in node wording', async () => {
    const error = await failureOf(resolverFor().resolve('_dmarc.nowhere.test', 'TXT'));
    expect(error).toMatchObject({ code: 'ENOTFOUND', hostname: '_dmarc.nowhere.test', message: 'queryTxt ENOTFOUND _dmarc.nowhere.test' });
  });

  it('rejects a name without records of the asked type with ENODATA', async () => {
    const error = await failureOf(resolverFor().resolve('example-mail.test', 'AAAA'));
    expect(error.code).toBe('ENODATA');
  });

  it('times out with ETIMEOUT after every try of every server', async () => {
    server.blackhole('slow.example-mail.test');
    const started = performance.now();
    const error = await failureOf(resolverFor().resolve('slow.example-mail.test', 'TXT'));
    expect(error.message).toBe('queryTxt ETIMEOUT slow.example-mail.test');
    expect(server.queries('slow.example-mail.test', 'TXT')).toBe(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(350);
  });

  it('reports SERVFAIL as ESERVFAIL and never caches it', async () => {
    server.failWith('example-mail.test', 'SERVFAIL');
    const resolver = resolverFor();
    expect((await failureOf(resolver.resolve('example-mail.test', 'A'))).code).toBe('ESERVFAIL');
    server.failWith('example-mail.test', undefined);
    expect(await resolver.resolve('example-mail.test', 'A')).toEqual(['192.0.2.10']);
  });

  it('reports a closed port as ECONNREFUSED', async () => {
    const unused = { host: '127.0.0.1', port: await findFreePort() };
    expect((await failureOf(resolverFor({ servers: [unused] }).resolve('example-mail.test', 'A'))).code).toBe('ECONNREFUSED');
  });

  it('refuses a type it cannot read and a malformed name', async () => {
    const resolver = resolverFor();
    expect((await failureOf(resolver.resolve('example-mail.test', 'SRV'))).code).toBe('EBADQUERY');
    expect((await failureOf(resolver.resolve(`${'a'.repeat(64)}.test`, 'A'))).code).toBe('EBADNAME');
  });

  it('ends a look-up in flight when closed', async () => {
    server.blackhole('slow.example-mail.test');
    const resolver = resolverFor({ timeoutMs: 10_000 });
    const pending = resolver.resolve('slow.example-mail.test', 'TXT');
    resolver.close();
    expect((await failureOf(pending)).code).toBe('ECANCELLED');
  });
});

describe('servers in order', () => {
  it('asks the next server when the first one does not answer', async () => {
    const silent = await anotherServer();
    silent.blackhole('example-mail.test');
    const resolver = resolverFor({ servers: [silent, server], tries: 1 });
    expect(await resolver.resolve('example-mail.test', 'A')).toEqual(['192.0.2.10']);
    expect(silent.queries('example-mail.test', 'A')).toBe(1);
  });

  it('asks the next server when nothing listens on the first one', async () => {
    const unused = { host: '127.0.0.1', port: await findFreePort() };
    expect(await resolverFor({ servers: [unused, server] }).resolve('example-mail.test', 'A')).toEqual(['192.0.2.10']);
  });

  it('asks the next server after SERVFAIL or REFUSED', async () => {
    const failing = await anotherServer();
    failing.set('example-mail.test', { A: ['198.51.100.1'] });
    failing.failWith('example-mail.test', 'REFUSED');
    expect(await resolverFor({ servers: [failing, server] }).resolve('example-mail.test', 'A')).toEqual(['192.0.2.10']);
  });

  it('ignores an answer with another id or question', async () => {
    // A fake server that first answers with a wrong id, then for another name, then correctly.
    const fake = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => fake.bind(0, '127.0.0.1', resolve));
    fake.on('message', (message, peer) => {
      const id = dnsPacket.decode(message).id ?? 0;
      const reply = (replyId: number, name: string, data: string) =>
        dnsPacket.encode({ type: 'response', id: replyId, questions: [{ type: 'A', name }], answers: [{ type: 'A', name, ttl: 60, data }] });
      const replies = [reply((id + 1) % 0x10000, 'real.test', '203.0.113.1'), reply(id, 'forged.test', '203.0.113.2'), reply(id, 'real.test', '192.0.2.99')];
      for (const packet of replies) fake.send(packet, peer.port, peer.address);
    });
    try {
      expect(await resolverFor({ servers: [{ host: '127.0.0.1', port: fake.address().port }] }).resolve('real.test', 'A')).toEqual(['192.0.2.99']);
    } finally {
      fake.close();
    }
  });
});

describe('cache', () => {
  it('keeps an answer until its TTL runs out', async () => {
    server.set('ttl.example-mail.test', { TXT: ['first'] }, 300);
    const resolver = resolverFor();
    expect(await resolver.resolve('ttl.example-mail.test', 'TXT')).toEqual([['first']]);
    server.set('ttl.example-mail.test', { TXT: ['second'] }, 300);
    clock += 299_999;
    expect(await resolver.resolve('ttl.example-mail.test', 'TXT')).toEqual([['first']]);
    expect(server.queries('ttl.example-mail.test', 'TXT')).toBe(1);
    clock += 1;
    expect(await resolver.resolve('ttl.example-mail.test', 'TXT')).toEqual([['second']]);
    expect(server.queries('ttl.example-mail.test', 'TXT')).toBe(2);
    expect(resolver.stats()).toEqual({ queries: 2, cacheHits: 1 });
  });

  it('does not cache a TTL of 0 and caps a long TTL at maxTtlSeconds', async () => {
    server.set('zero.example-mail.test', { A: ['192.0.2.1'] }, 0);
    server.set('long.example-mail.test', { A: ['192.0.2.2'] }, 1_000_000);
    const resolver = resolverFor({ maxTtlSeconds: 100 });
    await resolver.resolve('zero.example-mail.test', 'A');
    await resolver.resolve('zero.example-mail.test', 'A');
    expect(server.queries('zero.example-mail.test', 'A')).toBe(2);
    await resolver.resolve('long.example-mail.test', 'A');
    clock += 100_000;
    await resolver.resolve('long.example-mail.test', 'A');
    expect(server.queries('long.example-mail.test', 'A')).toBe(2);
  });

  it('keeps NXDOMAIN and NODATA for the SOA minimum', async () => {
    const resolver = resolverFor();
    for (const [name, type, code] of [['gone.example-mail.test', 'TXT', 'ENOTFOUND'], ['example-mail.test', 'AAAA', 'ENODATA']] as const) {
      expect((await failureOf(resolver.resolve(name, type))).code).toBe(code);
      clock += 59_999;
      expect((await failureOf(resolver.resolve(name, type))).code).toBe(code);
      expect(server.queries(name, type)).toBe(1);
      clock += 1;
      await failureOf(resolver.resolve(name, type));
      expect(server.queries(name, type)).toBe(2);
    }
  });

  it('keeps a negative answer for the SOA TTL when it is below the minimum, or negativeTtlSeconds without an SOA', async () => {
    const resolver = resolverFor({ negativeTtlSeconds: 10 });
    server.soaMinimum = 7200; // the SOA's own TTL is 3600
    await failureOf(resolver.resolve('gone.example-mail.test', 'TXT'));
    clock += 3_599_999;
    await failureOf(resolver.resolve('gone.example-mail.test', 'TXT'));
    expect(server.queries('gone.example-mail.test', 'TXT')).toBe(1);
    server.soaMinimum = undefined;
    await failureOf(resolver.resolve('other.example-mail.test', 'TXT'));
    clock += 10_000;
    await failureOf(resolver.resolve('other.example-mail.test', 'TXT'));
    expect(server.queries('other.example-mail.test', 'TXT')).toBe(2);
  });

  it('never caches a time-out', async () => {
    server.blackhole('slow.example-mail.test');
    const resolver = resolverFor({ tries: 1 });
    await failureOf(resolver.resolve('slow.example-mail.test', 'A'));
    server.blackhole('slow.example-mail.test', false);
    server.set('slow.example-mail.test', { A: ['192.0.2.3'] });
    expect(await resolver.resolve('slow.example-mail.test', 'A')).toEqual(['192.0.2.3']);
  });

  it('shares one query between identical look-ups in flight', async () => {
    const resolver = resolverFor();
    const answers = await Promise.all([1, 2, 3].map(() => resolver.resolve('example-mail.test', 'MX')));
    expect(answers).toEqual(Array(3).fill([{ exchange: 'mx.example-mail.test', priority: 10 }]));
    expect(server.queries('example-mail.test', 'MX')).toBe(1);
    expect(resolver.stats()).toEqual({ queries: 1, cacheHits: 2 });
  });

  it('evicts the oldest entry beyond maxEntries', async () => {
    const resolver = resolverFor({ maxEntries: 2 });
    for (const type of ['A', 'TXT', 'MX', 'A']) await resolver.resolve('example-mail.test', type);
    expect(server.queries('example-mail.test', 'A')).toBe(2);
    expect(server.queries('example-mail.test', 'MX')).toBe(1);
  });

  it('hands out copies, so a caller cannot change the cached answer', async () => {
    const resolver = resolverFor();
    const first = (await resolver.resolve('example-mail.test', 'TXT')) as string[][];
    first[0]?.push('tampered');
    expect(await resolver.resolve('example-mail.test', 'TXT')).toEqual([['v=spf1 -all']]);
  });
});

describe('parseDnsServers', () => {
  it('reads host[:port] lists, IPv6 in brackets or bare, port 53 by default', () => {
    expect(parseDnsServers('127.0.0.1')).toEqual([{ host: '127.0.0.1', port: 53 }]);
    expect(parseDnsServers('127.0.0.1:5353')).toEqual([{ host: '127.0.0.1', port: 5353 }]);
    expect(parseDnsServers('[::1]:53')).toEqual([{ host: '::1', port: 53 }]);
    expect(parseDnsServers('::1')).toEqual([{ host: '::1', port: 53 }]);
    expect(parseDnsServers('a, b')).toEqual([
      { host: 'a', port: 53 },
      { host: 'b', port: 53 },
    ]);
  });

  it.each([
    [':53', ':53'],
    ['host:99999', 'host:99999'],
    ['127.0.0.1,,10.0.0.1', 'entry 2 is empty'],
    ['', 'entry 1 is empty'],
    ['[nope]:53', '[nope]:53'],
  ])('rejects %j, naming the entry', (text, named) => {
    expect(() => parseDnsServers(text)).toThrow(DnsConfigError);
    expect(() => parseDnsServers(text)).toThrow(named);
    try {
      parseDnsServers(text);
    } catch (err) {
      expect((err as DnsConfigError).code).toBe('DNS_CONFIG_INVALID');
    }
  });
});
