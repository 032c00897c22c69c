/**
 * Reads raw messages on worker threads (parse-worker.ts), each with a time and a heap limit
 * (SPEC §10). The desk's own thread only hands bytes over and takes the InboundMessage back, so a
 * message that is slow to read holds up neither the other messages nor the SMTP listener, IMAP or
 * a signal. A thread that passes its time limit is ended, and so is one that runs out of heap;
 * the message is then given back unread, with the reason in its limits (the pipeline parks it in
 * Review as TOO_LARGE), and the next message gets a fresh thread.
 */
import { Worker } from 'node:worker_threads';
import { DeskError } from '../errors.js';
import type { Logger } from '../logger.js';
import { unreadMessage } from '../mail/parse-message.js';
import type { InboundAttachment, InboundMessage } from '../mail/types.js';
import type { MessageParser } from '../ports/message-parser.js';

export interface ParsePoolOptions {
  log: Logger;
  /** Threads reading at once (default 2: one slow message leaves the other thread to the rest). */
  size?: number;
  /** How long one message may take to read (default 10 s; a 25 MB message takes about 2 s). */
  timeLimitMs?: number;
  /** The JavaScript heap of one thread, in MB (default 512). */
  heapLimitMb?: number;
}

export interface ParsePool extends MessageParser {
  /** Starts the threads now, so the first message does not wait for one to load. */
  warm(): void;
  /** Ends the threads; messages being read or waiting are refused with PARSER_STOPPED. */
  close(): Promise<void>;
}

const BOOT_FILE = new URL('./worker-boot.js', import.meta.url);
// From source (tests, tsx) the worker is TypeScript; built, it is the .js next to this file.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ENTRY = new URL(FROM_SOURCE ? './parse-worker.ts' : './parse-worker.js', import.meta.url).href;

interface Job {
  raw: Buffer;
  resolve(message: InboundMessage): void;
  reject(err: Error): void;
}

interface Slot {
  worker?: Worker;
  ready: boolean;
  job?: { id: number; job: Job; timer: NodeJS.Timeout };
}

export function createParsePool(options: ParsePoolOptions): ParsePool {
  const log = options.log.child({ component: 'parse-pool' });
  const size = Math.max(1, options.size ?? 2);
  const timeLimitMs = options.timeLimitMs ?? 10_000;
  const heapLimitMb = options.heapLimitMb ?? 512;
  const slots: Slot[] = Array.from({ length: size }, () => ({ ready: false }));
  const waiting: Job[] = [];
  let nextId = 1;
  let closed = false;

  /** Ends a slot's thread; whatever it was reading is answered by `settle`. */
  const retire = (slot: Slot, settle: (job: Job) => void): void => {
    const worker = slot.worker;
    slot.worker = undefined;
    slot.ready = false;
    const current = slot.job;
    slot.job = undefined;
    if (current) {
      clearTimeout(current.timer);
      settle(current.job);
    }
    if (worker) void worker.terminate();
  };

  const start = (slot: Slot): Worker => {
    const worker = new Worker(BOOT_FILE, {
      workerData: { entry: ENTRY, typescript: FROM_SOURCE },
      resourceLimits: { maxOldGenerationSizeMb: heapLimitMb },
    });
    worker.unref();
    worker.on('message', (answer: { ready?: true; id?: number; message?: InboundMessage }) => {
      if (slot.worker !== worker) return;
      if (answer.ready) {
        slot.ready = true;
        pump();
        return;
      }
      const current = slot.job;
      if (!current || current.id !== answer.id || !answer.message) return;
      clearTimeout(current.timer);
      slot.job = undefined;
      current.job.resolve(revive(answer.message));
      pump();
    });
    worker.on('error', (err: Error & { code?: string }) => {
      if (slot.worker !== worker) return;
      const outOfMemory = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      if (!slot.ready) {
        // The thread never came up: no message is at fault. Those waiting stay waiting for the
        // next try; the one handed over (if any) is refused as transient and read again later.
        log.error({ err: { code: err.code, message: err.message } }, 'the message reader thread could not start');
        retire(slot, (job) => job.reject(new DeskError('PARSER_FAILED', `the message reader thread could not start: ${err.message}`)));
        failAllWaiting(err);
        return;
      }
      const why = outOfMemory ? `reading it needed more than ${heapLimitMb} MB` : `the reader failed on it (${err.message})`;
      log.warn({ code: err.code }, 'message reader thread ended on a message; the message is parked unread');
      retire(slot, (job) => job.resolve(unreadMessage(job.raw, why)));
      pump();
    });
    worker.on('exit', () => {
      if (slot.worker !== worker) return;
      retire(slot, (job) => job.resolve(unreadMessage(job.raw, 'the reader stopped while reading it')));
      pump();
    });
    return worker;
  };

  const failAllWaiting = (err: Error): void => {
    for (const job of waiting.splice(0)) job.reject(new DeskError('PARSER_FAILED', `the message reader thread could not start: ${err.message}`));
  };

  const pump = (): void => {
    if (closed) return;
    for (const slot of slots) {
      if (waiting.length === 0) return;
      if (slot.job) continue;
      if (!slot.worker) {
        slot.worker = start(slot);
        continue; // handed a message once it says it is ready
      }
      if (!slot.ready) continue;
      const job = waiting.shift()!;
      const id = nextId++;
      const timer = setTimeout(() => {
        log.warn({ timeLimitMs, bytes: job.raw.length }, 'a message took too long to read; its reader thread was ended');
        retire(slot, (j) => j.resolve(unreadMessage(j.raw, `reading it took longer than ${timeLimitMs / 1000} s`)));
        pump();
      }, timeLimitMs);
      timer.unref();
      slot.job = { id, job, timer };
      slot.worker.postMessage({ id, raw: job.raw });
      log.debug({ bytes: job.raw.length }, 'message handed to a reader thread');
    }
  };

  return {
    warm(): void {
      if (closed) return;
      for (const slot of slots) slot.worker ??= start(slot);
    },
    parse(raw: Buffer): Promise<InboundMessage> {
      if (closed) return Promise.reject(new DeskError('PARSER_STOPPED'));
      return new Promise<InboundMessage>((resolve, reject) => {
        waiting.push({ raw, resolve, reject });
        pump();
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const job of waiting.splice(0)) job.reject(new DeskError('PARSER_STOPPED'));
      const workers = slots.map((slot) => slot.worker).filter((w): w is Worker => w !== undefined);
      for (const slot of slots) retire(slot, (job) => job.reject(new DeskError('PARSER_STOPPED')));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** Structured clone turned the Buffers into Uint8Arrays: make them Buffers again, without a copy. */
function revive(message: InboundMessage): InboundMessage {
  const attachments: InboundAttachment[] = message.attachments.map((a) => ({ ...a, content: asBuffer(a.content) }));
  const out: InboundMessage = { ...message, attachments };
  if (message.embedded) out.embedded = message.embedded.map(revive);
  return out;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
