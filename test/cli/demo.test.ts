/**
 * `portdesk demo` plays the lifecycle against the real daemon and checks every step itself; this
 * runs the built binary and checks that it says so, names every step in its timeline, shows the
 * e-mails in both directions and leaves nothing behind.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, parseJson, runCli } from '../support/run-cli.js';

interface Report {
  ok: boolean;
  failedStep?: string;
  steps: Array<{ name: string; title: string; ok: boolean; detail: string }>;
  timeline: string[];
  mails: Array<{ direction: 'in' | 'out'; from: string; to: string[]; subject: string }>;
  orders: Array<{ id: string; state: string; decidedBy?: string; reasonCodes: string[] }>;
  durationMs: number;
}

beforeAll(ensureBuilt, 120_000);

describe('portdesk demo', () => {
  it('exits 0 and its timeline names every step, every e-mail and the outcome of each order', async () => {
    // The developer's environment must not matter: the demo uses its own embedded defaults.
    const r = await runCli(['demo', '--json'], { cwd: os.tmpdir(), env: { IMAP_HOST: 'imap.invalid.example.test', SMTP_HOST: 'smtp.invalid.example.test' }, timeoutMs: 45_000 });
    const report = parseJson<Report>(r);
    expect(report.failedStep, report.timeline.join('\n')).toBeUndefined();
    expect(r.code).toBe(0);
    expect(report.ok).toBe(true);

    expect(report.steps.map((s) => s.name)).toEqual([
      'start',
      'request-approve',
      'customer-approves',
      'request-reject',
      'forged-approval',
      'customer-rejects',
      'request-link',
      'customer-approves-by-link',
      'request-silent',
      'reminder',
      'auto-match',
      'completion',
      'outbox',
      'stop',
    ]);
    const timeline = report.timeline.join('\n');
    for (const step of report.steps) {
      expect(step.ok, step.name).toBe(true);
      expect(timeline, step.name).toContain(step.title);
    }

    // Which e-mails went where: requests, replies and a notice in (an answer by link is no e-mail);
    // acknowledgements, verifications, a reminder, decisions and a completion out — each a
    // timeline line with from → to and subject.
    expect(report.mails.filter((m) => m.direction === 'in')).toHaveLength(8);
    expect(report.mails.filter((m) => m.direction === 'out').length).toBeGreaterThanOrEqual(14);
    for (const m of report.mails) expect(timeline).toContain(`${m.from} → ${m.to[0]}`);
    expect(timeline).toMatch(/mail out {2}porting@desk\.example\.test → dan@brooks-hardware\.example\.test {2}"\[PO-[0-9A-Z]{6}\] Reminder/);
    // The forged APPROVE changed nothing and support heard of it; the genuine answer went to the
    // reply address, whose token the timeline does not show.
    expect(timeline).toMatch(/mail out {2}porting@desk\.example\.test → support@desk\.example\.test {2}"\[PO-[0-9A-Z]{6}\] Port-out desk alert: Needs review: it reads as a decision but carries no secret/);
    expect(timeline).toContain('→ porting+TOKEN@desk.example.test');
    expect(timeline).not.toMatch(/porting\+(?!TOKEN@)[a-z0-9]+@/);
    // The answer link is shown without its signature.
    expect(timeline).toMatch(/the link: http:\/\/127\.0\.0\.1:\d+\/v\/PO-[0-9A-Z]{6}\.…/);
    expect(timeline).not.toMatch(/\/v\/PO-[0-9A-Z]{6}\.[A-Za-z0-9_-]/);

    expect(report.orders.map((o) => [o.state, o.decidedBy]).sort()).toEqual([
      ['approved', 'auto-match'],
      ['approved', 'customer'],
      ['completed', 'customer'],
      ['rejected', 'customer'],
    ]);
    expect(report.durationMs).toBeLessThan(30_000);

    // The temporary data directory is gone.
    const tempDir = /e-mails written to (\S+)\/outbox-files/.exec(report.steps[0]!.detail)?.[1];
    expect(tempDir).toBeDefined();
    expect(existsSync(tempDir!)).toBe(false);
  });
});
