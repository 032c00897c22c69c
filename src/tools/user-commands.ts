/**
 * Console users from the command line, through the running daemon or, with none, on an offline
 * desk (desk-writer.ts). The password is checked and hashed here: only the hash is sent.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { ConsoleUser } from '../domain/records.js';
import { checkPassword, normalizeUserName, putUser, removeUser } from '../app/users.js';
import { createScryptPasswords } from '../adapters/scrypt-passwords.js';
import { runAsWriter } from './desk-writer.js';

type ShownUser = Omit<ConsoleUser, 'passwordHash'>;

export async function addUserNow(cfg: Config, log: Logger, name: string, password: string, replace: boolean): Promise<ShownUser> {
  const n = normalizeUserName(name);
  checkPassword(password);
  const passwordHash = await createScryptPasswords().hash(password);
  const { result } = await runAsWriter(cfg, log, { cmd: 'users-put', name: n, passwordHash, replace }, ({ desk }) => putUser(desk.core, n, passwordHash, { replace }));
  return result as ShownUser;
}

export async function removeUserNow(cfg: Config, log: Logger, name: string): Promise<ShownUser> {
  const n = normalizeUserName(name);
  const { result } = await runAsWriter(cfg, log, { cmd: 'users-remove', name: n }, ({ desk }) => removeUser(desk.core, n));
  return result as ShownUser;
}
