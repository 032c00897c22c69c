/**
 * Just enough of the zip format to tell a workbook from an archive (xlsx and ods are zip files
 * with known parts inside) and to refuse a zip bomb before SheetJS inflates it: SheetJS inflates
 * every part in full and only then compares the result with the sizes the directory declared.
 */
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated; SheetJS reads no other. */
  method: number;
  compressedSize: number;
  /** Where the entry's local header starts. */
  offset: number;
}

/** A workbook has a few dozen parts; a directory of more is not one. */
const MAX_ZIP_ENTRIES = 10_000;
const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;

/** The entries of a zip file's central directory, or undefined when it has none that reads. */
export function listZip(content: Buffer): ZipEntry[] | undefined {
  // The end record is the last 22 bytes plus a comment of up to 64 KB.
  let end = -1;
  for (let at = content.length - 22; at >= Math.max(0, content.length - 22 - 0xffff); at -= 1) {
    if (content.readUInt32LE(at) === END_OF_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end < 0) return undefined;
  const count = content.readUInt16LE(end + 10);
  let at = content.readUInt32LE(end + 16);
  // 0xffff entries or an offset of 0xffffffff mean zip64, which no 10 MB workbook needs.
  if (count === 0xffff || at === 0xffffffff || count > MAX_ZIP_ENTRIES) return undefined;
  const entries: ZipEntry[] = [];
  for (let index = 0; index < count; index += 1) {
    if (at + 46 > content.length || content.readUInt32LE(at) !== DIRECTORY_ENTRY) return undefined;
    const nameLength = content.readUInt16LE(at + 28);
    const extraLength = content.readUInt16LE(at + 30);
    const commentLength = content.readUInt16LE(at + 32);
    entries.push({
      name: content.toString('latin1', at + 46, Math.min(content.length, at + 46 + nameLength)),
      method: content.readUInt16LE(at + 10),
      compressedSize: content.readUInt32LE(at + 20),
      offset: content.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** An entry's bytes, or why not: 'over' past `max` bytes, 'broken' when it does not inflate. */
export function readZipEntry(content: Buffer, entry: ZipEntry, max: number): Buffer | 'over' | 'broken' {
  const at = entry.offset;
  if (at + 30 > content.length || content.readUInt32LE(at) !== LOCAL_HEADER) return 'broken';
  if (content.readUInt16LE(at + 6) & 0x41) return 'broken'; // encrypted
  const start = at + 30 + content.readUInt16LE(at + 26) + content.readUInt16LE(at + 28);
  if (entry.method === 0) {
    if (entry.compressedSize > max) return 'over';
    return content.subarray(start, Math.min(content.length, start + entry.compressedSize));
  }
  if (entry.method !== 8) return 'broken';
  try {
    // From the data to the end of the file, as SheetJS reads it: inflation stops where the
    // deflate stream ends, whatever size the headers claim.
    return inflateRawSync(content.subarray(start), { maxOutputLength: Math.max(1, max) });
  } catch (error) {
    return (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 'over' : 'broken';
  }
}

/**
 * What the whole zip expands to, counted by inflating each part against a budget (the declared
 * sizes can lie): 'over' once past `max`, 'broken' when a part does not inflate.
 */
export function expandedSize(content: Buffer, entries: ZipEntry[], max: number): number | 'over' | 'broken' {
  let total = 0;
  for (const entry of entries) {
    if (entry.name.endsWith('/')) continue;
    const data = readZipEntry(content, entry, max - total);
    if (typeof data === 'string') return data;
    total += data.length;
  }
  return total;
}
