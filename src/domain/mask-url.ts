/**
 * Addresses shown in logs, records, pages and alerts without the secrets they may carry.
 */
import { createHash } from 'node:crypto';

/** `postgres://desk:secret@db/x` → `postgres://desk:***@db/x`. */
export function maskUrlPassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

/**
 * An address for logs, records and pages: its password (or a user name standing alone, as some
 * services put a key there) and its query, where tokens hide, masked; so is a path segment that
 * looks like a key (chat and automation services put theirs in the path: 16 or more characters
 * with letters and digits). A masked segment keeps a 4-hex tag of itself, so two endpoints that
 * differ only there stay two, while a password or query can change without losing what waits.
 */
export function maskUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return maskUrlPassword(url).replace(/\?.*$/, (q) => (q.length > 1 ? '?***' : q));
  }
  if (u.password) u.password = '***';
  else if (u.username) u.username = '***';
  const query = u.search.length > 1;
  u.search = '';
  u.hash = '';
  u.pathname = u.pathname
    .split('/')
    .map((segment) => (looksLikeKey(segment) ? `***${createHash('sha256').update(segment).digest('hex').slice(0, 4)}` : segment))
    .join('/');
  return `${u.toString()}${query ? '?***' : ''}`;
}

function looksLikeKey(segment: string): boolean {
  return segment.length >= 16 && /[0-9]/.test(segment) && /[A-Za-z]/.test(segment);
}
