/**
 * Runs the built `portdesk` binary (`node dist/cli.js …`) as a child process, the way an operator
 * or a script does, with an environment given explicitly: a developer's IMAP_/SMTP_ settings or
 * .env never leak into a test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The bare environment a child gets: a PATH to find node and npm, a HOME for npm, the console off, and `env`. */
export function childEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  // The console off unless a test asks for it (HTTP_PORT): parallel daemons would all want 8025.
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? os.tmpdir(), HTTP_PORT: '0' };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) base[k] = v;
  return base;
}

/** Runs `command args…` to its end. */
export function runProcess(
  command: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number; input?: string },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: childEnv(opts.env), stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 30_000} ms\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** `portdesk args…` with the built binary; `input` is written to its standard input. */
export function runCli(args: string[], opts: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number; input?: string }): Promise<CliResult> {
  return runProcess(process.execPath, [CLI, ...args], opts);
}

/** Parses a command's `--json` output, saying what came out when it is not JSON. */
export function parseJson<T = unknown>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}

export interface RunningCli {
  child: ChildProcess;
  output(): string;
  /** Resolves with the output so far once it matches `pattern`; rejects if the process ends first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code once the process ends by itself. */
  waitForExit(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills the whole process group, for clean-up after a failed test. */
  kill(): void;
}

/** Starts a long-running command (`start`, `npm start`) in its own process group. */
export function startProcess(command: string, args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): RunningCli {
  const child = spawn(command, args, { cwd: opts.cwd, env: childEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (c: string) => {
    output += c;
    for (const l of [...listeners]) l();
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
      for (const l of [...listeners]) l();
    }),
  );
  let ended = false;
  void exited.then(() => (ended = true));
  const waitForExit = async (timeoutMs = 15_000) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the process did not end within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    });
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    child,
    output: () => output,
    waitForOutput: (pattern, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(output)) {
            done();
            resolve(output);
          } else if (ended || child.exitCode !== null) {
            done();
            reject(new Error(`the process ended before printing ${pattern}:\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      }),
    waitForExit,
    stop: (signal = 'SIGTERM', timeoutMs = 15_000) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return waitForExit(timeoutMs);
    },
    kill: () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    },
  };
}

export function startCli(args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): RunningCli {
  return startProcess(process.execPath, [CLI, ...args], opts);
}

// ---------------------------------------------------------------------------------------------
// Building once

async function newestMtime(p: string): Promise<number> {
  const s = await stat(p).catch(() => undefined);
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const name of await readdir(p)) newest = Math.max(newest, await newestMtime(path.join(p, name)));
  return newest;
}

/**
 * Builds dist/ with `npm run build` unless it is newer than every source file. Test files run in
 * parallel workers; a lock directory makes the others wait for the one that builds.
 */
export async function ensureBuilt(): Promise<void> {
  const key = createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 12);
  const lock = path.join(os.tmpdir(), `portdesk-build-${key}.lock`);
  const stamp = path.join(os.tmpdir(), `portdesk-build-${key}.stamp`);
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now());
      // A builder that died leaves its lock; a build takes seconds, not minutes.
      if (age > 120_000) await rm(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    const sources = Math.max(
      ...(await Promise.all(['src', 'package.json', 'tsconfig.json', 'tsconfig.build.json'].map((p) => newestMtime(path.join(REPO_ROOT, p))))),
    );
    const built = existsSync(CLI) ? ((await stat(stamp).catch(() => undefined))?.mtimeMs ?? 0) : 0;
    if (built > sources) return;
    const startedAt = new Date();
    const r = await runProcess('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, timeoutMs: 120_000 });
    if (!existsSync(CLI)) throw new Error(`npm run build produced no ${CLI}:\n${r.stdout}\n${r.stderr}`);
    // tsc emits even with type errors elsewhere in the tree; the commands are what is tested here.
    if (r.code !== 0) process.stderr.write(`npm run build reported errors (the build was emitted):\n${r.stdout}${r.stderr}\n`);
    await writeFile(stamp, '');
    // Stamped with the start time: a source saved during the build makes the next run rebuild.
    await utimes(stamp, startedAt, startedAt);
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Reading what the desk wrote

export interface EmlMail {
  file: string;
  parsed: ParsedMail;
}

export function addressesOf(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return list.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase())).filter(Boolean);
}

export function isTo(address: string, m: ParsedMail): boolean {
  return addressesOf(m.to).includes(address.toLowerCase());
}

/** Every .eml file in `dir` (none when it does not exist yet). */
export async function readEmlFiles(dir: string): Promise<EmlMail[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.eml') && !n.startsWith('.')).sort();
  return Promise.all(names.map(async (file) => ({ file, parsed: await simpleParser(await readFile(path.join(dir, file))) })));
}

/**
 * Waits until an .eml file in `dir` matches. Woken by fs.watch on the directory (or on its parent
 * until the desk creates it); a slow rescan covers a missed event.
 */
export async function waitForEml(dir: string, predicate: (m: ParsedMail) => boolean, timeoutMs = 15_000): Promise<ParsedMail> {
  const until = Date.now() + timeoutMs;
  let watcher: FSWatcher | undefined;
  let wake: (() => void) | undefined;
  const rewatch = () => {
    watcher?.close();
    const target = existsSync(dir) ? dir : path.dirname(dir);
    try {
      watcher = watch(target, () => wake?.());
      watcher.on('error', () => undefined);
    } catch {
      watcher = undefined;
    }
  };
  rewatch();
  try {
    for (;;) {
      const watchingDir = existsSync(dir);
      const found = (await readEmlFiles(dir)).find((m) => predicate(m.parsed));
      if (found) return found.parsed;
      if (Date.now() > until) throw new Error(`no matching e-mail in ${dir} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => resolve(), 500);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (!watchingDir && existsSync(dir)) rewatch();
    }
  } finally {
    watcher?.close();
  }
}
