/**
 * The DNS look-ups of mailauth (its `resolver` option). mailauth asks the same SPF, DKIM and DMARC
 * questions for every message from a sender: this resolver answers repeats from a cache bounded by
 * the answers' TTLs (RFC 2308 for negative answers), talks only to the servers named in
 * MAIL_AUTH_DNS (any port, so tests run their own server), and bounds how long a look-up may take.
 *
 * It keeps node's result shapes and error codes (dns.promises.resolve) because mailauth reads
 * them: ENOTFOUND and ENODATA mean "there is no record" (SPF none, DKIM key missing), every other
 * code "try again later". So a time-out or a server failure must never be cached, nor reported
 * with one of those two codes.
 */
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { DeskError } from '../errors.js';
import type { Answer, DecodedPacket, MxAnswer, OptAnswer, Packet, RecordType, SoaAnswer, StringAnswer, TxtAnswer } from 'dns-packet';

export interface DnsServer {
  host: string;
  port: number;
}

/** A bad MAIL_AUTH_DNS value: permanent, the daemon must not start with it. */
export class DnsConfigError extends DeskError<'DNS_CONFIG_INVALID'> {
  /** The offending entry as written ('' for an empty one). */
  constructor(readonly entry: string, message: string) {
    super('DNS_CONFIG_INVALID', message);
    this.name = 'DnsConfigError';
  }
}

/**
 * A failed look-up, worded like node's (`queryTxt ENOTFOUND _dmarc.example.test`). Codes:
 * ENOTFOUND (NXDOMAIN) and ENODATA (no record of that type) are answers; ETIMEOUT, ESERVFAIL,
 * EREFUSED, EFORMERR, ENOTIMP, EBADRESP, ECONNREFUSED (or a socket's own code) are transient;
 * EBADNAME, EBADQUERY (a type this resolver does not read) and ECANCELLED (closed) are the caller's.
 */
export class DnsError extends Error {
  constructor(readonly code: string, readonly syscall: string, readonly hostname: string) {
    super(`${syscall} ${code} ${hostname}`);
    this.name = 'DnsError';
  }
}

const DEFAULT_PORT = 53;
const HOSTNAME = /^(?=.{1,253}\.?$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

/** Parses `host[:port]` entries separated by commas; IPv6 as `[::1]:5353` or bare `::1`. */
export function parseDnsServers(text: string): DnsServer[] {
  return text.split(',').map((raw, index) => {
    const entry = raw.trim();
    if (entry === '') throw new DnsConfigError(entry, `DNS server list "${text}": entry ${index + 1} is empty`);
    return parseDnsServer(entry);
  });
}

/** The system's resolvers (/etc/resolv.conf, as node read it at start); loopback when it names none. */
export function systemDnsServers(): DnsServer[] {
  const listed = dns.getServers();
  return listed.length ? parseDnsServers(listed.join(',')) : [{ host: '127.0.0.1', port: DEFAULT_PORT }];
}

function parseDnsServer(entry: string): DnsServer {
  const invalid = (why: string) => new DnsConfigError(entry, `DNS server "${entry}": ${why}`);
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
  if (bracketed) {
    const host = bracketed[1] ?? '';
    if (!net.isIPv6(host)) throw invalid('brackets must hold an IPv6 address');
    return { host, port: parsePort(bracketed[2], invalid) };
  }
  if (net.isIPv6(entry)) return { host: entry, port: DEFAULT_PORT };
  const colon = entry.indexOf(':');
  if (colon !== entry.lastIndexOf(':')) throw invalid('not an IPv6 address (write [address]:port to give a port)');
  const host = colon < 0 ? entry : entry.slice(0, colon);
  if (host === '') throw invalid('the host is missing');
  if (!net.isIPv4(host) && !HOSTNAME.test(host)) throw invalid('not an IP address or host name');
  return { host, port: parsePort(colon < 0 ? undefined : entry.slice(colon + 1), invalid) };
}

function parsePort(text: string | undefined, invalid: (why: string) => Error): number {
  if (text === undefined) return DEFAULT_PORT;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) throw invalid('the port must be a number from 1 to 65535');
  return port;
}

export interface DnsResolverOptions {
  servers: DnsServer[];
  /** Wait for one answer, per try (ms). Default 2000. */
  timeoutMs?: number;
  /** Tries per server before moving on to the next one. Default 2. */
  tries?: number;
  /** Cached answers kept; the oldest insertion goes first. Default 10000. */
  maxEntries?: number;
  /** Clock for TTLs (ms). Default Date.now. */
  now?: () => number;
  /** No answer is kept longer than this, whatever its TTL. Default 86400. */
  maxTtlSeconds?: number;
  /** Negative-cache time of an NXDOMAIN/NODATA answer that carries no SOA. Default 60. */
  negativeTtlSeconds?: number;
}

