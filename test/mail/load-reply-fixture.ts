/**
 * Reads a reply fixture the way the desk will see it: mailparser's text (derived from the HTML when
 * the message has no text part) and its HTML.
 */
import { readFile } from 'node:fs/promises';
import { simpleParser } from 'mailparser';

export async function loadReplyFixture(path: string): Promise<{ text: string; html?: string }> {
  const parsed = await simpleParser(await readFile(path));
  const text = parsed.text ?? '';
  return typeof parsed.html === 'string' ? { text, html: parsed.html } : { text };
}
