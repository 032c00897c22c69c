/**
 * An attachment's bytes as text. Carriers' exports come as UTF-8 (with or without a byte-order
 * mark), as UTF-16 from Excel's "Unicode text", or as Windows-1252 from older systems; the MIME
 * charset parameter is often missing or wrong, so the bytes decide.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });
const windows1252 = new TextDecoder('windows-1252');

/** The text of `content`, reading at most `maxBytes` of it; a byte-order mark is dropped. */
export function decodeText(content: Buffer, maxBytes: number): string {
  const bytes = content.subarray(0, maxBytes);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  try {
    return utf8.decode(body);
  } catch {
    // The cut at maxBytes may split a character: UTF-8 with a torn last character is still UTF-8.
    const trimmed = trimTornCharacter(body);
    try {
      return utf8.decode(trimmed);
    } catch {
      return windows1252.decode(body);
    }
  }
}

/** `bytes` without a UTF-8 sequence left incomplete at its end. */
function trimTornCharacter(bytes: Buffer): Buffer {
  let end = bytes.length;
  let back = 0;
  while (end > 0 && back < 3 && ((bytes[end - 1] ?? 0) & 0xc0) === 0x80) {
    end -= 1;
    back += 1;
  }
  return end > 0 && ((bytes[end - 1] ?? 0) & 0xc0) === 0xc0 ? bytes.subarray(0, end - 1) : bytes;
}