export interface DnsResolver {
  /** Same contract as node's dns.promises.resolve(name, rrtype) for TXT, A, AAAA, MX, PTR, CNAME, NS. */
  resolve(name: string, rrtype: string): Promise<unknown[]>;
  /** queries: look-ups sent to a server; cacheHits: look-ups answered by the cache or by a look-up already in flight. */
  stats(): { queries: number; cacheHits: number };
  /** Ends look-ups in flight (ECANCELLED) and drops the cache. */
  close(): void;
}

/** How each record type is read into node's shape; a type missing here is refused (EBADQUERY). */
const RECORD_TYPES: Record<string, { syscall: string; toNodeShape: (answer: Answer) => unknown }> = {
  A: { syscall: 'queryA', toNodeShape: (answer) => (answer as StringAnswer).data },
  AAAA: { syscall: 'queryAaaa', toNodeShape: (answer) => (answer as StringAnswer).data },
  CNAME: { syscall: 'queryCname', toNodeShape: (answer) => (answer as StringAnswer).data },
  NS: { syscall: 'queryNs', toNodeShape: (answer) => (answer as StringAnswer).data },
  PTR: { syscall: 'queryPtr', toNodeShape: (answer) => (answer as StringAnswer).data },
  MX: {
    syscall: 'queryMx',
    toNodeShape: (answer) => {
      const { exchange, preference } = (answer as MxAnswer).data;
      return { exchange, priority: preference ?? 0 };
    },
  },
  TXT: { syscall: 'queryTxt', toNodeShape: (answer) => readTxtChunks((answer as TxtAnswer).data) },
};

/** An rcode that is not an answer: the next server is asked, and the last one's code is reported. */
const RCODE_FAILURES: Record<number, string> = { 1: 'EFORMERR', 2: 'ESERVFAIL', 4: 'ENOTIMP', 5: 'EREFUSED' };
const RCODE_NOERROR = 0;
const RCODE_NXDOMAIN = 3;

