/**
 * A private PostgreSQL for the tests: Debian's `postgresql` binaries (installed by
 * scripts/install-test-packages.sh), a fresh cluster from `initdb` in a temp directory, listening
 * on a free loopback port only. The distribution's system cluster (`pg_ctlcluster`, the
 * `postgresql` service) is never used.
 *
 * PostgreSQL refuses to run as root, so as root `initdb` and `pg_ctl` run as the `postgres` user
 * (`runuser -u postgres --`) with the data directory owned by it, below a world-traversable temp
 * directory; as an ordinary user they run as that user. Either way the cluster's superuser is
 * `postgres` with trust authentication, so `postgres://postgres@127.0.0.1:PORT/DB` needs no
 * password.
 *
 * The server settings live in the cluster's postgresql.conf (port, listen_addresses=127.0.0.1,
 * unix_socket_directories=the data directory, fsync=off), so a plain `pg_ctl -D DIR start` by hand
 * starts the same server. Start-up is `pg_ctl start -W` followed by our own connection attempts
 * every few milliseconds (pg_ctl's own wait polls in 100 ms steps); shutdowns signal the
 * postmaster directly, as `pg_ctl stop` does (SIGINT is `-m fast`, SIGQUIT `-m immediate`).
 */
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { findFreePort } from './free-port.js';

const execFileAsync = promisify(execFile);

const HOST = '127.0.0.1';
const SUPERUSER = 'postgres';
const INSTALL_HINT =
  "install Debian's package (`apt-get install postgresql`, or run scripts/install-test-packages.sh) " +
  'or set POSTGRES_BIN_DIR to a directory holding initdb, pg_ctl and postgres';

export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** The cluster's data directory (also the unix socket directory); its postmaster has it in its arguments. */
  readonly dataDir: string;
  /** How long initdb and the first start took, in milliseconds. */
  readonly timings: { initdbMs: number; startMs: number };
  /** A fresh empty database on this server; its URL. Names are unique per call. */
  createDatabase(): Promise<string>;
  /** pg_ctl restart -m fast, same port and data: for "the database restarted" tests. Resolves once it accepts connections again. */
  restart(): Promise<void>;
  /** Stops the server (for "the database is down" tests) and start() brings it back on the same port. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  /** pg_terminate_backend on every other connection to `database` (a dropped connection mid-transaction). Returns how many were ended. */
  terminateConnections(database: string): Promise<number>;
  /** The server's log, for failure messages. */
  readLog(): Promise<string>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

export interface TestPostgresOptions {
  /** How long a start waits for the server to accept connections before failing with its log (default 30 s). */
  startTimeoutMs?: number;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function hasServerBinaries(dir: string): boolean {
  return ['initdb', 'pg_ctl', 'postgres'].every((bin) => isExecutable(path.join(dir, bin)));
}

/**
 * The directory holding initdb, pg_ctl and postgres: `POSTGRES_BIN_DIR` if set, else the newest
 * Debian `/usr/lib/postgresql/N/bin`, else the directory `initdb` on the PATH resolves to.
 * Undefined when none has all three.
 */
export function postgresBinDir(): string | undefined {
  const fromEnv = process.env.POSTGRES_BIN_DIR;
  if (fromEnv) return hasServerBinaries(fromEnv) ? fromEnv : undefined;
  let versions: string[] = [];
  try {
    versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v));
  } catch {
    // No Debian packages.
  }
  for (const version of versions.sort((a, b) => Number(b) - Number(a))) {
    const dir = `/usr/lib/postgresql/${version}/bin`;
    if (hasServerBinaries(dir)) return dir;
  }
  for (const entry of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!entry) continue;
    const initdb = path.join(entry, 'initdb');
    if (!isExecutable(initdb)) continue;
    const dir = path.dirname(realpathSync(initdb));
    if (hasServerBinaries(dir)) return dir;
  }
  return undefined;
}

let cachedLocale: string | undefined;

