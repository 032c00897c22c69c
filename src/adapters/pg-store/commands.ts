/**
 * Commands through the database (SPEC §13): with PostgreSQL, `portdesk` commands and a standby's
 * requests reach the active daemon through the `commands` table rather than a local socket — the
 * daemon may run on another machine. The command inserts its request and NOTIFYs; the active
 * daemon takes it (FOR UPDATE SKIP LOCKED, so one daemon takes it once), runs it in its desk's
 * queue, and writes the answer back.
 */
import type pg from 'pg';
import { DeskError, summarizeError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ControlRequest, ControlResponse } from '../control-server.js';

const CHANNEL = 'portdesk_commands';

export interface CommandPoller {
  close(): Promise<void>;
}

/** The active daemon's side: takes each request once, answers it. */
export async function startCommandPoller(
  pool: pg.Pool,
  handle: (req: ControlRequest) => Promise<unknown>,
  { holder, log, afterChange, intervalMs = 1_000 }: { holder: string; log: Logger; afterChange: () => void; intervalMs?: number },
): Promise<CommandPoller> {
  let closed = false;
  let wake: (() => void) | undefined;
  // A dedicated connection for LISTEN; polling covers a lost notification or connection.
  let listener: pg.PoolClient | undefined;
  const listen = async () => {
    try {
      listener = await pool.connect();
      listener.on('notification', () => wake?.());
      listener.on('error', () => {
        listener?.release(true);
        listener = undefined;
      });
      await listener.query(`LISTEN ${CHANNEL}`);
    } catch {
      listener?.release(true);
      listener = undefined;
    }
  };
  await listen();

  const takeOne = async (): Promise<boolean> => {
    const r = await pool.query<{ id: string; request: ControlRequest }>(
      `UPDATE commands SET taken_by = $1 WHERE id = (
         SELECT id FROM commands WHERE taken_by IS NULL ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1
       ) RETURNING id, request`,
      [holder],
    );
    const row = r.rows[0];
    if (!row) return false;
    let response: ControlResponse;
    try {
      response = { ok: true, result: await handle(row.request) };
      afterChange();
    } catch (err) {
      const error = summarizeError(err);
      log.warn({ cmd: row.request.cmd, ...error }, 'command failed');
      response = { ok: false, error };
    }
    await pool.query('UPDATE commands SET response = $2, answered_at = now() WHERE id = $1', [row.id, JSON.stringify(response)]);
    return true;
  };

  const loop = (async () => {
    while (!closed) {
      try {
        while (!closed && (await takeOne()));
        // Answered requests are kept a day, for whoever looks.
        await pool.query(`DELETE FROM commands WHERE answered_at < now() - interval '1 day'`);
        if (!listener) await listen();
      } catch (err) {
        log.warn({ err: { message: (err as Error).message } }, 'the commands table could not be read; trying again');
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, intervalMs).unref();
      });
    }
  })();

  return {
    async close() {
      closed = true;
      wake?.();
      await loop;
      listener?.release();
    },
  };
}

/** The command's side: sends the request and waits for the answer (undefined: nobody took it in time). */
export async function sendDbCommand(pool: pg.Pool, req: ControlRequest, timeoutMs = 120_000): Promise<ControlResponse> {
  const r = await pool.query<{ id: string }>('INSERT INTO commands (request, created_at) VALUES ($1, now()) RETURNING id', [JSON.stringify(req)]);
  const id = r.rows[0]!.id;
  await pool.query(`NOTIFY ${CHANNEL}`);
  const deadline = Date.now() + timeoutMs;
  for (let wait = 20; Date.now() < deadline; wait = Math.min(250, wait * 2)) {
    const a = await pool.query<{ response: ControlResponse | null }>('SELECT response FROM commands WHERE id = $1', [id]);
    const response = a.rows[0]?.response;
    if (response) return response;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
  // Nobody took it: withdraw it, unless it was taken meanwhile (then it will be done, unanswered here).
  await pool.query('DELETE FROM commands WHERE id = $1 AND taken_by IS NULL', [id]);
  return { ok: false, error: summarizeError(new DeskError('CONTROL_TIMEOUT', `the active daemon did not answer within ${timeoutMs} ms`)) };
}
