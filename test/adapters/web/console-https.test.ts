/**
 * Behind an HTTPS PUBLIC_URL (SPEC §12): cookies are Secure and browsers are told to keep to
 * HTTPS; /metrics counts the messages the desk handled, by kind and outcome, with their latency.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestConsole, type TestConsole } from '../../support/web-app.js';

let tc: TestConsole;

beforeAll(async () => {
  tc = await startTestConsole({ publicUrl: 'https://porting.example.test' });
  await tc.addUser();
});

afterAll(() => tc.close());

it('sets Secure on both cookies and sends Strict-Transport-Security', async () => {
  const form = await tc.app.inject({ method: 'GET', url: '/signin' });
  expect(form.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  const pre = form.cookies.find((c) => c.name === 'portdesk_signin');
  expect(pre?.secure).toBe(true);
  const token = /name="_csrf" value="([^"]*)"/.exec(form.body)![1]!;
  const res = await tc.app.inject({
    method: 'POST',
    url: '/signin',
    headers: { cookie: `portdesk_signin=${pre!.value}`, origin: 'https://porting.example.test' },
    payload: { name: 'alice', password: 'correct horse battery staple', _csrf: token, next: '/' },
  });
  expect(res.statusCode).toBe(303);
  const session = res.cookies.find((c) => c.name === 'portdesk_session');
  expect(session).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict' });
});

it('the verification links to the HTTPS address', async () => {
  const { order } = await tc.openOrder();
  const mail = tc.store.listOutbox().find((e) => e.orderId === order.id && e.template === 'customer-verification');
  expect(mail?.text).toMatch(/https:\/\/porting\.example\.test\/v\/PO-[0-9A-Z]{6}\./);
});

it('/metrics counts handled messages by kind and outcome, with a latency histogram', async () => {
  const res = await tc.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
  expect(res.statusCode).toBe(200);
  expect(res.body).toMatch(/portdesk_messages_total\{kind="port_request",outcome="processed"\} 1/);
  expect(res.body).toMatch(/portdesk_message_handling_seconds_count 1/);
  expect(res.body).toMatch(/portdesk_process_/);
});
