/**
 * A private Dovecot for the mail tests: its own config, users file, maildirs and log in a temp
 * directory, listening on a free loopback port. The distribution's system service is never used.
 *
 * Dovecot refuses to run its login and mail processes as root, so as root the internal processes
 * run as `dovecot`/`dovenull` and the mail users as `nobody`; as an ordinary user everything runs
 * as that user.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import type { ImapConfig } from '../../src/config.js';
import { findFreePort } from './free-port.js';

const execFileAsync = promisify(execFile);

const DOVECOT = process.env.DOVECOT_BIN ?? '/usr/sbin/dovecot';
const DOVEADM = process.env.DOVEADM_BIN ?? 'doveadm';
export const DOVECOT_PASSWORD = 'secret';

export interface DovecotOptions {
  users: string[];
  /** Hierarchy separator of the personal namespace (default '/'). */
  separator?: string;
  /** Prefix of the personal namespace (default none), e.g. 'INBOX.' like Courier-style servers. */
  prefix?: string;
  /** How long start() waits for the greeting before giving up with Dovecot's log. */
  startTimeoutMs?: number;
}

export interface MessageSummary {
  uid: number;
  messageId?: string;
}

export interface FolderSummary {
  path: string;
  delimiter: string;
}

export interface DovecotServer {
  readonly host: string;
  readonly port: number;
  /** The temp directory holding config, users, maildirs and the log. */
  readonly baseDir: string;
  imapConfig(user: string, mailbox?: string): ImapConfig;
  /** Appends a raw message; resolves with its UID. */
  append(user: string, mailbox: string, raw: string | Buffer): Promise<number>;
  /** UIDs and Message-IDs of a mailbox, in UID order. */
  list(user: string, mailbox: string): Promise<MessageSummary[]>;
  /** Every folder of the user as the server lists it. */
  folders(user: string): Promise<FolderSummary[]>;
  createMailbox(user: string, mailbox: string): Promise<void>;
  /**
   * Drops every IMAP connection of the user (doveadm kick) and resolves once their processes
   * exited; false when the user had no connection. `waitMs` (default 1 s) bounds the wait for
   * Dovecot's connection registry to list a session that has just logged in.
   */
  kick(user: string, options?: { waitMs?: number }): Promise<boolean>;
  /**
   * Stops (SIGSTOP) the user's session processes: their connections stay open but nothing is
   * answered, like a peer that vanished without a FIN. Resolves with a function that resumes them.
   */
  freeze(user: string): Promise<() => void>;
  /** Stops and starts the server on the same port with the same data. */
  restart(): Promise<void>;
  /**
   * Empties the mailbox and gives it a new UIDVALIDITY, with UIDs starting again at 1. For INBOX
   * (which cannot be deleted) the user's open sessions are dropped as part of it.
   */
  recreateMailbox(user: string, mailbox: string): Promise<void>;
  /** Dovecot's own log, for failure messages. */
  readLog(): Promise<string>;
  stop(): Promise<void>;
}

interface Identity {
  internalUser: string;
  internalGroup: string;
  loginUser: string;
  mailUid: number;
  mailGid: number;
}

function resolveIdentity(): Identity {
  if (process.getuid?.() === 0) {
    const mailUid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
    const mailGid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());
    return { internalUser: 'dovecot', internalGroup: 'dovecot', loginUser: 'dovenull', mailUid, mailGid };
  }
  const me = os.userInfo();
  const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
  return { internalUser: me.username, internalGroup: group, loginUser: me.username, mailUid: me.uid, mailGid: me.gid };
}

function renderConfig(base: string, port: number, id: Identity, separator: string, prefix: string): string {
  return `protocols = imap
listen = 127.0.0.1
base_dir = ${base}/run
state_dir = ${base}/state
instance_name = portdesk-test-${port}
log_path = ${base}/dovecot.log
default_internal_user = ${id.internalUser}
default_internal_group = ${id.internalGroup}
default_login_user = ${id.loginUser}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# A wrong password is answered at once instead of after the default 2 s penalty.
auth_failure_delay = 0
mail_fsync = never
# Puts "imap [user ip]" in each session process title, so kick() finds a session before anvil lists it.
verbose_proctitle = yes
mail_max_userip_connections = 100
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${base}/users
}
userdb {
  driver = passwd-file
  args = username_format=%u ${base}/users
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = ${separator}
  prefix = ${prefix}
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service stats {
  chroot =
}
`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

function homeName(user: string): string {
  return user.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Resolves once the server sends its greeting; rejects on the first failed attempt. */
function probeGreeting(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1000);
    socket.once('data', (chunk) => {
      socket.destroy();
      if (chunk.toString('latin1').startsWith('* OK')) resolve();
      else reject(new Error(`unexpected greeting: ${chunk.toString('latin1').slice(0, 80)}`));
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error('greeting timeout'));
    });
    socket.once('error', (err) => {
      socket.destroy();
      reject(err);
    });
  });
}

