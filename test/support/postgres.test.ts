/**
 * The PostgreSQL harness works end to end: test/support/postgres.ts starts a private server from
 * Debian's binaries on a free loopback port, hands out isolated databases, survives a restart, a
 * stop and start and dropped connections the way a client pool sees them, and leaves no process
 * behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readlinkSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { postgresBinDir, startTestPostgres, type TestPostgres } from './postgres.js';

let server: TestPostgres;
let startedInMs = 0;
const pools: pg.Pool[] = [];
const clients: pg.Client[] = [];

/** Lines of `ps` whose arguments name the directory (the postmaster runs with `-D DIR`). */
function psLinesWith(dir: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(dir));
}

/** Live (non-zombie) processes whose working directory is the data directory: the postmaster and all its children. */
function clusterProcesses(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readlinkSync(`/proc/${entry}/cwd`).startsWith(dataDir)) continue;
      const stat = execFileSync('ps', ['-o', 'stat=', '-p', entry], { encoding: 'utf8' }).trim();
      if (stat && !stat.startsWith('Z')) pids.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return pids;
}

function makePool(url: string, errors: Error[] = []): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  // An idle client whose connection drops is reported here; without a listener it would crash the process.
  pool.on('error', (err) => errors.push(err));
  pools.push(pool);
  return pool;
}

async function makeClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  clients.push(client);
  await client.connect();
  return client;
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

beforeAll(async () => {
  const t0 = performance.now();
  server = await startTestPostgres();
  startedInMs = Math.round(performance.now() - t0);
  console.info(
    `test PostgreSQL on port ${server.port} ready in ${startedInMs} ms (initdb ${server.timings.initdbMs} ms, start ${server.timings.startMs} ms)`,
  );
});

afterAll(async () => {
  for (const client of clients) await client.end().catch(() => {});
  for (const pool of pools) await pool.end().catch(() => {});
  await server?.stop();
});

