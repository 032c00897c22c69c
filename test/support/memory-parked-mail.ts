/** The ParkedMail port in a map, for use-case tests. */
import type { ParkedMail } from '../../src/ports/parked-mail.js';

export class MemoryParkedMail implements ParkedMail {
  readonly messages = new Map<string, Buffer>();

  async save(key: string, raw: Buffer): Promise<void> {
    this.messages.set(key, Buffer.from(raw));
  }

  async load(key: string): Promise<Buffer | undefined> {
    return this.messages.get(key);
  }

  async remove(key: string): Promise<void> {
    this.messages.delete(key);
  }
}
