/**
 * Key (Message-ID, token, inbound key) → archive line offset for hundreds of thousands of archived
 * records, in two typed arrays (12 bytes an entry) instead of a Map of strings (about ten times
 * that). A key is stored only as a 32-bit hash: a hit is a candidate line, which the caller reads
 * back to confirm. A lookup scans the hashes (well under a millisecond for 400,000); the archive is
 * only consulted when the live records miss.
 */
export class KeyHashIndex {
  private hashes = new Uint32Array(1024);
  private offsets = new Float64Array(1024);
  private length = 0;

  get size(): number {
    return this.length;
  }

  add(key: string, offset: number): void {
    if (this.length === this.hashes.length) {
      const hashes = new Uint32Array(this.length * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
      const offsets = new Float64Array(this.length * 2);
      offsets.set(this.offsets);
      this.offsets = offsets;
    }
    this.hashes[this.length] = hashKey(key);
    this.offsets[this.length] = offset;
    this.length += 1;
  }

  /**
   * The first candidate, newest line first, for which `confirm(offset)` returns a value: the
   * newest line wins, as for every archive key.
   */
  find<T>(key: string, confirm: (offset: number) => T | undefined): T | undefined {
    const hash = hashKey(key);
    const hashes = this.hashes.subarray(0, this.length);
    for (let i = hashes.lastIndexOf(hash); i >= 0; i = i === 0 ? -1 : hashes.lastIndexOf(hash, i - 1)) {
      const found = confirm(this.offsets[i]!);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

/** FNV-1a over the UTF-16 code units. */
function hashKey(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
