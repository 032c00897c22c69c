/**
 * A local control socket (DATA_DIR/portdesk.sock) through which `portdesk` commands ask the
 * running daemon to act. The daemon holds the data directory; a second writer would overwrite its
 * changes, so commands that change records go through here while it runs. One JSON request per
 * connection, one JSON answer.
 */
import { chmod, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Desk } from '../app/desk.js';
import { putUser, removeUser } from '../app/users.js';
import { DeskError, summarizeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Account } from '../domain/records.js';

export type ControlRequest =
  | { cmd: 'ping' }
  | { cmd: 'complete'; id: string }
  | { cmd: 'cancel'; id: string; reason: string; code?: string }
  | { cmd: 'jobs-run' }
  | { cmd: 'import-accounts'; accounts: Account[] }
  | { cmd: 'unlock-pin'; accountId: string; carrier?: string; by?: string }
  | { cmd: 'review-dismiss'; id: string; note: string; by?: string }
  | { cmd: 'review-reprocess'; id: string; by?: string }
  /** A console user: the password hash, made by the command (no password crosses the socket). */
  | { cmd: 'users-put'; name: string; passwordHash: string; replace?: boolean }
  | { cmd: 'users-remove'; name: string };

/** A failure carries its code from src/errors.ts (or node's, for an error that has no desk code). */
export type ControlResponse = { ok: true; result?: unknown } | { ok: false; error: { code: string; message: string } };

export interface ControlServer {
  close(): Promise<void>;
}

export function controlSocketPath(dataDir: string): string {
  return path.join(dataDir, 'portdesk.sock');
}

export interface ControlDeps {
  desk: Desk;
  /** Runs the jobs now; rejects when one fails, and the command then fails with that error. */
  runJobs: () => Promise<unknown>;
  afterChange: () => void;
  log: Logger;
  importAccounts?: (accounts: Account[]) => Promise<unknown>;
  /** Clears a PIN lock (`portdesk accounts unlock-pin`). */
  unlockPin?: (accountId: string, carrier?: string, by?: string) => Promise<unknown>;
}

/** What the daemon does for one request, whichever way it came (this socket, or the database's commands table). */
export function createControlHandler(deps: ControlDeps): (req: ControlRequest) => Promise<unknown> {
  return async (req) => {
    switch (req.cmd) {
      case 'ping':
        return { pid: process.pid };
      case 'complete':
        return deps.desk.completeOrder(req.id);
      case 'cancel':
        return deps.desk.cancelOrder(req.id, req.reason, req.code);
      case 'jobs-run':
        return deps.runJobs();
      case 'review-dismiss':
        return deps.desk.dismissReview(req.id, req.note, req.by);
      case 'review-reprocess':
        return deps.desk.reprocessReview(req.id, req.by);
      case 'users-put':
        return putUser(deps.desk.core, req.name, req.passwordHash, { replace: req.replace === true });
      case 'users-remove':
        return removeUser(deps.desk.core, req.name);
      case 'import-accounts':
        if (!deps.importAccounts) throw new DeskError('CONTROL_UNSUPPORTED', 'import is not available');
        return deps.importAccounts(req.accounts);
      case 'unlock-pin':
        if (!deps.unlockPin) throw new DeskError('CONTROL_UNSUPPORTED', 'unlocking PINs is not available');
        return deps.unlockPin(req.accountId, req.carrier, req.by);
      default:
        throw new DeskError('CONTROL_BAD_REQUEST', `unknown command ${(req as { cmd?: unknown }).cmd}`);
    }
  };
}

export async function startControlServer(dataDir: string, deps: ControlDeps): Promise<ControlServer> {
  const socketPath = controlSocketPath(dataDir);
  // A socket file left by a killed daemon; the data-directory lock already proved none runs.
  await rm(socketPath, { force: true });
  const handle = createControlHandler(deps);

  const server = net.createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      const line = buffer.slice(0, nl);
      let req: ControlRequest;
      try {
        req = JSON.parse(line) as ControlRequest;
      } catch {
        socket.end(JSON.stringify({ ok: false, error: summarizeError(new DeskError('CONTROL_BAD_REQUEST', 'not JSON')) } satisfies ControlResponse) + '\n');
        return;
      }
      handle(req)
        .then((result) => {
          deps.afterChange();
          socket.end(JSON.stringify({ ok: true, result } satisfies ControlResponse) + '\n');
        })
        .catch((err: unknown) => {
          const error = summarizeError(err);
          deps.log.warn({ cmd: req.cmd, ...error }, 'control request failed');
          socket.end(JSON.stringify({ ok: false, error } satisfies ControlResponse) + '\n');
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  // Whoever can connect can import accounts and clear PIN locks: the owner only (the daemon's
  // umask already makes it so; this holds when the desk runs embedded under another umask).
  await chmod(socketPath, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        void rm(socketPath, { force: true });
      }),
  };
}

/** Sends one request to the running daemon; undefined when none answers on the socket. */
export function sendControlRequest(dataDir: string, req: ControlRequest, timeoutMs = 120_000): Promise<ControlResponse | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(controlSocketPath(dataDir));
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, error: summarizeError(new DeskError('CONTROL_TIMEOUT', `the daemon did not answer within ${timeoutMs} ms`)) });
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(JSON.stringify(req) + '\n'));
    socket.on('data', (c) => (buffer += c));
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buffer) as ControlResponse);
      } catch {
        resolve({ ok: false, error: summarizeError(new DeskError('CONTROL_BAD_RESPONSE')) });
      }
    });
    socket.on('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}
