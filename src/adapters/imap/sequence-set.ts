/**
 * IMAP sequence sets for the source's `UID MOVE`s. Pure, so it can be tested without a server.
 */

/** An IMAP sequence set for sorted UIDs, runs collapsed (`3:7,9`) to keep the command short. */
export function toSequenceSet(uids: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < uids.length) {
    const first = uids[i]!;
    let last = first;
    while (i + 1 < uids.length && uids[i + 1] === last + 1) last = uids[++i]!;
    parts.push(first === last ? String(first) : `${first}:${last}`);
    i += 1;
  }
  return parts.join(',');
}