export async function startDovecot(options: DovecotOptions): Promise<DovecotServer> {
  const host = '127.0.0.1';
  const separator = options.separator ?? '/';
  const prefix = options.prefix ?? '';
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const id = resolveIdentity();

  const base = await mkdtemp(path.join(os.tmpdir(), 'portdesk-dovecot-'));
  // Dovecot's unprivileged processes must be able to traverse to the users file and the homes.
  await chmod(base, 0o755);
  await mkdir(path.join(base, 'run'), { mode: 0o755 });
  await mkdir(path.join(base, 'state'), { mode: 0o755 });
  await mkdir(path.join(base, 'home'), { mode: 0o755 });
  const homes = new Map<string, string>();
  for (const user of options.users) {
    const home = path.join(base, 'home', homeName(user));
    await mkdir(home, { mode: 0o700 });
    await chown(home, id.mailUid, id.mailGid);
    homes.set(user, home);
  }
  await writeFile(
    path.join(base, 'users'),
    options.users.map((u) => `${u}:{PLAIN}${DOVECOT_PASSWORD}:${id.mailUid}:${id.mailGid}::${homes.get(u)}`).join('\n') + '\n',
    { mode: 0o644 },
  );

  const port = await findFreePort(host);
  const configPath = path.join(base, 'dovecot.conf');
  await writeFile(configPath, renderConfig(base, port, id, separator, prefix), { mode: 0o644 });

  let master: ChildProcess | undefined;
  let masterExit: Promise<void> = Promise.resolve();

  const readLog = async () => readFile(path.join(base, 'dovecot.log'), 'utf8').catch(() => '(no log written)');

  const doveadm = async (args: string[]): Promise<string> => {
    try {
      const { stdout } = await execFileAsync(DOVEADM, ['-c', configPath, ...args], { timeout: 15_000 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`doveadm ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
    }
  };

  const launch = async (): Promise<void> => {
    // -F keeps the master in the foreground as our child, so its exit is an event we can await
    // instead of a pid file to poll. `detached` makes it a process-group leader: its imap
    // processes outlive a SIGTERM to the master alone (they would keep serving the old
    // connections across a "restart"), so stop signals the whole group, as a service manager does.
    const child = spawn(DOVECOT, ['-F', '-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    let exited = false;
    masterExit = new Promise<void>((resolve) => {
      child.once('exit', () => {
        exited = true;
        resolve();
      });
      child.once('error', (err) => {
        stderr += String(err);
        exited = true;
        resolve();
      });
    });
    master = child;
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (exited) {
        master = undefined;
        throw new Error(`Dovecot exited during start-up:\n${stderr}\n--- dovecot.log ---\n${await readLog()}`);
      }
      try {
        await probeGreeting(host, port);
        return;
      } catch {
        // Not listening yet: the master forks its listeners just after we spawned it.
      }
      if (Date.now() > deadline) {
        await shutdown();
        throw new Error(`Dovecot did not greet on ${host}:${port} within ${startTimeoutMs} ms\n--- dovecot.log ---\n${await readLog()}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  const groupAlive = (pgid: number): boolean => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };

  const signalGroup = (pgid: number, signal: NodeJS.Signals): void => {
    try {
      process.kill(-pgid, signal);
    } catch {
      // Already gone.
    }
  };

  const shutdown = async (): Promise<void> => {
    const child = master;
    master = undefined;
    const pgid = child?.pid;
    if (!child || pgid === undefined) return;
    signalGroup(pgid, 'SIGTERM');
    const exited = await Promise.race([masterExit.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
    if (!exited) signalGroup(pgid, 'SIGKILL');
    await masterExit;
    // Processes of the group that ignored SIGTERM, if any, must not keep serving old sessions.
    for (let i = 0; i < 100 && groupAlive(pgid); i++) {
      if (i === 40) signalGroup(pgid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  /** The imap session processes of `user` in this instance (Linux /proc; verbose_proctitle). */
  const findSessionPids = async (user: string): Promise<number[]> => {
    const pgid = master?.pid;
    if (pgid === undefined) return [];
    const title = `/imap [${user} `;
    const pids: number[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
        // Fields after the parenthesised command name: state, ppid, pgrp, ...
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(rest[2]) !== pgid) continue;
        const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replace(/\0/g, ' ');
        if (cmdline.includes(title)) pids.push(Number(entry));
      } catch {
        // The process ended while we looked.
      }
    }
    return pids;
  };

  const withClient = async <T>(user: string, fn: (client: ImapFlow) => Promise<T>): Promise<T> => {
    const client = new ImapFlow({
      host,
      port,
      secure: false,
      doSTARTTLS: false,
      auth: { user, pass: DOVECOT_PASSWORD },
      logger: false,
      disableAutoIdle: true,
    });
    client.on('error', () => {});
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.logout().catch(() => client.close());
    }
  };

  await launch();

  const server: DovecotServer = {
    host,
    port,
    baseDir: base,
    imapConfig: (user, mailbox = 'INBOX') => ({ host, port, secure: false, user, password: DOVECOT_PASSWORD, mailbox }),
    append: (user, mailbox, raw) =>
      withClient(user, async (client) => {
        const res = await client.append(mailbox, typeof raw === 'string' ? Buffer.from(raw) : raw);
        if (!res || res.uid === undefined) throw new Error(`append to ${mailbox} returned no UID`);
        return res.uid;
      }),
    list: (user, mailbox) =>
      withClient(user, async (client) => {
        const box = await client.mailboxOpen(mailbox, { readOnly: true });
        if (box.exists === 0) return [];
        const rows = await client.fetchAll('1:*', { uid: true, envelope: true });
        return rows
          .map((m) => ({ uid: m.uid, messageId: m.envelope?.messageId }))
          .sort((a, b) => a.uid - b.uid);
      }),
    folders: (user) =>
      withClient(user, async (client) => (await client.list()).map((f) => ({ path: f.path, delimiter: f.delimiter }))),
    createMailbox: (user, mailbox) =>
      withClient(user, async (client) => {
        await client.mailboxCreate(mailbox);
      }),
    kick: async (user, { waitMs = 1000 } = {}) => {
      // anvil, which `doveadm kick` asks, learns of a login a moment after the client saw OK, and
      // may still list a session that is logging out; a kick based on it alone can miss the
      // connection the test means. So the sessions are found as processes of this instance
      // (titled "imap [user ip]"), anvil is given time to list them, and the kick only counts
      // once they have exited.
      const pids = await findSessionPids(user);
      if (pids.length === 0) return false;
      const deadline = Date.now() + waitMs;
      for (;;) {
        const listed = await doveadm(['who', '-1', user]);
        const known = new Set(listed.split('\n').slice(1).map((line) => Number(line.trim().split(/\s+/)[2])));
        if (pids.every((pid) => known.has(pid)) || Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      try {
        await execFileAsync(DOVEADM, ['-c', configPath, 'kick', user], { timeout: 15_000 });
      } catch (err) {
        // Exit code 68 is doveadm's "no users kicked"; the signal below still drops them.
        if ((err as { code?: unknown }).code !== 68) throw err;
      }
      // doveadm kick signals the session processes; do the same for any it did not know yet.
      for (const pid of pids) signalPid(pid, 'SIGTERM');
      for (let i = 0; i < 500 && pids.some(pidAlive); i++) await new Promise((r) => setTimeout(r, 10));
      return true;
    },
    freeze: async (user) => {
      const pids = await findSessionPids(user);
      if (pids.length === 0) throw new Error(`no IMAP session of ${user} to freeze`);
      for (const pid of pids) signalPid(pid, 'SIGSTOP');
      return () => pids.forEach((pid) => signalPid(pid, 'SIGCONT'));
    },
    restart: async () => {
      await shutdown();
      await launch();
    },
    recreateMailbox: async (user, mailbox) => {
      if (mailbox.toUpperCase() === 'INBOX') {
        // INBOX cannot be deleted. Expunge it, then drop its UID list and indexes so Dovecot
        // rebuilds them with a fresh UIDVALIDITY (from its per-user dovecot-uidvalidity counter)
        // and UIDs from 1 — what a recreated folder looks like to a client.
        await doveadm(['expunge', '-u', user, 'mailbox', 'INBOX', 'all']);
        const maildir = path.join(homes.get(user) ?? '', 'Maildir');
        for (const f of ['dovecot-uidlist', 'dovecot.index', 'dovecot.index.log', 'dovecot.index.cache', 'dovecot.index.log.2']) {
          await rm(path.join(maildir, f), { force: true });
        }
        await doveadm(['mailbox', 'status', '-u', user, 'uidvalidity', 'INBOX']);
        // Sessions that had INBOX open now hold an index that no longer exists; Dovecot would
        // only notice at their next command and idles on. A real server ends such sessions, so
        // end them here too.
        await server.kick(user, { waitMs: 0 });
        return;
      }
      await doveadm(['mailbox', 'delete', '-u', user, mailbox]);
      await doveadm(['mailbox', 'create', '-u', user, mailbox]);
    },
    readLog,
    stop: async () => {
      await shutdown();
      await rm(base, { recursive: true, force: true });
    },
  };
  return server;
}
