/**
 * An authoritative DNS server on loopback for tests: the resolver and the DKIM, SPF and DMARC
 * checks ask it real questions over UDP and TCP, so nothing on the DNS path is mocked. It answers
 * at once — except for names told to stay silent, which is how a test gets a time-out — and counts
 * the questions, so tests can see what a cache saved.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet } from 'dns-packet';

export interface TestRecords {
  /** Each string is one record; it goes on the wire in 255-byte chunks (a 2048-bit DKIM key needs two). */
  TXT?: string[];
  A?: string[];
  AAAA?: string[];
  MX?: { exchange: string; priority: number }[];
  /** An alias: a question of another type gets this CNAME and the target's records of that type. */
  CNAME?: string;
}

export type TestFailure = 'SERVFAIL' | 'REFUSED';

export interface TestDnsServer {
  readonly host: string;
  readonly port: number;
  /** `127.0.0.1:PORT`, for MAIL_AUTH_DNS. */
  readonly address: string;
  /** Replaces the records of `name` (TTL in seconds, default 300). */
  set(name: string, records: TestRecords, ttl?: number): void;
  /** The name no longer exists: NXDOMAIN. */
  remove(name: string): void;
  /** Queries for this name are never answered (a DNS time-out). */
  blackhole(name: string, on?: boolean): void;
  /** Queries for this name get this rcode; undefined answers normally again. */
  failWith(name: string, rcode: TestFailure | undefined): void;
  /** Queries received for `name`/`type`, answered or not, over UDP and TCP together. */
  queries(name: string, type: string): number;
  totalQueries(): number;
  /** When set, UDP answers bigger than this many bytes are sent truncated (TC bit, no records), so the client must use TCP. */
  truncateOver?: number;
  /**
   * MINIMUM of the SOA sent with NXDOMAIN and NODATA answers (default 60); undefined sends no SOA.
   * The SOA record itself has a TTL of 3600, so a resolver keeps a negative answer for the smaller of the two.
   */
  soaMinimum?: number;
  close(): Promise<void>;
}

const SOA_TTL = 3600;
const RCODES: Record<TestFailure | 'NXDOMAIN', number> = { SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 };
const MAX_CNAME_HOPS = 8;

type ZoneEntry = { records: TestRecords; ttl: number };

/** The answers of one type at one name, in dns-packet's shapes. */
const ANSWERS_OF_TYPE: Record<string, (name: string, entry: ZoneEntry) => Answer[]> = {
  TXT: (name, { records, ttl }) => (records.TXT ?? []).map((text) => ({ type: 'TXT', name, ttl, data: splitIntoChunks(text) })),
  A: (name, { records, ttl }) => (records.A ?? []).map((data) => ({ type: 'A', name, ttl, data })),
  AAAA: (name, { records, ttl }) => (records.AAAA ?? []).map((data) => ({ type: 'AAAA', name, ttl, data })),
  MX: (name, { records, ttl }) =>
    (records.MX ?? []).map(({ exchange, priority }) => ({ type: 'MX', name, ttl, data: { exchange, preference: priority } })),
  CNAME: (name, { records, ttl }) => (records.CNAME === undefined ? [] : [{ type: 'CNAME', name, ttl, data: records.CNAME }]),
};

