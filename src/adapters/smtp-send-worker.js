// @ts-check
/**
 * The SMTP connection pool, on a thread of its own (see smtp-mailer.ts). Building a MIME message
 * and streaming it through nodemailer costs more CPU than deciding the message that caused it;
 * here it runs beside the desk's event loop instead of on it, on the machine's other core.
 *
 * Plain JavaScript, so Node can start this file as a worker thread however the desk itself was
 * started (built package, tsx, the test runner). It only relays: the desk thread builds the
 * message options and classifies failures.
 *
 * Requests: { id, type: 'send', mail } | { id, type: 'verify' } | { id, type: 'close' }.
 * Answers:  { id, ok: true, response?, rejected? } | { id, ok: false, error: { code?, responseCode?, response?, message } }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import nodemailer from 'nodemailer';

if (!parentPort) throw new Error('smtp-send-worker.js runs only as a worker thread');
const port = parentPort;
const transport = nodemailer.createTransport(workerData.transport);

/** The fields of a nodemailer error that say what went wrong, never the message or credentials. */
function describe(/** @type {unknown} */ err) {
  const e = /** @type {{ code?: unknown; responseCode?: unknown; response?: unknown; message?: unknown }} */ (
    err && typeof err === 'object' ? err : { message: String(err) }
  );
  return {
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.responseCode === 'number' ? { responseCode: e.responseCode } : {}),
    ...(typeof e.response === 'string' ? { response: e.response } : {}),
    message: typeof e.message === 'string' ? e.message : 'unknown error',
  };
}

port.on('message', async (/** @type {{ id: number; type: string; mail?: object }} */ request) => {
  const { id } = request;
  try {
    if (request.type === 'send') {
      const info = await transport.sendMail(/** @type {import('nodemailer').SendMailOptions} */ (request.mail));
      port.postMessage({ id, ok: true, response: info.response, rejected: (info.rejected ?? []).map(String) });
    } else if (request.type === 'verify') {
      await transport.verify();
      port.postMessage({ id, ok: true });
    } else if (request.type === 'close') {
      transport.close();
      port.postMessage({ id, ok: true });
      port.close();
    } else {
      port.postMessage({ id, ok: false, error: { message: `unknown request ${request.type}` } });
    }
  } catch (err) {
    port.postMessage({ id, ok: false, error: describe(err) });
  }
});
