/**
 * A mailbox written as text: a forwarded block's "From:" line, or the e-mail a customer gives for
 * their account. (Header fields of the message itself are read by mailparser in parse-message.ts.)
 */
import type { Mailbox } from '../types.js';

/** `Name <a@b>`, `Name [mailto:a@b]`, `"Name" a@b`, or a bare address; the address lower-cased. */
export function parseMailbox(text: string): Mailbox | undefined {
  const address = /[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+/.exec(text)?.[0];
  if (!address) return undefined;
  const name = text
    .replace(/<[^>]*>|\[mailto:[^\]]*\]|\(mailto:[^)]*\)/gi, '')
    .replace(address, '')
    .replace(/["']/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return name ? { address: address.toLowerCase(), name } : { address: address.toLowerCase() };
}
