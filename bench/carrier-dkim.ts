/**
 * The carriers' side of mail authentication (SPEC §11): one 2048-bit RSA DKIM key per carrier
 * domain, made at run time; what the benchmarks' DNS server publishes for each (the key, DMARC
 * p=reject, SPF); and the generated requests signed by their carrier's domain, as a carrier's
 * outbound server signs them. A request that is not signed fails DMARC under p=reject, and the
 * desk (MAIL_AUTH=enforce) would park it in Review instead of handling it.
 *
 * Making the 20 keys takes ~3 s and signing ~1.4 ms per message (RSA), so both are done once per
 * `npm run bench`: run.ts names a scratch directory (BENCH_RUN_DIR) where the first scenario that
 * needs them leaves the keys and each set of signed messages, and later scenarios (the baseline
 * and both backlog runs, the two growth probes) read them back — which also makes the two backlog
 * runs' input the same byte for byte. Without BENCH_RUN_DIR they are made afresh each time.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dkimKeyName, makeDkimKey, signMessage, type DkimKey } from '../test/support/dkim.js';
import type { ZoneEntry } from './dns-child.js';
import { CARRIER_DOMAINS, type GeneratedRequest } from './fixtures.js';
import { startDnsProcess, type DnsProcess } from './mailroom.js';

export const CARRIER_SELECTOR = 's1';
/** An hour, as carriers commonly publish them: longer than any run, so each name is asked once. */
const RECORD_TTL = 3600;

/** The private key (and its published record) of each carrier domain. */
export type CarrierKeys = Record<string, DkimKey>;

function scratch(file: string): string | undefined {
  const dir = process.env.BENCH_RUN_DIR;
  return dir ? path.join(dir, file) : undefined;
}

export async function loadCarrierKeys(): Promise<CarrierKeys> {
  const file = scratch('carrier-keys.json');
  const saved = file ? await readFile(file, 'utf8').catch(() => undefined) : undefined;
  if (saved) return JSON.parse(saved) as CarrierKeys;
  const keys: CarrierKeys = Object.fromEntries(CARRIER_DOMAINS.map((domain) => [domain, makeDkimKey('rsa')]));
  if (file) await writeFile(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

/** Per carrier domain: its DKIM key, DMARC p=reject and an SPF record. Every other name is NXDOMAIN. */
export function carrierZone(keys: CarrierKeys): ZoneEntry[] {
  return Object.entries(keys).flatMap(([domain, key]): ZoneEntry[] => [
    [dkimKeyName(CARRIER_SELECTOR, domain), { TXT: [key.record] }, RECORD_TTL],
    [`_dmarc.${domain}`, { TXT: ['v=DMARC1; p=reject'] }, RECORD_TTL],
    [domain, { TXT: ['v=spf1 ip4:192.0.2.0/24 -all'] }, RECORD_TTL],
  ]);
}

/** The carriers' keys and a DNS server (its own process) publishing them. */
export async function startCarrierDns(): Promise<{ keys: CarrierKeys; dns: DnsProcess }> {
  const keys = await loadCarrierKeys();
  return { keys, dns: await startDnsProcess(carrierZone(keys)) };
}

/**
 * The requests, each DKIM-signed by its carrier's domain. `setName` names the set in the run's
 * scratch directory: the same name must always mean the same generated requests.
 */
export async function signRequests(requests: GeneratedRequest[], keys: CarrierKeys, setName: string): Promise<GeneratedRequest[]> {
  const file = scratch(`signed-${setName}-${requests.length}.json`);
  const saved = file ? await readFile(file, 'utf8').catch(() => undefined) : undefined;
  if (saved) {
    const raws = new Map(JSON.parse(saved) as [string, string][]);
    if (requests.every((r) => raws.has(r.messageId))) return requests.map((r) => ({ ...r, raw: Buffer.from(raws.get(r.messageId)!, 'base64') }));
  }
  const signed: GeneratedRequest[] = [];
  for (const r of requests) {
    const key = keys[r.carrierDomain];
    if (!key) throw new Error(`no DKIM key for ${r.carrierDomain}`);
    signed.push({ ...r, raw: await signMessage(r.raw, { signingDomain: r.carrierDomain, selector: CARRIER_SELECTOR, key }) });
  }
  if (file) await writeFile(file, JSON.stringify(signed.map((r) => [r.messageId, r.raw.toString('base64')])));
  return signed;
}
