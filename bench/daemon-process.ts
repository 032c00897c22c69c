/**
 * The daemon as deployed, for the scenarios that measure it from outside (growth, accounts-sync):
 * built once per `npm run bench` (`npm run build`), then started as `node dist/cli.js start` in a
 * process of its own — no TypeScript loader, no benchmark code — so its resident memory is the
 * daemon's alone. Its memory is read from /proc.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** What `portdesk start` prints on standard error once the daemon (and its mail source) runs. */
export const READY_BANNER = 'portdesk is running.';
export const MB = 2 ** 20;

/**
 * `npm run build`, so the daemon runs from the current sources: once per bench run (the first
 * scenario that needs it leaves a mark in BENCH_RUN_DIR), every time without BENCH_RUN_DIR.
 */
export async function buildDaemonOnce(): Promise<void> {
  const mark = process.env.BENCH_RUN_DIR ? path.join(process.env.BENCH_RUN_DIR, 'daemon-built') : undefined;
  if (mark && (await access(mark).then(() => true, () => false))) return;
  try {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as Error & { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`npm run build failed:\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`);
  }
  if (mark) await writeFile(mark, new Date().toISOString());
}

export interface DaemonProcess {
  child: ChildProcess;
  /** Resolves once the banner is printed; rejects if the daemon exits first. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** Node flags for the daemon (BENCH_DAEMON_NODE_FLAGS, a CPU profile…). */
  nodeFlags?: string[];
  /** Each line the daemon writes on standard output (its log, JSON). Default: echoed to stderr. */
  onStdoutLine?: (line: string) => void;
}

/** Starts the built daemon with only the environment a deployment would give it. */
export function spawnDaemon(env: Record<string, string>, opts: SpawnOptions = {}): DaemonProcess {
  const flags = opts.nodeFlags ?? (process.env.BENCH_DAEMON_NODE_FLAGS ? process.env.BENCH_DAEMON_NODE_FLAGS.split(' ').filter(Boolean) : []);
  const child = spawn(process.execPath, [...flags, path.join(ROOT, 'dist', 'cli.js'), 'start'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let early = '';
  let started = false;
  if (opts.onStdoutLine) {
    let partial = '';
    child.stdout!.on('data', (c: Buffer) => {
      const lines = (partial + c.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line.trim()) opts.onStdoutLine!(line);
    });
  } else {
    // Warnings and errors (pino, on stdout) are worth seeing; the banner is not.
    child.stdout!.on('data', (c: Buffer) => process.stderr.write(`[daemon] ${c.toString()}`));
  }
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      if (started) return void process.stderr.write(`[daemon] ${c.toString()}`);
      early += c.toString();
      if (early.includes(READY_BANNER)) {
        started = true;
        resolve();
      }
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (!started) reject(new Error(`daemon exited (${signal ?? code}) before it was running:\n${early}`));
    });
  });
  // A caller that stops waiting (a failed scenario) must not leave an unhandled rejection.
  ready.catch(() => undefined);
  return {
    child,
    ready,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** VmRSS and VmHWM of a process, in MB, from /proc (Linux). */
export async function readMemory(pid: number): Promise<{ rssMB: number; hwmMB: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(m[1]) / 1024;
  };
  return { rssMB: kb('VmRSS'), hwmMB: kb('VmHWM') };
}

/** Bytes the process had written to storage (/proc/<pid>/io `write_bytes`), or undefined where not readable. */
export async function readWriteBytes(pid: number): Promise<number | undefined> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8').catch(() => undefined);
  const m = io ? /^write_bytes:\s+(\d+)/m.exec(io) : null;
  return m ? Number(m[1]) : undefined;
}
