/**
 * Events out over HTTP, signed per the Standard Webhooks spec with the `standardwebhooks`
 * package: `webhook-id` (the event's id, the same on every try), `webhook-timestamp` (this try's
 * time, so a receiver can refuse replays) and `webhook-signature` (HMAC-SHA256 of
 * `id.timestamp.body` with WEBHOOK_SECRET). The body is `{type, timestamp, data}`.
 *
 * A redirect is not followed (a 3xx is not a 2xx: the event is retried and the error names it),
 * so a signed event never reaches an address nobody configured.
 */
import { Webhook } from 'standardwebhooks';
import { maskUrl } from '../config.js';
import type { WebhookResult, WebhookSender } from '../ports/webhook-sender.js';

export const WEBHOOK_TIMEOUT_MS = 10_000;

export function createWebhookSender(secret: string, opts: { timeoutMs?: number; userAgent?: string } = {}): WebhookSender {
  const signer = new Webhook(secret);
  const timeoutMs = opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  return {
    async send(endpoint, event): Promise<WebhookResult> {
      const at = new Date();
      const body = JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
      const { url, authorization } = splitCredentials(endpoint);
      try {
        const res = await fetch(url, {
          method: 'POST',
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
          headers: {
            'content-type': 'application/json',
            'user-agent': opts.userAgent ?? 'portdesk',
            'webhook-id': event.id,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': signer.sign(event.id, at, body),
            ...(authorization ? { authorization } : {}),
          },
          body,
        });
        // The answer's body is not read: only its status counts.
        await res.body?.cancel().catch(() => undefined);
        if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
        const where = res.status >= 300 && res.status < 400 ? ` (a redirect${res.headers.get('location') ? ` to ${maskUrl(res.headers.get('location')!)}` : ''}; not followed)` : '';
        return { ok: false, status: res.status, error: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${where}` };
      } catch (err) {
        return { ok: false, error: describeFetchError(err, timeoutMs) };
      }
    },
  };
}

/**
 * fetch refuses a URL with a user and password in it: they go as Basic authentication instead
 * (a receiver behind a proxy that wants it), and never into an error or a log.
 */
function splitCredentials(endpoint: string): { url: string; authorization?: string } {
  let parsed: URL;
  try {
    parsed = new URL(endpoint);
  } catch {
    return { url: endpoint };
  }
  if (!parsed.username && !parsed.password) return { url: endpoint };
  const basic = Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64');
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), authorization: `Basic ${basic}` };
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  // Node's own texts may quote the address: shown masked, as everywhere.
  return maskUrlsIn(e.cause?.code ?? e.cause?.message ?? e.message ?? String(err));
}

function maskUrlsIn(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi, (u) => maskUrl(u));
}
