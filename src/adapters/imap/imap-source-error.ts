/**
 * The IMAP source's error codes, and what of any error (ours, imapflow's or the server's) a log
 * line carries. Every code here is transient: the session ends and the loop reconnects.
 */

/** A transient failure of the session; the loop reconnects and carries on. */
export class ImapSourceError extends Error {
  constructor(
    readonly code: 'IMAP_MOVE_FAILED' | 'IMAP_SEARCH_FAILED' | 'IMAP_WATCHDOG_TIMEOUT' | 'IMAP_HANDLER_RETRY',
    message: string,
  ) {
    super(message);
    this.name = 'ImapSourceError';
  }
}

/** The error code (ours, imapflow's or the server's) that a log line should carry. */
export function describeError(err: unknown): { code?: string; message: string } {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; serverResponseCode?: unknown };
    const code = typeof e.code === 'string' ? e.code : typeof e.serverResponseCode === 'string' ? e.serverResponseCode : undefined;
    return { code, message: e.message };
  }
  return { message: String(err) };
}