describe('test PostgreSQL', () => {
  it('finds the server binaries and serves its URL on a loopback port', async () => {
    expect(postgresBinDir()).toBeDefined();
    expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
    expect(startedInMs).toBeGreaterThan(0);
    const client = await makeClient(server.url);
    const res = await client.query<{ user: string; fsync: string; listen: string; socket: string }>(
      `SELECT current_user AS user, current_setting('fsync') AS fsync,
              current_setting('listen_addresses') AS listen, current_setting('unix_socket_directories') AS socket`,
    );
    expect(res.rows[0]).toEqual({ user: 'postgres', fsync: 'off', listen: '127.0.0.1', socket: server.dataDir });
    await client.end();
  });

  it('creates fresh databases that do not see each other', async () => {
    const [urlA, urlB] = await Promise.all([server.createDatabase(), server.createDatabase()]);
    expect(urlA).not.toBe(urlB);
    const a = await makeClient(urlA!);
    const b = await makeClient(urlB!);
    await a.query('CREATE TABLE only_in_a (id int PRIMARY KEY, note text)');
    await a.query(`INSERT INTO only_in_a VALUES (1, 'Zürich')`);
    const inA = await a.query(`SELECT note, upper(note) AS shout FROM only_in_a`);
    expect(inA.rows).toEqual([{ note: 'Zürich', shout: 'ZÜRICH' }]);
    const inB = await b.query(`SELECT to_regclass('only_in_a') AS t, current_database() AS db`);
    expect(inB.rows[0].t).toBeNull();
    expect(urlB).toBe(`postgres://postgres@127.0.0.1:${server.port}/${inB.rows[0].db}`);
    await expect(b.query('SELECT * FROM only_in_a')).rejects.toThrow(/does not exist/);
    // Empty: no tables of its own in the public schema.
    const tables = await b.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`);
    expect(tables.rows[0].n).toBe(0);
    await a.end();
    await b.end();
  });

  it('restarts with the same port and data; a pool carries on with new connections', async () => {
    const url = await server.createDatabase();
    const errors: Error[] = [];
    const pool = makePool(url, errors);
    await pool.query('CREATE TABLE kept (v text)');
    await pool.query(`INSERT INTO kept VALUES ('before restart')`);
    const before = await pool.query<{ pid: number; started: Date }>('SELECT pg_backend_pid() AS pid, pg_postmaster_start_time() AS started');

    const t0 = performance.now();
    await server.restart();
    console.info(`restart took ${Math.round(performance.now() - t0)} ms`);

    const after = await pool.query<{ pid: number; started: Date }>('SELECT pg_backend_pid() AS pid, pg_postmaster_start_time() AS started');
    expect(after.rows[0]!.pid).not.toBe(before.rows[0]!.pid);
    expect(after.rows[0]!.started.getTime()).toBeGreaterThan(before.rows[0]!.started.getTime());
    expect((await pool.query('SELECT v FROM kept')).rows).toEqual([{ v: 'before restart' }]);
    // The idle connection was ended by the shutdown ("terminating connection due to administrator command").
    expect(errors.map((e) => (e as Error & { code?: string }).code)).toEqual(['57P01']);
  });

  it('ends every other connection to a database, mid-transaction too, and the pool recovers', async () => {
    const url = await server.createDatabase();
    const errors: Error[] = [];
    const pool = makePool(url, errors);
    await pool.query('CREATE TABLE t (id int)');
    // Two connections: one held in a transaction, one idle in the pool.
    const held = await pool.connect();
    const idle = await pool.connect();
    idle.release();
    const heldErrors: Error[] = [];
    held.on('error', (err) => heldErrors.push(err));
    await held.query('BEGIN');
    await held.query('INSERT INTO t VALUES (1)');
    // A connection to another database is left alone.
    const bystander = await makeClient(server.url);

    expect(await server.terminateConnections(new URL(url).pathname.slice(1))).toBe(2);

    await expect(held.query('SELECT 1')).rejects.toThrow();
    held.release(true);
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    // "terminating connection due to administrator command", then pg's "Connection terminated unexpectedly".
    expect((heldErrors[0] as (Error & { code?: string }) | undefined)?.code).toBe('57P01');
    // New connection; the open transaction was rolled back.
    expect((await pool.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(0);
    expect((await bystander.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    expect(await server.terminateConnections('no_such_database')).toBe(0);
    await bystander.end();
  });

  it('stops the server and starts it again on the same port', async () => {
    const url = await server.createDatabase();
    const pool = makePool(url);
    await pool.query('CREATE TABLE survives (v int)');
    await pool.query('INSERT INTO survives VALUES (42)');

    let t0 = performance.now();
    await server.stopServer();
    const stopMs = Math.round(performance.now() - t0);
    expect(await refuses(server.port)).toBe(true);
    await expect(pool.query('SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
    await server.stopServer(); // Stopping a stopped server is fine.

    t0 = performance.now();
    await server.startServer();
    console.info(`stopServer took ${stopMs} ms, startServer ${Math.round(performance.now() - t0)} ms`);
    await server.startServer(); // Starting a running server is fine.
    expect((await pool.query('SELECT v FROM survives')).rows).toEqual([{ v: 42 }]);
  });

  it('says why the server did not start, with its log', async () => {
    await server.stopServer();
    // Something else took the port meanwhile (it hangs up on every connection).
    const squatter = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(server.port, '127.0.0.1', resolve));
    try {
      await expect(server.startServer()).rejects.toThrow(/port \d+\)[^]*--- server log \(tail\) ---[^]*Address already in use/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    await server.startServer();
    expect(await refuses(server.port)).toBe(false);
  });

  it('says what is missing when there are no binaries', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'portdesk-no-postgres-'));
    vi.stubEnv('POSTGRES_BIN_DIR', empty);
    try {
      expect(postgresBinDir()).toBeUndefined();
      await expect(startTestPostgres()).rejects.toThrow(/apt-get install postgresql/);
    } finally {
      vi.unstubAllEnvs();
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('cleans up a server that already died', async () => {
    const other = await startTestPostgres();
    const client = await makeClient(other.url);
    const processes = clusterProcesses(other.dataDir);
    expect(processes.length).toBeGreaterThan(3);
    const postmaster = Number(psLinesWith(other.dataDir)[0]?.trim().split(/\s+/)[0]);
    process.kill(postmaster, 'SIGKILL');
    await other.stop();
    expect(clusterProcesses(other.dataDir)).toEqual([]);
    expect(psLinesWith(other.dataDir)).toEqual([]);
    expect(existsSync(other.dataDir)).toBe(false);
    await client.end().catch(() => {});
  });

  it('stop() leaves no process of the server and removes its directory', async () => {
    const { dataDir } = server;
    const before = psLinesWith(dataDir);
    expect(before).toHaveLength(1); // The postmaster, `postgres -D DATADIR`.
    const processes = clusterProcesses(dataDir);
    expect(processes.length).toBeGreaterThan(3); // Plus checkpointer, background writer, walwriter, …

    const t0 = performance.now();
    await server.stop();
    console.info(`stop took ${Math.round(performance.now() - t0)} ms`);

    expect(psLinesWith(dataDir)).toEqual([]);
    expect(clusterProcesses(dataDir)).toEqual([]);
    const ps = execFileSync('ps', ['-eo', 'pid=,stat='], { encoding: 'utf8' });
    const live = new Set(ps.split('\n').filter((l) => l.trim() && !l.trim().split(/\s+/)[1]!.startsWith('Z')).map((l) => Number(l.trim().split(/\s+/)[0])));
    expect(processes.filter((pid) => live.has(pid))).toEqual([]);
    expect(existsSync(path.dirname(dataDir))).toBe(false);
    await server.stop(); // Twice is fine.
  });
});
