/**
 * What parse-message.ts checks and repairs before and after mailparser: leading blank lines (it
 * would see no headers), binary content, a multipart whose boundary never occurs (it would give an
 * empty body), charsets no decoder knows. Each finding is written into the message's defects.
 */
import type { ParsedMail } from 'mailparser';

/** Bytes of blank lines before the first header; mailparser would read no headers at all. */
export function countLeadingBlankBytes(raw: Buffer): number {
  const head = raw.subarray(0, 4096).toString('latin1');
  const match = /^(?:[ \t]*\r?\n)+/.exec(head);
  return match ? match[0].length : 0;
}

/** Control bytes other than tab, CR, LF and form feed in the first 4 KB mean it is not text. */
export function looksBinary(raw: Buffer): boolean {
  const sample = raw.subarray(0, 4096);
  if (sample.length === 0) return false;
  let control = 0;
  for (const byte of sample) {
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c) || byte === 0x7f) {
      control += 1;
    }
  }
  return control / sample.length > 0.05;
}

export function splitHeaderBlock(source: string): { header: string; body: string } {
  const match = /\r?\n\r?\n/.exec(source);
  if (!match) return { header: source, body: '' };
  return { header: source.slice(0, match.index), body: source.slice(match.index + match[0].length) };
}

/**
 * A multipart whose declared boundary never appears gives an empty body. When the body does use
 * one other boundary, parse again with that one; otherwise keep the body as plain text.
 */
export async function repairBoundary(
  source: Buffer,
  parsed: ParsedMail,
  defects: string[],
  reparse: (source: Buffer) => Promise<ParsedMail>,
): Promise<ParsedMail | undefined> {
  const contentType = parsed.headers.get('content-type');
  if (!contentType || typeof contentType !== 'object' || !('value' in contentType) || Array.isArray(contentType)) {
    return undefined;
  }
  const structured = contentType as { value: string; params?: Record<string, string> };
  if (!/^multipart\//i.test(structured.value)) return undefined;
  const boundary = structured.params?.boundary;
  const text = source.toString('latin1');
  const { header, body } = splitHeaderBlock(text);
  if (boundary && body.includes(`--${boundary}`)) {
    const hasContent = (parsed.text ?? '').trim() || parsed.html || parsed.attachments.length > 0;
    if (!hasContent && !/\S/.test(body.split(`--${boundary}`).slice(1).join('').replace(/--\s*$/, ''))) {
      defects.push('multipart with no parts');
    }
    return undefined;
  }
  if (!/\S/.test(body)) {
    defects.push('multipart with no parts');
    return undefined;
  }
  defects.push(boundary ? `broken MIME boundary: "${boundary}" never occurs` : 'broken MIME boundary: none declared');

  const candidate = /^--([^\s]{1,200}?)(?:--)?[ \t]*\r?$/m.exec(body)?.[1];
  if (candidate) {
    const fixedHeader = /boundary\s*=/i.test(header)
      ? header.replace(/boundary\s*=\s*(?:"[^"]*"|[^;\s]+)/i, `boundary="${candidate}"`)
      : header.replace(/^(content-type:[^\r\n]*)/im, `$1; boundary="${candidate}"`);
    try {
      const reparsed = await reparse(Buffer.from(fixedHeader + text.slice(header.length), 'latin1'));
      if ((reparsed.text ?? '').trim() || reparsed.html || reparsed.attachments.length > 0) {
        defects.push(`read with the boundary the body uses ("${candidate}")`);
        return reparsed;
      }
    } catch {
      // fall through to the plain-text reading below
    }
  }
  if (/\S/.test(body) && !(parsed.text ?? '').trim()) {
    defects.push('body kept as plain text');
    return { ...parsed, text: Buffer.from(body, 'latin1').toString('utf8') };
  }
  return undefined;
}

/** Charsets named in Content-Type parameters and encoded words that no decoder here knows. */
export function findUnknownCharsets(source: Buffer): string[] {
  const text = source.toString('latin1');
  const names = new Set<string>();
  // Only in Content-Type fields (with their folded lines): an HTML body's <meta charset=…>, as
  // quoted-printable writes it (charset=3D"utf-8"), names no charset of the MIME structure.
  for (const field of text.matchAll(/^content-type:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*/gim)) {
    for (const match of field[0].matchAll(/charset\s*=\s*"?([^"';\s]+)/gi)) if (match[1]) names.add(match[1]);
  }
  for (const match of text.matchAll(/=\?([^?*\s]+)(?:\*[^?]*)?\?[BQ]\?/gi)) if (match[1]) names.add(match[1]);
  const unknown: string[] = [];
  for (const name of names) {
    if (!isKnownCharset(name)) unknown.push(name);
  }
  return unknown;
}

function isKnownCharset(name: string): boolean {
  const normal = name.toLowerCase();
  if (['utf8', 'utf-8', 'ascii', 'us-ascii', 'binary', '7bit', '8bit'].includes(normal)) return true;
  try {
    new TextDecoder(normal);
    return true;
  } catch {
    return false;
  }
}
