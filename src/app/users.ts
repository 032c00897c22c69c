/**
 * Console users (SPEC §12): `portdesk users add|list|remove`. A user is a name and a password
 * hash; removing one keeps the record (history names them) and ends their sessions at once,
 * because every request looks the user up again.
 */
import { UserName, type ConsoleUser } from '../domain/records.js';
import { DeskError } from '../errors.js';
import type { Passwords } from '../ports/passwords.js';
import type { Store } from '../ports/store.js';
import type { DeskCore } from './desk-core.js';

/** Shorter passwords are refused; there is no rule about which characters. */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

/** The name as stored (lower case), or USER_INVALID saying what is wrong with it. */
export function normalizeUserName(name: string): string {
  const n = name.trim().toLowerCase();
  const r = UserName.safeParse(n);
  if (!r.success) throw new DeskError('USER_INVALID', `user name "${name}" ${r.error.issues[0]?.message ?? 'is not valid'}`);
  return n;
}

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new DeskError('USER_INVALID', `the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new DeskError('USER_INVALID', `the password must be at most ${MAX_PASSWORD_LENGTH} characters`);
}

/** A user who may sign in now (not removed). */
export function activeUser(store: Pick<Store, 'getUser'>, name: string): ConsoleUser | undefined {
  const u = store.getUser(name.trim().toLowerCase());
  return u && !u.removedAt ? u : undefined;
}

/**
 * Adds a user, or with `replace` sets a new password for one. The hash is made by the caller
 * (the command), so no password crosses the control socket.
 */
export function putUser(core: DeskCore, name: string, passwordHash: string, { replace = false }: { replace?: boolean } = {}): Promise<Omit<ConsoleUser, 'passwordHash'>> {
  return core.queue.run(async () => {
    const n = normalizeUserName(name);
    const now = core.deps.clock.now().toISOString();
    const old = core.deps.store.getUser(n);
    if (old && !old.removedAt && !replace) throw new DeskError('USER_EXISTS', `a user ${n} exists; \`portdesk users add ${n} --replace\` sets a new password`);
    const user: ConsoleUser = old && !old.removedAt ? { ...old, passwordHash, passwordChangedAt: now } : { name: n, passwordHash, createdAt: now };
    await core.commit({ users: [user] }, [], new Date(now));
    core.deps.log.info({ user: n }, old && !old.removedAt ? 'console user password changed' : 'console user added');
    return publicUser(user);
  });
}

export function removeUser(core: DeskCore, name: string): Promise<Omit<ConsoleUser, 'passwordHash'>> {
  return core.queue.run(async () => {
    const n = normalizeUserName(name);
    const old = activeUser(core.deps.store, n);
    if (!old) throw new DeskError('USER_NOT_FOUND', `no console user ${n}`);
    const now = core.deps.clock.now();
    const user: ConsoleUser = { ...old, removedAt: now.toISOString() };
    await core.commit({ users: [user] }, [], now);
    core.deps.log.info({ user: n }, 'console user removed');
    return publicUser(user);
  });
}

export function publicUser(u: ConsoleUser): Omit<ConsoleUser, 'passwordHash'> {
  const { passwordHash: _hidden, ...rest } = u;
  return rest;
}
