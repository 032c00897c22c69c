/**
 * The thread that reads raw messages (parse-pool.ts): mailparser and the HTML-to-text walk run
 * here, off the desk's event loop, so the desk keeps answering SMTP clients, IMAP and signals
 * while a large or hostile message is read, and the pool can end this thread when one takes too
 * long.
 *
 * Requests: { id, raw: Uint8Array }. Answers: { id, message: InboundMessage } (structured clone:
 * Buffers arrive as Uint8Arrays, and parse-pool.ts makes them Buffers again).
 */
import { parentPort } from 'node:worker_threads';
import { parseMessage } from '../mail/parse-message.js';

if (!parentPort) throw new Error('parse-worker runs only as a worker thread');
const port = parentPort;

port.on('message', (request: { id: number; raw: Uint8Array }) => {
  const raw = Buffer.from(request.raw.buffer, request.raw.byteOffset, request.raw.byteLength);
  // parseMessage never throws: whatever is wrong is in the message's defects and limits.
  void parseMessage(raw).then((message) => port.postMessage({ id: request.id, message }));
});
port.postMessage({ ready: true });
