/** Console passwords (SPEC §12): salted scrypt hashes; a wrong password, another hash or no user says no. */
import { expect, it } from 'vitest';
import { createScryptPasswords } from '../../src/adapters/scrypt-passwords.js';

const passwords = createScryptPasswords({ N: 2 ** 4, r: 8, p: 1 });

it('verifies the password it hashed, exactly as typed', async () => {
  const stored = await passwords.hash('Correct Horse 1');
  expect(stored).toMatch(/^scrypt\$16\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
  expect(stored).not.toContain('Correct Horse 1');
  expect(await passwords.verify('Correct Horse 1', stored)).toBe(true);
  expect(await passwords.verify('correct horse 1', stored)).toBe(false);
  expect(await passwords.verify('Correct Horse 1 ', stored)).toBe(false);
});

it('salts every hash', async () => {
  expect(await passwords.hash('same password')).not.toBe(await passwords.hash('same password'));
});

it('says no for an unknown user and for a value that is not a hash', async () => {
  expect(await passwords.verify('anything', undefined)).toBe(false);
  expect(await passwords.verify('anything', 'anything')).toBe(false);
  expect(await passwords.verify('x', 'scrypt$99999999$8$1$AAAA$AAAA')).toBe(false);
});

it('the default cost is slow enough to matter', async () => {
  const slow = createScryptPasswords();
  const stored = await slow.hash('pw-for-timing');
  expect(stored.startsWith('scrypt$32768$8$1$')).toBe(true);
});
