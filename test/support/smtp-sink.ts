/**
 * An SMTP server for tests: what the desk sends lands here, parsed, so tests assert on headers
 * and text. It can refuse (4xx/5xx) or drop connections on purpose, to exercise retries.
 */
import type { Socket } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

export interface SinkEnvelope {
  mailFrom: string | undefined;
  rcptTo: string[];
}

export interface SinkMessage {
  raw: Buffer;
  parsed: ParsedMail;
  envelope: SinkEnvelope;
}

export interface SmtpSinkOptions {
  /** Largest accepted message in bytes (advertised with SIZE); larger ones get 552. */
  maxBytes?: number;
}

export interface SmtpSink {
  readonly host: string;
  readonly port: number;
  /** Every accepted message, in arrival order. */
  readonly messages: readonly SinkMessage[];
  /** Transactions answered with an error or dropped, in arrival order. */
  readonly refused: number;
  /**
   * Resolves with the first message, already received or still to come, that matches; rejects
   * after `timeoutMs`.
   */
  waitFor(predicate: (message: SinkMessage) => boolean, timeoutMs?: number): Promise<SinkMessage>;
  /** How many accepted messages carry this Message-ID (with or without angle brackets). */
  count(messageId: string): number;
  /** Answer every following message with `code` (4xx transient by default, 5xx permanent). */
  refuse(code?: number, message?: string): void;
  /**
   * Drop connections without an answer: on connect, or after the whole message was received
   * (the sender cannot know whether it was delivered).
   */
  drop(when?: 'connect' | 'data'): void;
  /** Back to accepting. */
  accept(): void;
  stop(): Promise<void>;
}

type Mode =
  | { kind: 'accept' }
  | { kind: 'refuse'; code: number; message: string }
  | { kind: 'drop'; when: 'connect' | 'data' };

const bare = (id: string) => id.trim().replace(/^<|>$/g, '');

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const host = '127.0.0.1';
  const messages: SinkMessage[] = [];
  const waiters = new Set<(m: SinkMessage) => void>();
  const sockets = new Map<number, Socket>();
  let mode: Mode = { kind: 'accept' };
  let refused = 0;

  const dropSession = (remotePort: number) => {
    sockets.get(remotePort)?.destroy();
  };

  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: options.maxBytes,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        const current = mode;
        if (stream.sizeExceeded) {
          refused += 1;
          callback(Object.assign(new Error('message exceeds the size limit'), { responseCode: 552 }));
          return;
        }
        if (current.kind === 'drop') {
          refused += 1;
          dropSession(session.remotePort);
          return;
        }
        if (current.kind === 'refuse') {
          refused += 1;
          callback(Object.assign(new Error(current.message), { responseCode: current.code }));
          return;
        }
        const raw = Buffer.concat(chunks);
        const envelope: SinkEnvelope = {
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          rcptTo: session.envelope.rcptTo.map((r: SMTPServerAddress) => r.address),
        };
        simpleParser(raw).then(
          (parsed) => {
            const message: SinkMessage = { raw, parsed, envelope };
            messages.push(message);
            // Answer after the message is recorded, so a sender that saw 250 finds it here.
            callback(null, 'queued by the test sink');
            for (const w of [...waiters]) w(message);
          },
          (err: Error) => callback(err),
        );
      });
    },
  });
  server.on('error', () => {
    // Connection-level errors (a client that vanished) are part of what tests provoke.
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // The sockets are taken from the underlying net.Server: dropping a connection is something the
  // SMTP callbacks cannot do.
  const netServer = server.server;
  netServer.on('connection', (socket: Socket) => {
    const remotePort = socket.remotePort ?? -1;
    sockets.set(remotePort, socket);
    socket.once('close', () => sockets.delete(remotePort));
    if (mode.kind === 'drop' && mode.when === 'connect') {
      refused += 1;
      socket.destroy();
    }
  });
  const address = netServer.address();
  if (address === null || typeof address === 'string') throw new Error('the SMTP sink has no TCP address');

  return {
    host,
    port: address.port,
    get messages() {
      return messages;
    },
    get refused() {
      return refused;
    },
    waitFor(predicate, timeoutMs = 10_000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const onMessage = (m: SinkMessage) => {
          if (!predicate(m)) return;
          clearTimeout(timer);
          waiters.delete(onMessage);
          resolve(m);
        };
        const timer = setTimeout(() => {
          waiters.delete(onMessage);
          reject(new Error(`no matching message reached the SMTP sink within ${timeoutMs} ms (${messages.length} received)`));
        }, timeoutMs);
        waiters.add(onMessage);
      });
    },
    count(messageId) {
      const want = bare(messageId);
      return messages.filter((m) => m.parsed.messageId !== undefined && bare(m.parsed.messageId) === want).length;
    },
    refuse(code = 451, message = 'try again later') {
      mode = { kind: 'refuse', code, message };
    },
    drop(when = 'connect') {
      mode = { kind: 'drop', when };
    },
    accept() {
      mode = { kind: 'accept' };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets.values()) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
