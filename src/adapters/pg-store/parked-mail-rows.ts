/**
 * Parked messages in the database (SPEC §13): with PostgreSQL the daemon that parked a message may
 * not be the one support asks to reprocess it, so the copies live beside the records, not on one
 * machine's disk.
 */
import type pg from 'pg';
import type { ParkedMail } from '../../ports/parked-mail.js';

export function createParkedMailRows(pool: pg.Pool): ParkedMail {
  return {
    async save(key, raw) {
      await pool.query('INSERT INTO parked_mail (key, raw, at) VALUES ($1, $2, now()) ON CONFLICT (key) DO UPDATE SET raw = EXCLUDED.raw, at = EXCLUDED.at', [key, raw]);
    },
    async load(key) {
      const r = await pool.query<{ raw: Buffer }>('SELECT raw FROM parked_mail WHERE key = $1', [key]);
      return r.rows[0]?.raw;
    },
    async remove(key) {
      await pool.query('DELETE FROM parked_mail WHERE key = $1', [key]);
    },
  };
}
