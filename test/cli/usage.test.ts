/**
 * What the command line does with help requests, wrong usage and bad configuration (SPEC §9):
 * help exits 0; wrong usage prints what is wrong and the usage line and exits 2; a bad
 * configuration exits 2 naming every variable at fault; runtime failures exit 1.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../support/run-cli.js';

let dir: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-usage-'));
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const portdesk = (args: string[], env: Record<string, string> = {}, cwd = dir) => runCli(args, { cwd, env: { DATA_DIR: path.join(cwd, 'data'), ...env } });

const COMMANDS = [
  [],
  ['start'],
  ['accounts'],
  ['accounts', 'import'],
  ['accounts', 'list'],
  ['accounts', 'show'],
  ['orders'],
  ['orders', 'list'],
  ['orders', 'show'],
  ['orders', 'complete'],
  ['orders', 'cancel'],
  ['review'],
  ['review', 'list'],
  ['review', 'show'],
  ['review', 'reprocess'],
  ['review', 'dismiss'],
  ['jobs'],
  ['jobs', 'run'],
  ['inspect'],
  ['check'],
  ['demo'],
];

describe('help', () => {
  it('--help on every command prints its usage and exits 0', async () => {
    const results = await Promise.all(COMMANDS.map((c) => portdesk([...c, '--help'])));
    results.forEach((r, i) => {
      const name = ['portdesk', ...COMMANDS[i]!].join(' ');
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toContain(`Usage: ${name} `);
      expect(r.stderr, name).toBe('');
    });
  });

  it('commands that show records offer --json', async () => {
    const withJson = [['accounts', 'list'], ['accounts', 'show'], ['accounts', 'import'], ['orders', 'list'], ['orders', 'show'], ['orders', 'complete'], ['orders', 'cancel'], ['review', 'list'], ['review', 'show'], ['review', 'reprocess'], ['review', 'dismiss'], ['jobs', 'run'], ['inspect'], ['check'], ['demo']];
    const results = await Promise.all(withJson.map((c) => portdesk([...c, '--help'])));
    results.forEach((r, i) => expect(r.stdout, withJson[i]!.join(' ')).toContain('--json'));
  });

  it('`portdesk help orders` and --version exit 0', async () => {
    const help = await portdesk(['help', 'orders']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: portdesk orders');
    const version = await portdesk(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('wrong usage: exit 2, what is wrong and the usage line', () => {
  it.each([
    [['bogus'], /unknown command 'bogus'/, 'usage: portdesk [options] [command]'],
    [['orders', 'frobnicate'], /unknown command 'frobnicate'/, 'usage: portdesk orders [options] [command]'],
    [['accounts', 'show'], /missing required argument 'id'/, 'usage: portdesk accounts show [options] <id>'],
    [['inspect'], /missing required argument 'file'/, 'usage: portdesk inspect [options] <file>'],
    [['orders', 'list', '--bogus'], /unknown option '--bogus'/, 'usage: portdesk orders list [options]'],
    [['orders', 'list', '--state', 'lost'], /argument 'lost' is invalid/, 'usage: portdesk orders list [options]'],
    [['orders', 'cancel', 'PO-AAAAAA'], /required option '--reason <text>' not specified/, 'usage: portdesk orders cancel [options] <id>'],
    [['orders', 'cancel', 'PO-AAAAAA', '--reason', 'x', '--code', 'MADE_UP'], /argument 'MADE_UP' is invalid/, 'usage: portdesk orders cancel [options] <id>'],
    [['accounts', 'show', 'A', 'B'], /too many arguments/, 'usage: portdesk accounts show [options] <id>'],
  ])('portdesk %j', async (args, message, usage) => {
    const r = await portdesk(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain(usage);
    expect(r.stdout).toBe('');
  });

  it('no command at all: the help, on stderr, exit 2', async () => {
    const r = await portdesk([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: portdesk');
    expect(r.stderr).toContain('accounts');
  });
});

describe('bad configuration: exit 2, every problem named', () => {
  it('from the environment', async () => {
    const r = await portdesk(['accounts', 'list'], { VERIFICATION_WINDOW: 'abc', IMAP_HOST: 'imap.example.test', JOBS_SCHEDULE: 'often' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid configuration');
    expect(r.stderr).toMatch(/VERIFICATION_WINDOW: .*"abc"/);
    expect(r.stderr).toMatch(/JOBS_SCHEDULE: /);
    expect(r.stderr).toMatch(/IMAP_USER: required/);
    expect(r.stderr).toMatch(/IMAP_PASSWORD: required/);
  });

  it('from a .env file in the working directory, for start too', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'portdesk-dotenv-'));
    try {
      await writeFile(path.join(cwd, '.env'), 'TIMEZONE=Mars/Olympus_Mons\nMATCH_FIELDS=name,shoe_size\n');
      const r = await portdesk(['start'], {}, cwd);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/TIMEZONE: /);
      expect(r.stderr).toMatch(/MATCH_FIELDS: .*shoe_size/);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

describe('runtime failures: exit 1', () => {
  it('a file that is not there', async () => {
    const r = await portdesk(['inspect', path.join(dir, 'missing.eml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read .*missing\.eml/);
  });

  it('records asked for before there are any', async () => {
    const r = await portdesk(['orders', 'list'], { DATA_DIR: path.join(dir, 'nothing-here') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no data directory/);
  });
});
