/**
 * Mailbox providers anyone can sign up to. A shared domain there proves nothing about who wrote:
 * another fastmail.com user is not the carrier that writes from fastmail.com. The list comes from
 * a maintained package (tens of thousands of domains, refreshed by its authors) rather than a hand
 * list, which misses the providers nobody thought of.
 *
 * It is loaded the first time a carrier's domain is asked about (about 25 MB and 80 ms): a desk
 * that only takes requests never needs it, and the desk's start-up and memory stay as they were.
 */
import { createRequire } from 'node:module';

let domains: ReadonlySet<string> | undefined;

function freeMailDomains(): ReadonlySet<string> {
  domains ??= (createRequire(import.meta.url)('free-email-domains-list') as { DOMAINS: ReadonlySet<string> }).DOMAINS;
  return domains;
}

export function isFreeMailDomain(domain: string): boolean {
  return freeMailDomains().has(domain.trim().toLowerCase());
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).trim().toLowerCase();
}
