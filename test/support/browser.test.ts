/**
 * The browser harness works end to end: Debian's chromium, launched by test/support/browser.ts,
 * loads a form from a local HTTP server, is driven with the keyboard alone, posts the form, and
 * takes a screenshot.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchBrowser } from './browser.js';

const FORM = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Form</title></head>
<body>
  <form method="post" action="/submitted">
    <label for="who">Name</label> <input id="who" name="who" type="text">
    <button type="submit">Send</button>
  </form>
</body></html>`;

interface Posted {
  contentType: string | undefined;
  fields: URLSearchParams;
}

let server: http.Server;
let baseUrl: string;
let browser: Browser | undefined;
let resolvePosted: (posted: Posted) => void;
const posted = new Promise<Posted>((resolve) => {
  resolvePosted = resolve;
});

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(FORM);
      return;
    }
    if (req.method === 'POST' && req.url === '/submitted') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        resolvePosted({ contentType: req.headers['content-type'], fields: new URLSearchParams(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Thanks</title><p>Received.</p>');
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe('browser harness', () => {
  it('finds an executable chromium', () => {
    expect(chromiumPath()).toBeDefined();
    expect(browser?.isConnected()).toBe(true);
  });

  it('fills and posts a form with the keyboard alone, and takes a screenshot', async () => {
    const page = await browser!.newPage();
    await page.goto(`${baseUrl}/`);

    await page.keyboard.press('Tab');
    expect(await page.locator('#who:focus').count()).toBe(1);
    await page.keyboard.type('Smith & Sons – Zürich');
    await Promise.all([page.waitForURL(`${baseUrl}/submitted`), page.keyboard.press('Enter')]);

    const received = await posted;
    expect(received.contentType).toBe('application/x-www-form-urlencoded');
    expect(received.fields.get('who')).toBe('Smith & Sons – Zürich');
    expect(await page.textContent('p')).toBe('Received.');

    const png = await page.screenshot();
    expect(Buffer.isBuffer(png)).toBe(true);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.length).toBeGreaterThan(1000);
    // IHDR: width and height of Playwright's default 1280x720 viewport.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1280, 720]);

    await page.close();
  });
});
