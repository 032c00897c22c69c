/**
 * Errors of the file store. Their codes, and whether each is transient, are in src/errors.ts:
 * STORE_CORRUPT, STORE_VERSION, STORE_INVALID and STORE_READ_ONLY are permanent (a person has to
 * look at the data or the caller's record); STORE_IO and STORE_CLOSED are transient (the store
 * could not record anything, so the message being handled is not at fault and must stay where it
 * is, to be handled after a restart); STORE_LOCKED is transient for a command that may be run
 * again once the other process stops.
 */
import { DeskError, type ErrorCode } from '../../errors.js';

export type StoreErrorCode = Extract<ErrorCode, `STORE_${string}`>;

export class StoreError extends DeskError<StoreErrorCode> {
  /** The file the problem is in, when there is one. */
  readonly file?: string;
  /** For STORE_LOCKED: the process holding the data directory. */
  readonly pid?: number;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown; file?: string; pid?: number }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreError';
    if (options?.file !== undefined) this.file = options.file;
    if (options?.pid !== undefined) this.pid = options.pid;
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}
