/**
 * Mailbox providers anyone can sign up to. A shared domain there proves nothing about who wrote:
 * another fastmail.com user is not the carrier that writes from fastmail.com. The list comes from
 * a maintained package (tens of thousands of domains, refreshed by its authors) rather than a hand
 * list, which misses the providers nobody thought of.
 */
import freeMail from 'free-email-domains-list';

export function isFreeMailDomain(domain: string): boolean {
  return freeMail.DOMAINS.has(domain.trim().toLowerCase());
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).trim().toLowerCase();
}
