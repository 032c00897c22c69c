/**
 * The IMAP source's errors, and what of any error (ours, imapflow's or the server's) a log line
 * carries. Every IMAP_ code is transient (src/errors.ts): the session ends and the loop reconnects.
 */
import { DeskError, type ErrorCode } from '../../errors.js';

export type ImapSourceErrorCode = Extract<ErrorCode, `IMAP_${string}`>;

/** A transient failure of the session; the loop reconnects and carries on. */
export class ImapSourceError extends DeskError<ImapSourceErrorCode> {
  constructor(code: ImapSourceErrorCode, message: string) {
    super(code, message);
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