/** C.UTF-8 where the C library has it (lower()/ILIKE then work beyond ASCII), else C. */
function clusterLocale(): string {
  if (cachedLocale === undefined) {
    let available = '';
    try {
      available = execFileSync('locale', ['-a'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      // No `locale` program: stay with C.
    }
    cachedLocale = available.split('\n').some((l) => l.trim().toLowerCase().replace('-', '') === 'c.utf8') ? 'C.UTF-8' : 'C';
  }
  return cachedLocale;
}

interface RunAs {
  /** undefined: run the binaries directly as ourselves. */
  user?: string;
  uid: number;
  gid: number;
}

function resolveRunAs(): RunAs {
  if (process.getuid?.() !== 0) return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  try {
    const uid = Number(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { user: SUPERUSER, uid, gid };
  } catch {
    throw new Error(
      `running as root, PostgreSQL must run as the \`${SUPERUSER}\` user, which does not exist: ${INSTALL_HINT} (the package creates it), or run the tests as an ordinary user`,
    );
  }
}

/** A temp root the `postgres` user can traverse (as root): os.tmpdir() if every ancestor is o+x, else /tmp. */
function tempRoot(asOtherUser: boolean): string {
  const preferred = os.tmpdir();
  if (!asOtherUser) return preferred;
  const traversable = (dir: string): boolean => {
    for (let d = path.resolve(dir); ; d = path.dirname(d)) {
      try {
        if ((statSync(d).mode & 0o001) === 0) return false;
      } catch {
        return false;
      }
      if (d === path.dirname(d)) return true;
    }
  };
  if (traversable(preferred)) return preferred;
  if (traversable('/tmp')) return '/tmp';
  throw new Error(`neither ${preferred} nor /tmp can be traversed by the ${SUPERUSER} user; set TMPDIR to a directory with o+x on every level`);
}

/** The environment without libpq/server variables (PGPORT, PGDATA, …) that could redirect the tools. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PG')) env[key] = value;
  return env;
}

/** Linux: true once the process is gone or a zombie (nobody may reap an orphaned postmaster at once). */
function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && existsSync('/proc/self/stat')) return true;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Live processes whose working directory is `dir` (Linux /proc). The postmaster changes into its
 * data directory and every child (checkpointer, backends, …) inherits it, so this finds them all,
 * also after the postmaster died and they were handed to init.
 */
async function processesIn(dir: string): Promise<number[]> {
  const found: number[] = [];
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = await readlink(`/proc/${entry}/cwd`);
      if ((cwd === dir || cwd === `${dir} (deleted)`) && !processGone(Number(entry))) found.push(Number(entry));
    } catch {
      // Ended while we looked, or not ours to inspect.
    }
  }
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (condition()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(5);
  }
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

class ForeignServerError extends Error {}

let instanceSeq = 0;

export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const binDir = postgresBinDir();
  if (binDir === undefined) {
    const where = process.env.POSTGRES_BIN_DIR ? `POSTGRES_BIN_DIR=${process.env.POSTGRES_BIN_DIR}` : '/usr/lib/postgresql/*/bin or the PATH';
    throw new Error(`no PostgreSQL server binaries (initdb, pg_ctl, postgres) in ${where}: ${INSTALL_HINT}`);
  }
  const runAs = resolveRunAs();

  const base = await mkdtemp(path.join(tempRoot(runAs.user !== undefined), 'portdesk-postgres-'));
  const dataDir = path.join(base, 'data');
  const logPath = path.join(base, 'postgres.log');
  const instance = ++instanceSeq;
  let databaseSeq = 0;
  let port = 0;
  /** The postmaster of the current run, once known; kept after it stopped so stray children can be found. */
  let postmasterPid: number | undefined;

  const readLogBytes = async () => readFile(logPath).catch(() => Buffer.alloc(0));
  const readLog = async () => (await readLogBytes()).toString('utf8') || '(no log written)';

  /** Runs a PostgreSQL program as the cluster's owner; rejects with its output. */
  const run = async (program: string, args: string[], timeoutMs = 120_000): Promise<string> => {
    const file = path.join(binDir, program);
    const [cmd, cmdArgs] = runAs.user ? ['runuser', ['-u', runAs.user, '--', file, ...args]] : [file, args];
    try {
      const { stdout, stderr } = await execFileAsync(cmd, cmdArgs, { cwd: base, env: cleanEnv(), timeout: timeoutMs });
      return stdout + stderr;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string; code?: unknown };
      if (e.code === 'ENOENT') throw new Error(`${cmd} not found (${e.message}): ${runAs.user ? 'runuser (util-linux) is needed as root' : INSTALL_HINT}`);
      throw new Error(`${program} ${args.join(' ')} failed: ${[e.stderr, e.stdout].filter(Boolean).join('\n').trim() || e.message}`);
    }
  };

  const readPidFile = (): number | undefined => {
    try {
      const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };

  const serverUrl = (database: string) => `postgres://${SUPERUSER}@${HOST}:${port}/${encodeURIComponent(database)}`;

  const withAdmin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: serverUrl('postgres'), connectionTimeoutMillis: 10_000 });
    client.on('error', () => {});
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => {});
    }
  };

  /** One connection attempt; true when it is our server and it accepts queries. */
  const probe = async (): Promise<boolean> => {
    const client = new pg.Client({ connectionString: serverUrl('postgres'), connectionTimeoutMillis: 1_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      const res = await client.query<{ dir: string }>(`SELECT current_setting('data_directory') AS dir`);
      if (res.rows[0]?.dir !== dataDir) {
        throw new ForeignServerError(`port ${port} is served by another PostgreSQL (data directory ${res.rows[0]?.dir}), not ours at ${dataDir}`);
      }
      return true;
    } catch (err) {
      if (err instanceof ForeignServerError) throw err;
      return false; // Refused, or "the database system is starting up" (57P03): not ready yet.
    } finally {
      await client.end().catch(() => {});
    }
  };

  const writeConfig = async (): Promise<void> => {
    const confPath = path.join(dataDir, 'postgresql.conf');
    const original = (await readFile(confPath, 'utf8')).split('\n# --- portdesk test instance ---\n')[0];
    const settings = [
      `listen_addresses = '${HOST}'`,
      `port = ${port}`,
      `unix_socket_directories = '${dataDir.replace(/'/g, "''")}'`,
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
    ];
    // Writing into the existing file keeps its owner (postgres) when we are root.
    await writeFile(confPath, `${original}\n# --- portdesk test instance ---\n# Written by test/support/postgres.ts.\n${settings.join('\n')}\n`);
  };

  /** Starts the server on `port` and resolves once it accepts connections; rejects with the log tail. */
  const launch = async (): Promise<void> => {
    const socketPath = path.join(dataDir, `.s.PGSQL.${port}`);
    if (Buffer.byteLength(socketPath) > 107) {
      throw new Error(`the unix socket path ${socketPath} is longer than the 107 bytes the kernel allows; set TMPDIR to a shorter directory`);
    }
    const logOffset = (await readLogBytes()).length;
    const logSince = async () => (await readLogBytes()).subarray(logOffset).toString('utf8');
    const failure = async (why: string) => {
      const log = await logSince();
      const err = new Error(`PostgreSQL (${dataDir}, port ${port}) ${why}\n--- server log (tail) ---\n${tail(log)}`);
      (err as Error & { addressInUse?: boolean }).addressInUse = /could not bind|Address already in use/.test(log);
      return err;
    };
    // -W: pg_ctl returns once the postmaster is forked; readiness is ours to find out, faster.
    await run('pg_ctl', ['start', '-W', '-D', dataDir, '-l', logPath], 30_000);
    const deadline = Date.now() + startTimeoutMs;
    let seenPid: number | undefined;
    for (;;) {
      const pid = readPidFile();
      if (pid !== undefined) seenPid = pid;
      if (await probe()) {
        postmasterPid = readPidFile() ?? seenPid;
        return;
      }
      // A postmaster that wrote its pid file and is gone, or that failed before writing it.
      const stillPid = readPidFile();
      if (seenPid !== undefined && (stillPid === undefined || processGone(seenPid))) throw await failure('exited during start-up');
      if (seenPid === undefined && stillPid === undefined && /\b(FATAL|PANIC):/.test(await logSince())) {
        throw await failure('failed to start');
      }
      if (Date.now() > deadline) {
        postmasterPid = stillPid ?? seenPid;
        await shutdown();
        throw await failure(`did not accept connections within ${startTimeoutMs} ms`);
      }
      await sleep(10);
    }
  };

  /**
   * Stops the postmaster and waits until it and its children are gone: fast shutdown (SIGINT, what
   * `pg_ctl stop -m fast` sends), then immediate (SIGQUIT), then SIGKILL. Safe when it already died.
   */
  const shutdown = async (): Promise<void> => {
    const pid = readPidFile() ?? postmasterPid;
    const cluster = await processesIn(dataDir);
    if (pid !== undefined && !processGone(pid)) {
      postmasterPid = pid;
      const down = () => processGone(pid) && readPidFile() !== pid;
      signalPid(pid, 'SIGINT');
      if (!(await waitFor(down, 15_000))) {
        signalPid(pid, 'SIGQUIT');
        if (!(await waitFor(down, 5_000))) {
          for (const p of await processesIn(dataDir)) signalPid(p, 'SIGKILL');
          signalPid(pid, 'SIGKILL');
          await waitFor(() => processGone(pid), 5_000);
        }
      }
    }
    // Children notice the postmaster's death by themselves (also when it was killed outright
    // before we got here); make sure none outlives it.
    const all = async () => [...new Set([...cluster, ...(await processesIn(dataDir))])];
    let left = await all();
    if (!(await waitFor(() => left.every(processGone), 5_000))) {
      left = await all();
      for (const p of left) signalPid(p, 'SIGKILL');
      await waitFor(() => left.every(processGone), 5_000);
    }
    // A postmaster killed outright leaves its pid file (and its small System V shared memory
    // segment, whose id is on the file's 7th line); the next start must not trip over them.
    const stale = readPidFile();
    if (stale !== undefined && processGone(stale)) {
      const pidFile = path.join(dataDir, 'postmaster.pid');
      const shmid = (await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[6]?.trim().split(/\s+/)[1];
      if (shmid && /^\d+$/.test(shmid)) await execFileAsync('ipcrm', ['-m', shmid]).catch(() => {});
      await rm(pidFile, { force: true });
    }
  };

  // Should the test process end without stop(), take the server down with it.
  const onExit = () => {
    const pid = readPidFile() ?? postmasterPid;
    if (pid !== undefined) signalPid(pid, 'SIGQUIT');
    try {
      rmSync(base, { recursive: true, force: true });
    } catch {
      // Best effort.
    }
  };
  process.on('exit', onExit);

  const cleanUp = async () => {
    process.off('exit', onExit);
    await shutdown().catch(() => {});
    await rm(base, { recursive: true, force: true });
  };

  let initdbMs = 0;
  let startMs = 0;
  try {
    await chmod(base, 0o755);
    await mkdir(dataDir, { mode: 0o700 });
    await writeFile(logPath, '', { mode: 0o600 });
    if (runAs.user) {
      await chown(dataDir, runAs.uid, runAs.gid);
      await chown(logPath, runAs.uid, runAs.gid);
    }
    const t0 = performance.now();
    await run('initdb', [
      '-D', dataDir,
      '-U', SUPERUSER,
      '--auth=trust',
      '--no-sync',
      '--no-instructions',
      '--encoding=UTF8',
      `--locale=${clusterLocale()}`,
    ]);
    initdbMs = performance.now() - t0;

    // Another process may take the free port before the postmaster binds it: try a new one.
    for (let attempt = 1; ; attempt++) {
      port = await findFreePort(HOST);
      await writeConfig();
      const t1 = performance.now();
      try {
        await launch();
        startMs = performance.now() - t1;
        break;
      } catch (err) {
        const portTaken = (err as { addressInUse?: boolean }).addressInUse || err instanceof ForeignServerError;
        if (!portTaken || attempt >= 3) throw err;
        await shutdown();
      }
    }
  } catch (err) {
    await cleanUp();
    throw err;
  }

  const server: TestPostgres = {
    url: serverUrl('postgres'),
    port,
    dataDir,
    timings: { initdbMs: Math.round(initdbMs), startMs: Math.round(startMs) },
    createDatabase: async () => {
      const name = `portdesk_test_${instance}_${++databaseSeq}`;
      await withAdmin((client) => client.query(`CREATE DATABASE ${quoteIdent(name)}`));
      return serverUrl(name);
    },
    restart: async () => {
      await shutdown();
      await launch();
    },
    stopServer: shutdown,
    startServer: async () => {
      const pid = readPidFile();
      if (pid !== undefined && !processGone(pid) && (await probe())) return;
      await launch();
    },
    terminateConnections: (database) =>
      withAdmin(async (client) => {
        // The timeout makes pg_terminate_backend wait until the backend has exited.
        const res = await client.query<{ ended: string }>(
          `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) AS ended
             FROM pg_stat_activity
            WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
          [database],
        );
        return Number(res.rows[0]?.ended ?? 0);
      }),
    readLog,
    stop: cleanUp,
  };
  return server;
}
