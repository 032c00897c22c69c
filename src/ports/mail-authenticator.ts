import type { AuthResult } from '../domain/mail-auth.js';
import type { SmtpEnvelope } from './mail-source.js';

/**
 * Checks who really sent a message (SPEC §11): DKIM, SPF when the SMTP envelope is known, DMARC
 * and ARC, or a trusted Authentication-Results header. Never throws: what could not be checked is
 * in the result (`temporary` when DNS did not answer).
 */
export interface MailAuthenticator {
  authenticate(raw: Buffer, envelope?: SmtpEnvelope): Promise<AuthResult>;
}
