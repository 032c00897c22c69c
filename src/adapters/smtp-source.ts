/**
 * The embedded SMTP listener (SPEC §6): with no IMAP server configured, mail is delivered straight
 * to the desk on 127.0.0.1. A message is answered 250 only after the handler resolved, i.e. after
 * its effects were durably recorded; a handler failure answers 451 so the sending MTA keeps the
 * message and tries again later. Nothing is ever accepted and then lost.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { DeskError } from '../errors.js';
import { MAX_MESSAGE_BYTES } from '../mail/limits.js';
import type { Logger } from '../logger.js';
import type { MailSource, MessageHandler, SmtpEnvelope } from '../ports/mail-source.js';

export interface SmtpSourceOptions {
  /** TCP port; 0 picks a free one (read it from `port` after start). */
  port: number;
  /** Loopback by default: the listener has no authentication, so it must not face a network. */
  host?: string;
  /** Largest message accepted, in bytes (default 25 MB); larger ones are refused with 552. */
  maxBytes?: number;
  log: Logger;
  /** How long stop() lets open sessions finish before closing them (default 5 s). */
  closeTimeoutMs?: number;
  /** Sessions at once (default 20); one more is answered 421 and may try again in a moment. */
  maxClients?: number;
  /**
   * Bytes of messages held in memory at once, across sessions, being received or handled
   * (default 64 MB). A message that would pass it is answered 451: the sender tries again later.
   */
  maxHeldBytes?: number;
}

export const DEFAULT_MAX_MESSAGE_BYTES = MAX_MESSAGE_BYTES;
export const DEFAULT_MAX_CLIENTS = 20;
export const DEFAULT_MAX_HELD_BYTES = 64 * 1024 * 1024;

type RefusalCode = 'SMTP_IN_TOO_LARGE' | 'SMTP_IN_CLOSING' | 'SMTP_IN_BUSY' | 'SMTP_IN_DEFERRED' | 'SMTP_IN_NOT_RECORDED';

/** What the client is told for each refusal: 5xx for a permanent one, 4xx (try again) for a transient one. */
const RESPONSE_CODES: Record<RefusalCode, number> = {
  SMTP_IN_TOO_LARGE: 552,
  SMTP_IN_CLOSING: 421,
  SMTP_IN_BUSY: 451,
  SMTP_IN_DEFERRED: 451,
  SMTP_IN_NOT_RECORDED: 451,
};

/** A refusal of the listener; smtp-server answers with `responseCode` and the message. */
class SmtpRefusal extends DeskError<RefusalCode> {
  readonly responseCode: number;
  constructor(code: RefusalCode, message: string) {
    super(code, message);
    this.name = 'SmtpRefusal';
    this.responseCode = RESPONSE_CODES[code];
  }
}

/** The client's address without the IPv4-mapped IPv6 prefix, HELO name, MAIL FROM and recipients. */
function envelopeOf(session: SMTPServerSession): SmtpEnvelope {
  const mailFrom = session.envelope.mailFrom;
  return {
    clientIp: session.remoteAddress.replace(/^::ffff:/i, ''),
    ...(session.hostNameAppearsAs ? { helo: session.hostNameAppearsAs } : {}),
    mailFrom: mailFrom ? mailFrom.address : '',
    rcptTo: session.envelope.rcptTo.map((r) => r.address),
  };
}

export class SmtpSource implements MailSource {
  private readonly host: string;
  private readonly requestedPort: number;
  private readonly maxBytes: number;
  private readonly closeTimeoutMs: number;
  private readonly maxClients: number;
  private readonly maxHeldBytes: number;
  /** Bytes of messages in memory now: being received, or handed to the desk and not yet answered. */
  private heldBytes = 0;
  private readonly log: Logger;
  private server: SMTPServer | undefined;
  private boundPort: number | undefined;
  private accepting = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(options: SmtpSourceOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
    this.maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
    this.maxHeldBytes = options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
    this.log = options.log.child({ source: 'smtp' });
  }

  /** The port the listener is bound to; defined once start() resolved. */
  get port(): number | undefined {
    return this.boundPort;
  }

