/**
 * The webhook receiver works end to end: Standard Webhooks signed with the `standardwebhooks`
 * package and posted with fetch are verified and recorded; wrong signatures, bad bodies and other
 * paths are refused and recorded; failNext, respondWith and delay shape the answers; stop and
 * start take the same URL down and up; waitFor resolves on arrival and times out with a message
 * that says what did arrive.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findFreePort } from './free-port.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

let receiver: WebhookReceiver;

beforeEach(async () => {
  receiver = await startWebhookReceiver();
});
afterEach(async () => {
  await receiver.close();
});

const event = (type: string, data: Record<string, unknown> = {}) => ({ type, timestamp: new Date().toISOString(), data });

/** Posts `payload` (an object is serialised) signed with `secret`, as a Standard Webhooks sender does. */
async function send(
  payload: unknown,
  { secret = receiver.secret, id = `msg_${randomUUID()}`, date = new Date(), url = receiver.url } = {},
): Promise<{ id: string; status: number; text: string }> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signature = new Webhook(secret).sign(id, date, body);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(date.getTime() / 1000)),
      'webhook-signature': signature,
    },
    body,
  });
  return { id, status: res.status, text: await res.text() };
}

describe('the webhook receiver', () => {
  it('listens on loopback with a fresh whsec_ secret', () => {
    expect(receiver.url).toBe(`http://127.0.0.1:${receiver.port}/hook`);
    expect(receiver.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
  });

  it('verifies, records and accepts a signed webhook', async () => {
    const before = Date.now();
    const sent = await send(event('port.completed', { portId: 'P-1' }));
    expect(sent.status).toBe(204);
    const [got] = receiver.accepted();
    expect(got).toMatchObject({ id: sent.id, verified: true, status: 204, event: { type: 'port.completed', data: { portId: 'P-1' } } });
    expect(got!.signature).toMatch(/^v1,/);
    expect(got!.timestamp).toMatch(/^\d{10}$/);
    expect(JSON.parse(got!.body)).toEqual(got!.event);
    expect(got!.at).toBeGreaterThanOrEqual(before);
    expect(receiver.requests).toHaveLength(1);
  });

  it('answers 401 to a wrong, missing or stale signature, and records it unverified', async () => {
    const otherSecret = `whsec_${Buffer.from('not the receiver secret!').toString('base64')}`;
    expect((await send(event('a'), { secret: otherSecret })).status).toBe(401);
    const unsigned = await fetch(receiver.url, { method: 'POST', body: JSON.stringify(event('b')) });
    expect(unsigned.status).toBe(401);
    const stale = await send(event('c'), { date: new Date(Date.now() - 6 * 60_000) });
    expect(stale).toMatchObject({ status: 401, text: expect.stringMatching(/too old/) });

    expect(receiver.accepted()).toEqual([]);
    expect(receiver.requests.map((r) => [r.status, r.verified])).toEqual([[401, false], [401, false], [401, false]]);
    expect(receiver.requests[1]!.id).toBe('');
  });

  it('answers 400 to a signed body that is not a webhook payload', async () => {
    expect((await send('not json')).status).toBe(400);
    expect((await send({ hello: 'world' })).status).toBe(400);
    expect(receiver.requests.map((r) => [r.status, r.verified, r.event])).toEqual([[400, true, undefined], [400, true, undefined]]);
    expect(receiver.requests[0]!.body).toBe('not json');
  });

  it('answers 404 to another method or path, and records it', async () => {
    expect((await fetch(receiver.url)).status).toBe(404);
    expect((await send(event('a'), { url: receiver.url.replace('/hook', '/other') })).status).toBe(404);
    expect(receiver.requests.map((r) => [r.status, r.verified])).toEqual([[404, false], [404, false]]);
    expect(receiver.accepted()).toEqual([]);
  });

  it('fails the next n valid requests, then accepts again; invalid ones do not count', async () => {
    receiver.failNext(2, 503);
    expect((await send(event('a'), { secret: `whsec_${Buffer.from('x').toString('base64')}` })).status).toBe(401);
    const statuses = [];
    for (const type of ['a', 'a', 'a', 'b']) statuses.push((await send(event(type))).status);
    expect(statuses).toEqual([503, 503, 204, 204]);
    expect(receiver.accepted().map((r) => r.event.type)).toEqual(['a', 'b']);
    expect(receiver.requests).toHaveLength(5);
  });

  it('answers the respondWith status until changed', async () => {
    receiver.respondWith(500);
    expect((await send(event('a'))).status).toBe(500);
    expect((await send(event('a'))).status).toBe(500);
    receiver.respondWith(200);
    expect((await send(event('a'))).status).toBe(200);
    expect(receiver.accepted()).toHaveLength(1);
  });

  it('holds answers with delay, having recorded the request on arrival', async () => {
    receiver.delay(300);
    const started = Date.now();
    const pending = send(event('slow'));
    const [got] = await receiver.waitFor((a) => a.length === 1);
    expect(Date.now() - started).toBeLessThan(300);
    expect(got!.event.type).toBe('slow');
    expect((await pending).status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    receiver.delay(0);
  });

  it('stops (the sender sees ECONNREFUSED) and starts again on the same URL', async () => {
    const url = receiver.url;
    expect((await send(event('before'))).status).toBe(204);
    await receiver.stop();
    await expect(send(event('while down'))).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    await receiver.start();
    expect(receiver.url).toBe(url);
    expect((await send(event('after'))).status).toBe(204);
    expect(receiver.accepted().map((r) => r.event.type)).toEqual(['before', 'after']);
  });

  it('stop drops a connection held by delay', async () => {
    receiver.delay(10_000);
    const pending = send(event('held'));
    await receiver.waitFor((a) => a.length === 1);
    await receiver.stop();
    await expect(pending).rejects.toThrow();
  });

  it('waitFor resolves when a matching webhook arrives, and at once if one already has', async () => {
    const waiting = receiver.waitFor((a) => a.some((r) => r.event.type === 'port.rejected'));
    await send(event('port.received'));
    const sent = await send(event('port.rejected', { reason: 'PIN mismatch' }));
    const accepted = await waiting;
    expect(accepted.map((r) => r.id)).toContain(sent.id);
    await expect(receiver.waitFor((a) => a.length === 2)).resolves.toHaveLength(2);
  });

  it('waitFor rejects after the timeout, listing what was accepted and refused', async () => {
    const first = await send(event('port.received'));
    receiver.failNext(1, 503);
    await send(event('port.completed'));
    const started = Date.now();
    const error = await receiver.waitFor((a) => a.some((r) => r.event.type === 'port.completed'), 200).catch((e: Error) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      `no matching webhooks accepted within 200 ms; accepted so far: port.received ${first.id}; refused: 503`,
    );
  });

  it('close rejects a pending waitFor', async () => {
    const waiting = receiver.waitFor(() => false);
    await receiver.close();
    await expect(waiting).rejects.toThrow('the webhook receiver was closed; accepted so far: none');
  });
});

describe('a webhook receiver with given options', () => {
  it('uses the given secret, port and path', async () => {
    const port = await findFreePort();
    const secret = `whsec_${Buffer.from('a secret of twenty-four!').toString('base64')}`;
    const given = await startWebhookReceiver({ secret, port, path: '/providers/acme' });
    try {
      expect(given.url).toBe(`http://127.0.0.1:${port}/providers/acme`);
      expect(given.secret).toBe(secret);
      expect((await send(event('a'), { secret, url: given.url })).status).toBe(204);
      expect(given.accepted()).toHaveLength(1);
    } finally {
      await given.close();
    }
  });
});
