/**
 * The webhook sender against real loopback servers: what it sends (signed per Standard Webhooks,
 * Basic authentication from the address), and what it makes of an endpoint's answers, including
 * hostile ones — a redirect, a long reason phrase with control characters, a body without end, no
 * answer at all.
 */
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { WEBHOOK_ANSWER_MAX_BYTES, createWebhookSender } from '../../src/adapters/webhook-sender.js';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const EVENT = { id: 'msg_0000000000000a1', type: 'order.approved' as const, timestamp: '2026-12-02T10:00:00.000Z', data: { id: 'PO-7K2M9Q', state: 'approved' } };

const closers: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function sender(opts: { timeoutMs?: number } = {}) {
  const s = createWebhookSender(SECRET, opts);
  closers.push(() => s.close());
  return s;
}

interface Seen {
  headers: http.IncomingHttpHeaders;
  body: string;
  url: string;
}

/** An HTTP server answering with `answer`; what it was sent, in order. */
async function httpServer(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ headers: req.headers, body, url: req.url ?? '' });
      answer(req, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, seen };
}

/** A server that writes `raw` as its answer once the request is in; the sockets it served. */
async function rawServer(onRequest: (socket: net.Socket) => void): Promise<{ url: string; sockets: net.Socket[] }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    let head = '';
    socket.on('data', (c: Buffer) => {
      head += c.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        head = '';
        onRequest(socket);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, sockets };
}

describe('webhook sender', () => {
  it('sends the event signed per Standard Webhooks, the same id on every try, and takes a 2xx', async () => {
    const { url, seen } = await httpServer((_req, res) => res.writeHead(204).end());
    const s = sender();
    expect(await s.send(url, EVENT)).toEqual({ ok: true, status: 204 });
    expect(await s.send(url, EVENT)).toEqual({ ok: true, status: 204 });
    expect(seen).toHaveLength(2);
    for (const q of seen) {
      expect(q.headers['webhook-id']).toBe(EVENT.id);
      expect(q.headers['content-type']).toBe('application/json');
      // The receiver's own check, with the same secret.
      expect(new Webhook(SECRET).verify(q.body, q.headers as Record<string, string>)).toEqual({ type: EVENT.type, timestamp: EVENT.timestamp, data: EVENT.data });
    }
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 8).toString('base64')}`).verify(seen[0]!.body, seen[0]!.headers as Record<string, string>)).toThrow();
  });

  it('sends a user and password in the address as Basic authentication, and names neither in an error', async () => {
    const { url, seen } = await httpServer((_req, res) => res.writeHead(500).end());
    const r = await sender().send(url.replace('http://', 'http://desk:pa55word@'), EVENT);
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('desk:pa55word').toString('base64')}`);
    expect(r).toMatchObject({ ok: false, status: 500, error: 'HTTP 500 Internal Server Error' });
    expect(JSON.stringify(r)).not.toContain('pa55word');
  });

  it('does not follow a redirect: a failure naming it, the new address masked', async () => {
    const { url, seen } = await httpServer((_req, res) => res.writeHead(302, { location: 'https://elsewhere.example.test/in?token=s3cret' }).end());
    const r = await sender().send(url, EVENT);
    expect(r).toMatchObject({ ok: false, status: 302 });
    expect(r.ok === false && r.error).toMatch(/^HTTP 302 Found \(a redirect to https:\/\/elsewhere\.example\.test\/in\?\*\*\*; not followed\)$/);
    expect(seen).toHaveLength(1);
  });

  it('keeps an endpoint’s reason phrase short and on one line', async () => {
    const phrase = `Nope\u0007${'x'.repeat(5_000)}`;
    const { url } = await rawServer((socket) => socket.end(`HTTP/1.1 503 ${phrase}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`));
    const r = await sender().send(url, EVENT);
    expect(r.ok).toBe(false);
    const error = r.ok ? '' : r.error;
    expect(error.startsWith('HTTP 503 Nope x')).toBe(true);
    expect(error.length).toBeLessThanOrEqual('HTTP 503 '.length + 100);
    expect(error).not.toMatch(/[\u0000-\u001f]/);
  });

  it('reads an answer without end only up to its cap, then closes that connection', async () => {
    const chunk = 'y'.repeat(16 * 1024);
    let written = 0;
    const { url, sockets } = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
      const more = () => {
        while (!socket.destroyed && socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)) written += chunk.length;
        if (!socket.destroyed) socket.once('drain', more);
      };
      more();
    });
    expect(await sender().send(url, EVENT)).toEqual({ ok: true, status: 200 });
    // (A reset from the sender's side is a close too.)
    await new Promise((resolve) => sockets[0]!.on('close', resolve));
    // Closed by the sender soon after the cap, not read for ever (what the kernel buffers aside).
    expect(written).toBeGreaterThan(WEBHOOK_ANSWER_MAX_BYTES);
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  it('gives up on an endpoint that takes the connection and never answers', async () => {
    const { url } = await rawServer(() => undefined);
    expect(await sender({ timeoutMs: 300 }).send(url, EVENT)).toEqual({ ok: false, error: 'no answer within 300 ms' });
  });

  it('names a connection refused by its code', async () => {
    const { url } = await httpServer((_req, res) => res.end());
    const port = new URL(url).port;
    await closers.pop()!();
    expect(await sender().send(`http://127.0.0.1:${port}/hook`, EVENT)).toEqual({ ok: false, error: 'ECONNREFUSED' });
  });
});
