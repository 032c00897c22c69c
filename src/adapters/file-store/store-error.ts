/**
 * Errors of the file store, each with a stable code. STORE_CORRUPT, STORE_VERSION and
 * STORE_INVALID are permanent (a person has to look at the data or the caller's record);
 * STORE_LOCKED is transient from the point of view of a command that may be retried once the
 * other process stops.
 */
export type StoreErrorCode =
  | 'STORE_CORRUPT'
  | 'STORE_VERSION'
  | 'STORE_INVALID'
  | 'STORE_LOCKED'
  | 'STORE_READ_ONLY'
  | 'STORE_CLOSED'
  | 'STORE_IO';

const TRANSIENT: readonly StoreErrorCode[] = ['STORE_LOCKED', 'STORE_IO'];

export class StoreError extends Error {
  readonly permanent: boolean;
  /**
   * The store could not record anything (a failed write, a closed store): the message that was
   * being handled is not at fault and must stay where it is, to be handled after a restart.
   */
  readonly retry: boolean;
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown; file?: string; pid?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreError';
    this.permanent = !TRANSIENT.includes(code);
    this.retry = code === 'STORE_IO' || code === 'STORE_CLOSED';
    if (options?.file !== undefined) this.file = options.file;
    if (options?.pid !== undefined) this.pid = options.pid;
  }
  /** The file the problem is in, when there is one. */
  readonly file?: string;
  /** For STORE_LOCKED: the process holding the data directory. */
  readonly pid?: number;
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}
