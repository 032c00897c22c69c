/**
 * Loads mailauth with two of its hot spots replaced; together they were over half of what
 * checking a message cost the desk (measured in the backlog benchmark).
 *
 * 1. Key parsing, remembered. For every signature it verifies, mailauth turns the key's DNS text
 *    into a key object (createPublicKey), exports it back to PEM, and has crypto.verify parse that
 *    PEM again — for the same few keys (a desk hears from a few dozen carriers). getPublicKey is
 *    wrapped before mailauth's DKIM and ARC verifiers take their reference to it, so each distinct
 *    key text is parsed once and the verifiers get the key object itself (crypto.verify takes one
 *    as well as PEM). The wrapper still asks the resolver every time (answers come from the
 *    desk's TTL cache), so a key changed in DNS is used once its old answer expires; errors are
 *    never remembered.
 * 2. The search for the end of the header. mailauth's message parser looks for the blank line one
 *    byte at a time, copying a 4-element array per byte; here it is found with indexOf, with the
 *    same result for any split of the message into chunks.
 *
 * Both rely on mailauth's internals, and mailauth is pinned exactly in package.json. `keyMemo`
 * says whether the key memo took effect (false when mailauth was loaded before this module).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Mailauth from 'mailauth';

type ResolveTxt = (name: string, rrtype: string) => Promise<unknown>;
type KeyResult = { publicKey: string | KeyObject; rr: string; modulusLength: number };
type GetPublicKey = (type: string, name: string, minBitLength: number | undefined, resolver: ResolveTxt) => Promise<KeyResult>;

const require = createRequire(import.meta.url);
const verifierPath = require.resolve('mailauth/lib/dkim/dkim-verifier.js');
const loadedBefore = require.cache[verifierPath] !== undefined;
const tools = require('mailauth/lib/tools.js') as {
  getPublicKey: GetPublicKey;
  getAlignment: (fromDomain: string, domainList: (string | { domain: string })[], strict?: boolean) => false | { domain: string };
};

/** The organizational-domain match of DMARC's relaxed alignment, as mailauth computes it. */
export const getAlignment = tools.getAlignment;

/** mailauth's parser of tag lists in header lines (`Authentication-Results: id; dkim=pass header.d=…`). */
export const parseDkimHeaders = require('mailauth/lib/parse-dkim-headers.js') as (line: string) => { parsed: Record<string, unknown> };

/** Distinct keys remembered; a desk sees far fewer, and a flood of one-off keys cannot grow it. */
const MAX_KEYS = 1000;
const keys = new Map<string, Promise<KeyResult>>();
let parsed = 0;
let reused = 0;

const original = tools.getPublicKey;
tools.getPublicKey = async (type, name, minBitLength, resolver) => {
  const answer = await resolver(name, 'TXT');
  const rr = Array.isArray(answer) ? ([] as unknown[]).concat(answer[0] ?? []).join('') : '';
  const id = `${type}\u0000${minBitLength ?? 0}\u0000${rr}`;
  const known = keys.get(id);
  if (known) {
    reused += 1;
    return known;
  }
  parsed += 1;
  // The original parses the answer it is handed; the look-up is not made twice.
  const made = original(type, name, minBitLength, async () => answer).then((r) => ({ ...r, publicKey: createPublicKey(r.publicKey) }));
  if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value!);
  keys.set(id, made);
  made.catch(() => keys.delete(id));
  return made;
};

/** The part of mailauth's MessageParser the header search touches. */
interface HeaderScan {
  state: 'header' | 'body';
  /** The last bytes seen while in the header (up to 4, oldest first). */
  stateBytes: number[];
  headerChunks: Buffer[];
  headers: unknown;
  messageHeaders(headers: unknown): Promise<void>;
  nextChunk(chunk: Buffer): Promise<void>;
}

const { parseHeaders } = tools as unknown as { parseHeaders: (buf: Buffer) => unknown };
const { MessageParser } = require('mailauth/lib/dkim/message-parser.js') as { MessageParser: { prototype: { processChunk(this: HeaderScan, chunk: Buffer): Promise<void> } } };

/** Where the header ends in `chunk` (the index of the LF of its blank line), given the bytes before it. */
function headerEnd(chunk: Buffer, before: readonly number[]): number {
  const at = (i: number) => (i >= 0 ? chunk[i] : before[before.length + i]);
  for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) {
    const b1 = at(i - 1);
    if (b1 === 0x0a || (b1 === 0x0d && at(i - 2) === 0x0a)) return i;
  }
  return -1;
}

MessageParser.prototype.processChunk = async function processChunk(this: HeaderScan, chunk: Buffer): Promise<void> {
  if (!chunk || !chunk.length) return;
  if (this.state === 'header') {
    const end = headerEnd(chunk, this.stateBytes);
    if (end < 0) {
      this.stateBytes = [...this.stateBytes, ...chunk.subarray(Math.max(0, chunk.length - 4))].slice(-4);
      this.headerChunks.push(chunk);
      return;
    }
    this.state = 'body';
    this.headerChunks.push(chunk.subarray(0, end + 1));
    this.headers = parseHeaders(Buffer.concat(this.headerChunks));
    await this.messageHeaders(this.headers);
    if (end === chunk.length - 1) return;
    chunk = chunk.subarray(end + 1);
  }
  await this.nextChunk(chunk);
};

/**
 * The parts of mailauth the desk uses, each from its own module: the package's main module also
 * loads its BIMI support (logo and certificate checks), 10 MB and 0.1 s at start the desk would
 * never use.
 */
export const mailauth = {
  dkimVerify: (require('mailauth/lib/dkim/verify.js') as Pick<typeof Mailauth, 'dkimVerify'>).dkimVerify,
  dkimSign: (require('mailauth/lib/dkim/sign.js') as Pick<typeof Mailauth, 'dkimSign'>).dkimSign,
  spf: (require('mailauth/lib/spf/index.js') as Pick<typeof Mailauth, 'spf'>).spf,
  arc: (require('mailauth/lib/arc/index.js') as Pick<typeof Mailauth, 'arc'>).arc,
  dmarc: (require('mailauth/lib/dmarc/index.js') as Pick<typeof Mailauth, 'dmarc'>).dmarc,
};

/** Whether key parsing is remembered, and how often a key was parsed or reused. */
export function keyMemo(): { active: boolean; parsed: number; reused: number } {
  return { active: !loadedBefore, parsed, reused };
}