/** EDNS0: lets a server send up to 4 KB over UDP, so a 2048-bit DKIM key rarely needs TCP. */
const EDNS_OPT: OptAnswer = { type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
/** More CNAME hops than this in one answer is a loop. */
const MAX_CNAME_HOPS = 16;

type Outcome =
  | { kind: 'records'; records: unknown[]; ttl: number }
  | { kind: 'absent'; code: 'ENOTFOUND' | 'ENODATA'; ttl: number }
  | { kind: 'failed'; code: string };

type Exchange = { ok: true; response: DecodedPacket } | { ok: false; code: string };

export function createDnsResolver(options: DnsResolverOptions): DnsResolver {
  if (options.servers.length === 0) throw new DnsConfigError('', 'no DNS server given');
  const { servers, timeoutMs = 2000, tries = 2, maxEntries = 10_000, now = Date.now } = options;
  const { maxTtlSeconds = 86_400, negativeTtlSeconds = 60 } = options;
  const cache = new Map<string, { expiresAt: number; outcome: Outcome }>();
  const inFlight = new Map<string, Promise<Outcome>>();
  /** Ends the exchange it belongs to; close() calls them all. */
  const cancels = new Set<() => void>();
  const counters = { queries: 0, cacheHits: 0 };
  let closed = false;

  async function askServers(name: string, type: string): Promise<Outcome> {
    let lastFailure: string | undefined;
    for (const server of servers) {
      for (let attempt = 0; attempt < tries; attempt++) {
        const exchange = await exchangeWith(server, buildQuery(name, type), timeoutMs, cancels);
        if (exchange.ok) {
          const outcome = readResponse(exchange.response, name, type, negativeTtlSeconds);
          if (outcome.kind !== 'failed') return outcome;
          lastFailure = outcome.code;
          break;
        }
        if (exchange.code === 'ECANCELLED') return { kind: 'failed', code: exchange.code };
        if (exchange.code !== 'ETIMEOUT') {
          // A refused connection or an unreachable host will not change on a second try.
          lastFailure = exchange.code;
          break;
        }
      }
    }
    return { kind: 'failed', code: lastFailure ?? 'ETIMEOUT' };
  }

  function remember(key: string, outcome: Outcome): void {
    if (outcome.kind === 'failed' || closed) return;
    const ttl = Math.min(outcome.ttl, maxTtlSeconds);
    if (!(ttl > 0)) return;
    cache.delete(key); // re-inserted at the end, so eviction order stays insertion order
    cache.set(key, { expiresAt: now() + ttl * 1000, outcome });
    while (cache.size > maxEntries) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
  }

  async function lookUp(name: string, type: string): Promise<Outcome> {
    if (closed) return { kind: 'failed', code: 'ECANCELLED' };
    const key = `${name}/${type}`;
    const cached = cache.get(key);
    if (cached !== undefined && now() < cached.expiresAt) {
      counters.cacheHits++;
      return cached.outcome;
    }
    if (cached !== undefined) cache.delete(key);
    const pending = inFlight.get(key);
    if (pending !== undefined) {
      counters.cacheHits++;
      return pending;
    }
    counters.queries++;
    const started = askServers(name, type)
      .then((outcome) => {
        remember(key, outcome);
        return outcome;
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  }

  return {
    async resolve(name, rrtype) {
      const type = rrtype.toUpperCase();
      const handling = RECORD_TYPES[type];
      const syscall = handling?.syscall ?? `query${type.charAt(0)}${type.slice(1).toLowerCase()}`;
      if (handling === undefined) throw new DnsError('EBADQUERY', syscall, name);
      const normalised = normaliseName(name);
      if (normalised === undefined) throw new DnsError('EBADNAME', syscall, name);
      const outcome = await lookUp(normalised, type);
      // A copy, so a caller that edits its result cannot change what the cache hands out next.
      if (outcome.kind === 'records') return structuredClone(outcome.records);
      throw new DnsError(outcome.code, syscall, name);
    },
    stats: () => ({ ...counters }),
    close() {
      closed = true;
      cache.clear();
      for (const cancel of [...cancels]) cancel();
    },
  };
}

/** Lower case, no trailing dot, every label 1–63 bytes: the cache key and the name asked. */
function normaliseName(name: string): string | undefined {
  const bare = name.toLowerCase().replace(/\.$/, '');
  if (bare === '' || Buffer.byteLength(bare) > 253) return undefined;
  return bare.split('.').every((label) => label !== '' && Buffer.byteLength(label) <= 63) ? bare : undefined;
}

function buildQuery(name: string, type: string): Packet {
  return {
    type: 'query',
    // A fresh random id per try: with the question check, it is what stops a forged answer.
    id: randomInt(0x10000),
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: type as RecordType, name, class: 'IN' }],
    additionals: [EDNS_OPT],
  };
}

function readResponse(response: DecodedPacket, name: string, type: string, negativeTtlSeconds: number): Outcome {
  const rcode = (response.flags ?? 0) & 0x0f;
  if (rcode === RCODE_NXDOMAIN) return { kind: 'absent', code: 'ENOTFOUND', ttl: negativeTtl(response, negativeTtlSeconds) };
  if (rcode !== RCODE_NOERROR) return { kind: 'failed', code: RCODE_FAILURES[rcode] ?? 'EBADRESP' };
  const { records, chain } = followCnames(response.answers ?? [], name, type);
  if (records.length === 0) return { kind: 'absent', code: 'ENODATA', ttl: negativeTtl(response, negativeTtlSeconds) };
  const handling = RECORD_TYPES[type];
  return {
    kind: 'records',
    records: records.map((answer) => handling?.toNodeShape(answer)),
    // The aliases count too: when one of them changes, the answer may change.
    ttl: Math.min(...[...records, ...chain].map((answer) => ('ttl' in answer ? (answer.ttl ?? 0) : 0))),
  };
}

/** The records of the asked type at the end of the CNAME chain that starts at `name`. */
function followCnames(answers: Answer[], name: string, type: string): { records: Answer[]; chain: Answer[] } {
  const chain: Answer[] = [];
  let owner = name;
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    const records = answers.filter((answer) => answer.type === type && answer.name.toLowerCase() === owner);
    if (records.length > 0 || type === 'CNAME') return { records, chain };
    const alias = answers.find((answer): answer is StringAnswer => answer.type === 'CNAME' && answer.name.toLowerCase() === owner);
    if (alias === undefined) break;
    chain.push(alias);
    owner = alias.data.toLowerCase().replace(/\.$/, '');
  }
  return { records: [], chain };
}