  async start(handler: MessageHandler): Promise<void> {
    if (this.server) throw new Error('SmtpSource already started');
    const server = new SMTPServer({
      secure: false,
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      // smtp-server's logger would log envelopes and client chatter outside our redaction.
      logger: false,
      banner: 'portdesk inbound',
      size: this.maxBytes,
      maxClients: this.maxClients,
      closeTimeout: this.closeTimeoutMs,
      onData: (stream, session, reply) => {
        let answered = false;
        const callback = (err: Error | null, message?: string) => {
          if (answered) return;
          answered = true;
          reply(err, message);
        };
        const chunks: Buffer[] = [];
        let held = 0;
        let busy = false;
        const release = () => {
          this.heldBytes -= held;
          held = 0;
          chunks.length = 0;
        };
        // Keep reading past a limit (the client is still sending), and keep nothing beyond it in
        // memory: past the message size (smtp-server stops counting into the message), or past
        // what all sessions together may hold.
        stream.on('data', (chunk: Buffer) => {
          if (stream.sizeExceeded || busy) return;
          if (this.heldBytes + chunk.length > this.maxHeldBytes) {
            busy = true;
            release();
            return;
          }
          chunks.push(chunk);
          held += chunk.length;
          this.heldBytes += chunk.length;
        });
        stream.on('error', (err) => {
          release();
          callback(err);
        });
        stream.on('end', () => {
          const log = this.log.child({ session: session.id });
          if (busy) {
            log.warn({ maxHeldBytes: this.maxHeldBytes }, 'message refused for now: the listener holds as much mail as it may');
            callback(new SmtpRefusal('SMTP_IN_BUSY', 'too much mail at once, try again later'));
            return;
          }
          if (stream.sizeExceeded) {
            release();
            log.warn({ maxBytes: this.maxBytes }, 'message refused: over the size limit');
            callback(new SmtpRefusal('SMTP_IN_TOO_LARGE', `message exceeds the maximum size of ${this.maxBytes} bytes`));
            return;
          }
          if (!this.accepting) {
            release();
            callback(new SmtpRefusal('SMTP_IN_CLOSING', 'shutting down, try again later'));
            return;
          }
          const raw = Buffer.concat(chunks);
          chunks.length = 0;
          const work = handler(raw, { envelope: envelopeOf(session) }).then(
            (disposition) => {
              log.info({ bytes: raw.length, disposition }, 'message received');
              // The desk cannot tell yet who sent it (DNS did not answer): the sender keeps the
              // message and delivers it again later, as for any temporary failure.
              if (disposition === 'deferred') callback(new SmtpRefusal('SMTP_IN_DEFERRED', 'sender could not be verified yet, try again later'));
              else callback(null, 'accepted');
            },
            (err: unknown) => {
              const code = (err as { code?: unknown }).code;
              log.error(
                { err: { code: typeof code === 'string' ? code : undefined, message: (err as Error)?.message } },
                'handler failed; message deferred',
              );
              // Transient: the sender keeps the message and retries, and nothing is lost.
              callback(new SmtpRefusal('SMTP_IN_NOT_RECORDED', 'could not record the message, try again later'));
            },
          );
          this.inFlight.add(work);
          void work.finally(() => {
            this.inFlight.delete(work);
            release();
          });
        });
      },
    });
    server.on('error', (err) => this.log.warn({ err: { code: (err as { code?: string }).code, message: err.message } }, 'SMTP listener error'));

    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.server.once('error', onError);
      server.listen(this.requestedPort, this.host, () => {
        server.server.off('error', onError);
        resolve();
      });
    });
    this.server = server;
    this.accepting = true;
    this.boundPort = (server.server.address() as AddressInfo).port;
    this.log.info({ host: this.host, port: this.boundPort, maxBytes: this.maxBytes }, 'SMTP listener started');
  }

  /** Stops taking connections, lets messages being handled finish and be answered, then closes. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.accepting = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.allSettled([...this.inFlight]);
    await closed;
    this.log.info('SMTP listener stopped');
  }
}