class LoopbackDnsServer implements TestDnsServer {
  truncateOver?: number;
  soaMinimum?: number;
  private readonly zone = new Map<string, ZoneEntry>();
  private readonly silent = new Set<string>();
  private readonly failures = new Map<string, TestFailure>();
  private readonly counts = new Map<string, number>();
  private readonly connections = new Set<net.Socket>();
  private closing: Promise<void> | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly udp: dgram.Socket,
    private readonly tcp: net.Server,
    soaMinimum: number | undefined,
  ) {
    this.soaMinimum = soaMinimum;
    udp.on('message', (message, peer) => {
      const reply = this.reply(message, 'udp');
      // A client that has gone away is not the test's failure.
      if (reply !== undefined) udp.send(reply, peer.port, peer.address, () => undefined);
    });
    tcp.on('connection', (socket) => this.serveTcp(socket));
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  set(name: string, records: TestRecords, ttl = 300): void {
    this.zone.set(normaliseName(name), { records, ttl });
  }

  remove(name: string): void {
    this.zone.delete(normaliseName(name));
  }

  blackhole(name: string, on = true): void {
    if (on) this.silent.add(normaliseName(name));
    else this.silent.delete(normaliseName(name));
  }

  failWith(name: string, rcode: TestFailure | undefined): void {
    if (rcode === undefined) this.failures.delete(normaliseName(name));
    else this.failures.set(normaliseName(name), rcode);
  }

  queries(name: string, type: string): number {
    return this.counts.get(`${normaliseName(name)}/${type.toUpperCase()}`) ?? 0;
  }

  totalQueries(): number {
    return [...this.counts.values()].reduce((sum, count) => sum + count, 0);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const socket of this.connections) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => this.udp.close(() => resolve())),
        new Promise<void>((resolve, reject) => this.tcp.close((err) => (err ? reject(err) : resolve()))),
      ]);
    })();
    return this.closing;
  }

  /** The encoded reply to one query, or undefined to stay silent. */
  private reply(message: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined;
    }
    const question = query.questions?.[0];
    if (question === undefined) return undefined;
    const name = normaliseName(question.name);
    const key = `${name}/${question.type}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (this.silent.has(name)) return undefined;
    const response = this.answer(query, name, question.type);
    const encoded = dnsPacket.encode(response);
    if (transport === 'tcp' || this.truncateOver === undefined || encoded.length <= this.truncateOver) return encoded;
    return dnsPacket.encode({ ...response, flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [], authorities: [] });
  }

  private answer(query: DecodedPacket, name: string, type: string): Packet {
    const flags = dnsPacket.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED);
    const response: Packet = { type: 'response', id: query.id, flags, questions: query.questions };
    const failure = this.failures.get(name);
    if (failure !== undefined) return { ...response, flags: flags | RCODES[failure] };
    if (!this.zone.has(name)) return { ...response, flags: flags | RCODES.NXDOMAIN, authorities: this.negativeAuthority(name) };
    const answers = this.answersAt(name, type, 0);
    return answers.length > 0 ? { ...response, answers } : { ...response, authorities: this.negativeAuthority(name) };
  }

  private answersAt(name: string, type: string, hops: number): Answer[] {
    const entry = this.zone.get(name);
    if (entry === undefined) return [];
    const alias = entry.records.CNAME;
    if (alias === undefined || type === 'CNAME') return ANSWERS_OF_TYPE[type]?.(name, entry) ?? [];
    const target = normaliseName(alias);
    const rest = hops < MAX_CNAME_HOPS ? this.answersAt(target, type, hops + 1) : [];
    return [{ type: 'CNAME', name, ttl: entry.ttl, data: target }, ...rest];
  }

  /** RFC 2308: the SOA of the zone goes with a negative answer; its owner is taken as the last two labels. */
  private negativeAuthority(name: string): Answer[] {
    if (this.soaMinimum === undefined) return [];
    const apex = name.split('.').slice(-2).join('.');
    return [
      {
        type: 'SOA',
        name: apex,
        ttl: SOA_TTL,
        data: { mname: `ns.${apex}`, rname: `hostmaster.${apex}`, serial: 1, refresh: 3600, retry: 600, expire: 86_400, minimum: this.soaMinimum },
      },
    ];
  }

  /** DNS over TCP: each message behind a 2-byte length, several per connection. */
  private serveTcp(socket: net.Socket): void {
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => undefined); // a client hanging up mid-answer
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const length = pending.readUInt16BE(0);
        const reply = this.reply(pending.subarray(2, 2 + length), 'tcp');
        pending = pending.subarray(2 + length);
        if (reply === undefined) continue;
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(reply.length);
        socket.write(Buffer.concat([prefix, reply]));
      }
    });
  }
}

function normaliseName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function splitIntoChunks(text: string): Buffer[] {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += 255) chunks.push(bytes.subarray(start, start + 255));
  return chunks.length > 0 ? chunks : [Buffer.alloc(0)];
}

/**
 * Starts the server on 127.0.0.1. Unlike findFreePort (free-port.ts), which hands out a TCP port
 * and lets it go, this needs one number free for UDP and TCP both: the OS picks the UDP port and
 * keeps it bound, TCP then takes the same number, and on the rare clash the pair is tried again.
 */
export async function startTestDnsServer(options: { soaMinimum?: number } = {}): Promise<TestDnsServer> {
  const host = '127.0.0.1';
  const soaMinimum = 'soaMinimum' in options ? options.soaMinimum : 60;
  for (let attempt = 1; ; attempt++) {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const port = udp.address().port;
    const tcp = net.createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return new LoopbackDnsServer(host, port, udp, tcp, soaMinimum);
    } catch (err) {
      udp.close();
      if (attempt >= 5 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}
