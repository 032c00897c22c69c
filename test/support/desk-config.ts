/**
 * The desk's policy as the use-case tests run it: the embedded defaults (72-hour window, reminder
 * after a day, five days' grace, one business day to the completion date, account-info matching)
 * on the desk's test addresses, with mail authentication enforced.
 */
import type { DeskConfig } from '../../src/app/desk-core.js';
import { MATCH_PRESETS } from '../../src/domain/match-fields.js';

export const TEST_MAIL_FROM = 'porting@desk.example.test';
export const TEST_SUPPORT = 'support@desk.example.test';

export function testDeskConfig(overrides: Partial<DeskConfig> = {}): DeskConfig {
  return {
    mailFrom: TEST_MAIL_FROM,
    supportEmail: TEST_SUPPORT,
    adminFee: '$15',
    verificationWindow: { amount: 72, unit: 'h' },
    reminderAfter: { amount: 24, unit: 'h' },
    completionGrace: { amount: 5, unit: 'd' },
    focMinBusinessDays: 1,
    matchFields: [...MATCH_PRESETS['account-info']],
    replySubaddress: true,
    mailAuth: { mode: 'enforce' },
    ...overrides,
  };
}
