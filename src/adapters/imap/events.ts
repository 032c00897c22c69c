/**
 * The events an ImapSource emits: the session's and those of the batch work that reports on its
 * behalf.
 */
import type { Disposition } from '../../ports/mail-source.js';
import type { FolderPaths } from './folders.js';

export interface ProcessedEvent {
  uid: number;
  uidValidity: string;
  disposition: Disposition;
  /**
   * Where the message is now: the folder it was moved to, or, for `deferred`, the mailbox it
   * stays in (the configured mailbox, e.g. `INBOX`) until it is handed over again.
   */
  folder: string;
  /** The handler threw; the message went to Review. */
  failed: boolean;
}

/**
 * Events, for the composition root's health view and for tests that wait on progress:
 * 'ready' (folders, mailbox) after each connect · 'idle' when caught up and waiting ·
 * 'check' after a quick check while idle that found nothing new ·
 * 'processed' (ProcessedEvent; also for a deferred message, each time it is handed over) ·
 * 'revisited' ({ uidValidity, found }) after each pass over the deferred messages ·
 * 'uidvalidity' ({ previous, current }) · 'disconnected' · 'reconnecting' ({ attempt, delayMs }).
 */
export interface ImapSourceEvents {
  ready: [info: { folders: FolderPaths; mailbox: string; uidValidity: string }];
  idle: [];
  /** A quick check (NOOP) while idle found the mailbox as it was. */
  check: [];
  processed: [event: ProcessedEvent];
  /**
   * A revisit pass is over: `found` messages were left below the cursor (deferred ones) and handed
   * over again, or fewer if stop() or a lost connection cut the pass short.
   */
  revisited: [info: { uidValidity: string; found: number }];
  uidvalidity: [change: { previous: string; current: string }];
  disconnected: [];
  reconnecting: [info: { attempt: number; delayMs: number }];
}
