/**
 * The one root logger. JSON lines by default (for journald and log shippers), readable when
 * stdout is a terminal. Redaction is the last line of defence: code should not pass secrets or
 * bodies to the logger at all.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'password',
  'pin',
  'portOutPin',
  'text',
  'html',
  'body',
  'raw',
  '*.password',
  '*.pin',
  '*.portOutPin',
  '*.text',
  '*.html',
  '*.body',
  '*.raw',
  'provided.pin',
  '*.provided.pin',
];

export function createLogger(
  level: string = 'info',
  { pretty = process.stdout.isTTY === true, destination }: { pretty?: boolean; destination?: pino.DestinationStream } = {},
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { app: 'portdesk' },
    redact: { paths: REDACT, censor: '[redacted]' },
  };
  if (destination) return pino(options, destination);
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard', ignore: 'pid,hostname,app' } } });
  }
  return pino(options);
}

/**
 * The logger for commands that print their own output: warnings and errors only (unless LOG_LEVEL
 * asks for more), on stderr, so `--json` output on stdout stays parseable.
 */
export function createCommandLogger(level: string = 'info'): Logger {
  return createLogger(level === 'info' ? 'warn' : level, { destination: pino.destination({ fd: 2, sync: true }) });
}

/** A logger that drops everything, for tests and one-shot commands that print their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
