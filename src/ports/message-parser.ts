/**
 * Raw bytes to an InboundMessage (SPEC §10: heavy work off the event loop, with a time limit).
 * The daemon's parser is a pool of worker threads (adapters/parse-pool.ts); a desk built without
 * one parses on its own thread (tests of the rules, `inspect`).
 */
import type { InboundMessage } from '../mail/types.js';

export interface MessageParser {
  /**
   * Never rejects because of what the message holds: what could not be read is in its defects,
   * and where reading stopped (a cap, the time or memory limit) in its limits. Rejects only with a
   * transient error (the desk is stopping, the thread could not start): the message is not at
   * fault and stays where it is, to be read again.
   */
  parse(raw: Buffer): Promise<InboundMessage>;
}