/** RFC 2308: a negative answer lives for the smaller of the SOA's TTL and its MINIMUM field. */
function negativeTtl(response: DecodedPacket, fallbackSeconds: number): number {
  const soa = (response.authorities ?? []).find((answer): answer is SoaAnswer => answer.type === 'SOA');
  if (soa === undefined) return fallbackSeconds;
  const ttl = soa.ttl ?? 0;
  return Math.min(ttl, soa.data.minimum ?? ttl);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** TXT chunks as strings: UTF-8 when they are valid UTF-8, otherwise byte for byte (latin1). */
function readTxtChunks(data: TxtAnswer['data']): string[] {
  return (Array.isArray(data) ? data : [data]).map((chunk) => {
    if (typeof chunk === 'string') return chunk;
    try {
      return strictUtf8.decode(chunk);
    } catch {
      return chunk.toString('latin1');
    }
  });
}

/** UDP first; a truncated answer is asked again over TCP. */
async function exchangeWith(server: DnsServer, query: Packet, timeoutMs: number, cancels: Set<() => void>): Promise<Exchange> {
  const overUdp = await exchangeOverUdp(server, query, timeoutMs, cancels);
  if (!overUdp.ok || !overUdp.response.flag_tc) return overUdp;
  return exchangeOverTcp(server, query, timeoutMs, cancels);
}

/**
 * One datagram socket per query, connected to the server: the kernel drops datagrams from any
 * other address, and an ICMP "port unreachable" comes back as ECONNREFUSED instead of a time-out.
 */
function exchangeOverUdp(server: DnsServer, query: Packet, timeoutMs: number, cancels: Set<() => void>): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
    const finish = (result: Exchange): void => {
      if (!cancels.delete(cancel)) return; // already finished
      clearTimeout(timer);
      socket.close();
      resolve(result);
    };
    const cancel = (): void => finish({ ok: false, code: 'ECANCELLED' });
    cancels.add(cancel);
    const timer = setTimeout(() => finish({ ok: false, code: 'ETIMEOUT' }), timeoutMs);
    socket.on('error', (err) => finish({ ok: false, code: socketErrorCode(err) }));
    socket.on('message', (message) => {
      const response = matchResponse(query, () => dnsPacket.decode(message));
      // Anything else (a late answer to an earlier try, a forgery, garbage) is ignored.
      if (response !== undefined) finish({ ok: true, response });
    });
    socket.connect(server.port, server.host, () => {
      socket.send(dnsPacket.encode(query), (err) => {
        if (err) finish({ ok: false, code: socketErrorCode(err) });
      });
    });
  });
}

function exchangeOverTcp(server: DnsServer, query: Packet, timeoutMs: number, cancels: Set<() => void>): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: server.host, port: server.port });
    let received = Buffer.alloc(0);
    const finish = (result: Exchange): void => {
      if (!cancels.delete(cancel)) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const cancel = (): void => finish({ ok: false, code: 'ECANCELLED' });
    cancels.add(cancel);
    const timer = setTimeout(() => finish({ ok: false, code: 'ETIMEOUT' }), timeoutMs);
    socket.on('connect', () => socket.write(dnsPacket.streamEncode(query)));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      // Wait for the 2-byte length prefix and the whole message it announces.
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
      const response = matchResponse(query, () => dnsPacket.streamDecode(received));
      finish(response === undefined ? { ok: false, code: 'EBADRESP' } : { ok: true, response });
    });
    socket.on('error', (err) => finish({ ok: false, code: socketErrorCode(err) }));
    socket.on('close', () => finish({ ok: false, code: 'ECONNREFUSED' }));
  });
}

/** The decoded response if it answers `query` (same id, same question), else undefined. */
function matchResponse(query: Packet, decode: () => Packet | null): DecodedPacket | undefined {
  let response: DecodedPacket;
  try {
    const decoded = decode();
    if (decoded === null) return undefined;
    response = decoded as DecodedPacket;
  } catch {
    return undefined;
  }
  const asked = query.questions?.[0];
  const echoed = response.questions?.length === 1 ? response.questions[0] : undefined;
  if (!response.flag_qr || response.id !== query.id || asked === undefined || echoed === undefined) return undefined;
  const sameQuestion = echoed.type === asked.type && echoed.name.toLowerCase() === asked.name && (echoed.class ?? 'IN') === 'IN';
  return sameQuestion ? response : undefined;
}

/** A failed look-up of the server's own host name must not read as "no such record" to mailauth. */
function socketErrorCode(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' && code !== 'ENOTFOUND' && code !== 'ENODATA' ? code : 'ECONNREFUSED';
}
