/**
 * The SMTP sink in its own process, so parsing what the desk sends does not run on the desk's
 * event loop (in production the SMTP relay is another machine). Tells the parent its port, then
 * one small summary per accepted message over IPC.
 */
import { startSmtpSink, type SinkMessage } from '../test/support/smtp-sink.js';

export interface SinkReport {
  /** Date.now() when the message was accepted. */
  at: number;
  messageId?: string;
  inReplyTo?: string;
  subject: string;
  to: string[];
  replyTo?: string;
  orderId?: string;
  /** Text part, only for verifications (the reply round quotes it). */
  text?: string;
}

function summarise(m: SinkMessage): SinkReport {
  const p = m.parsed;
  const to = (Array.isArray(p.to) ? p.to : p.to ? [p.to] : []).flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
  const order = p.headers.get('x-portdesk-order');
  const subject = p.subject ?? '';
  return {
    at: Date.now(),
    ...(p.messageId ? { messageId: p.messageId.replace(/^<|>$/g, '') } : {}),
    ...(p.inReplyTo ? { inReplyTo: p.inReplyTo.replace(/^<|>$/g, '') } : {}),
    subject,
    to,
    ...(p.replyTo?.value[0]?.address ? { replyTo: p.replyTo.value[0].address } : {}),
    ...(typeof order === 'string' ? { orderId: order } : {}),
    ...(/Please confirm/.test(subject) ? { text: p.text ?? '' } : {}),
  };
}

async function main(): Promise<void> {
  const sink = await startSmtpSink();
  // waitFor calls its predicate for every message as it arrives: the one hook the sink offers.
  // Batching the reports keeps IPC from becoming the sink's bottleneck.
  let batch: SinkReport[] = [];
  let flush: NodeJS.Timeout | undefined;
  void sink
    .waitFor((m) => {
      batch.push(summarise(m));
      flush ??= setTimeout(() => {
        process.send?.({ type: 'mail', reports: batch });
        batch = [];
        flush = undefined;
      }, 5);
      return false;
    }, 2 ** 31 - 1)
    .catch(() => undefined);
  process.send?.({ type: 'ready', port: sink.port });
  process.on('message', (msg: { type?: string }) => {
    if (msg?.type === 'stop') void sink.stop().then(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
}

// No top-level await: the file must load the same whether the loader treats it as ESM or not.
main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
