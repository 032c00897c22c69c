/** The link key (SPEC §12): LINK_SECRET when set, else made once into DATA_DIR (0600) and kept. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { LINK_SECRET_FILE, loadLinkSecret } from '../../src/adapters/link-secret.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-link-secret-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('makes a key on first use, 0600, and returns the same key afterwards', async () => {
  const first = await loadLinkSecret(dir);
  expect(first.length).toBeGreaterThanOrEqual(32);
  expect((await stat(path.join(dir, LINK_SECRET_FILE))).mode & 0o777).toBe(0o600);
  expect((await loadLinkSecret(dir)).equals(first)).toBe(true);
});

it('two starts at once keep one key', async () => {
  const [a, b] = await Promise.all([loadLinkSecret(dir), loadLinkSecret(dir)]);
  expect(a.equals(b)).toBe(true);
  expect((await readFile(path.join(dir, LINK_SECRET_FILE), 'utf8')).trim()).toBe(a.toString('utf8'));
});

it('LINK_SECRET wins and nothing is written', async () => {
  const key = await loadLinkSecret(dir, 'x'.repeat(40));
  expect(key.toString()).toBe('x'.repeat(40));
  await expect(stat(path.join(dir, LINK_SECRET_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
});

it('a damaged key file is refused with what to do', async () => {
  await writeFile(path.join(dir, LINK_SECRET_FILE), 'short\n');
  await expect(loadLinkSecret(dir)).rejects.toMatchObject({ code: 'LINK_SECRET_INVALID', message: expect.stringMatching(/remove it/) });
});
