/**
 * The CSR rule (SPEC §4) on its own: account data leaves only when the request comes from the
 * e-mail on file and its name, tech prefix and numbers all match one account.
 */
import { describe, expect, it } from 'vitest';
import { matchCsrRequest, type CsrAsked } from '../../src/domain/csr-match.js';
import type { Account } from '../../src/domain/records.js';
import { bakeryAccount, sampleAccounts } from '../support/sample-accounts.js';

const accounts = sampleAccounts();
const view = {
  findAccountByDid: (did: string) => accounts.find((a) => a.dids.some((d) => d.number === did)),
  listAccounts: () => accounts,
};
const bakery: Account = bakeryAccount();
const asked = (over: Partial<CsrAsked> = {}): CsrAsked => ({
  sender: bakery.email,
  name: bakery.name,
  email: bakery.email,
  techPrefix: bakery.techPrefix,
  dids: bakery.dids.map((d) => d.number),
  ...over,
});

describe('matchCsrRequest', () => {
  it('everything matches one account, from its e-mail on file: no problem', () => {
    const m = matchCsrRequest(asked(), view);
    expect(m.account?.id).toBe(bakery.id);
    expect(m.problems).toEqual([]);
  });

  it('the company in place of the name, in another case and spelling of its suffix, matches too', () => {
    expect(matchCsrRequest(asked({ name: bakery.company!.toUpperCase().replace(/LLC$/, 'L.L.C.') }), view).problems).toEqual([]);
  });

  it.each([
    ['from another address', { sender: 'someone@elsewhere.example.test' }, 'the request did not come from the e-mail address on file'],
    ['a different account e-mail given', { email: 'other@example.test' }, 'the account e-mail given does not match'],
    ['no name', { name: undefined }, 'no account name was given'],
    ['a wrong name', { name: 'Somebody Else' }, 'the name does not match the account'],
    ['no tech prefix', { techPrefix: undefined }, 'no tech prefix was given'],
    ['a wrong tech prefix', { techPrefix: '0000' }, 'the tech prefix does not match'],
  ] as const)('%s: refused, saying so', (_what, over, problem) => {
    const m = matchCsrRequest(asked(over as Partial<CsrAsked>), view);
    expect(m.account?.id).toBe(bakery.id);
    expect(m.problems).toContain(problem);
  });

  it('numbers on two accounts, on none, or none given: no account is told', () => {
    const other = accounts.find((a) => a.id !== bakery.id)!;
    expect(matchCsrRequest(asked({ dids: [bakery.dids[0]!.number, other.dids[0]!.number] }), view)).toEqual({ problems: ['the numbers belong to more than one account'] });
    expect(matchCsrRequest(asked({ dids: ['+19995550000'] }), view)).toEqual({ problems: ['none of the numbers is on any account'] });
    expect(matchCsrRequest(asked({ dids: [], sender: 'stranger@example.test' }), view)).toEqual({ problems: ['no telephone numbers were given'] });
  });

  it('without numbers, only the sender’s own account is considered, and the missing numbers are a problem', () => {
    const m = matchCsrRequest(asked({ dids: [] }), view);
    expect(m.account?.id).toBe(bakery.id);
    expect(m.problems).toEqual(['no telephone numbers were given']);
  });
});
