/**
 * Events out over HTTP, signed per the Standard Webhooks spec with the `standardwebhooks`
 * package: `webhook-id` (the event's id, the same on every try), `webhook-timestamp` (this try's
 * time, so a receiver can refuse replays) and `webhook-signature` (HMAC-SHA256 of
 * `id.timestamp.body` with WEBHOOK_SECRET). The body is `{type, timestamp, data}`.
 *
 * node:http(s) with keep-alive agents rather than fetch: a POST costs a fraction of the CPU, and
 * the desk's event loop is what every message waits on. A redirect is not followed (a 3xx is not
 * a 2xx: the event is retried and the error names it), so a signed event never reaches an
 * address nobody configured.
 */
import http from 'node:http';
import https from 'node:https';
import { Webhook } from 'standardwebhooks';
import { maskUrl } from '../domain/mask-url.js';
import type { WebhookResult, WebhookSender } from '../ports/webhook-sender.js';

export const WEBHOOK_TIMEOUT_MS = 10_000;
/** An answer's body is read (so its connection can be reused) up to this much; past it the connection is closed. */
export const WEBHOOK_ANSWER_MAX_BYTES = 64 * 1024;

export function createWebhookSender(secret: string, opts: { timeoutMs?: number; userAgent?: string } = {}): WebhookSender & { close(): void } {
  const signer = new Webhook(secret);
  const timeoutMs = opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const agents = { 'http:': new http.Agent({ keepAlive: true, maxSockets: 8 }), 'https:': new https.Agent({ keepAlive: true, maxSockets: 8 }) };
  return {
    send(endpoint, event): Promise<WebhookResult> {
      const at = new Date();
      const body = JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
      let url: URL;
      try {
        url = new URL(endpoint);
      } catch {
        return Promise.resolve({ ok: false, error: `not a URL: ${maskUrl(endpoint)}` });
      }
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': opts.userAgent ?? 'portdesk',
        'webhook-id': event.id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signer.sign(event.id, at, body),
      };
      // A user and password in the address go as Basic authentication (a receiver behind a proxy
      // that wants it), never into an error or a log.
      if (url.username || url.password) {
        headers.authorization = `Basic ${Buffer.from(`${unescape(url.username)}:${unescape(url.password)}`).toString('base64')}`;
      }
      const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:'];
      const request = url.protocol === 'https:' ? https.request : http.request;
      return new Promise<WebhookResult>((resolve) => {
        const req = request(
          { protocol: url.protocol, hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || undefined, path: `${url.pathname}${url.search}`, method: 'POST', headers, agent },
          (res) => {
            // Only the status counts. The body is read and dropped, up to a cap: an endpoint that
            // answers without end costs one connection, closed, not a stream read for ever.
            let read = 0;
            res.on('data', (chunk: Buffer) => {
              read += chunk.length;
              if (read > WEBHOOK_ANSWER_MAX_BYTES) res.destroy();
            });
            res.on('error', () => undefined);
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve({ ok: true, status });
            const location = res.headers.location;
            const where = status >= 300 && status < 400 ? ` (a redirect${location ? ` to ${maskUrl(location).slice(0, 200)}` : ''}; not followed)` : '';
            // The reason phrase is the endpoint's text, shown to support and logged: short and on one line.
            const reason = res.statusMessage ? ` ${res.statusMessage.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 100)}` : '';
            resolve({ ok: false, status, error: `HTTP ${status}${reason}${where}` });
          },
        );
        req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT_ANSWER' })));
        req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, error: err.code === 'ETIMEDOUT_ANSWER' ? err.message : (err.code ?? maskUrlsIn(err.message)) }));
        req.end(body);
      });
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

/** A user name or password as the address spells it, decoded; one badly escaped is taken as written. */
function unescape(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** Node's own texts may quote an address: shown masked, as everywhere. */
function maskUrlsIn(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi, (u) => maskUrl(u));
}
