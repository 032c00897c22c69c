import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHandlebarsRenderer,
  SAMPLE_DESK,
  TEMPLATE_SAMPLES,
  TemplateError,
  type HandlebarsRenderer,
} from '../../src/adapters/handlebars-renderer.js';
import { TEMPLATE_NAMES } from '../../src/app/template-names.js';
import type { Renderer, TemplateData, TemplateName } from '../../src/ports/renderer.js';
import { REASON_CODES, REASON_TEXT } from '../../src/domain/reason-codes.js';

const BUILTIN = fileURLToPath(new URL('../../templates/', import.meta.url));
const renderer = createHandlebarsRenderer({ builtinDir: BUILTIN });

const tempDirs: string[] = [];
function tempTemplatesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'portdesk-templates-'));
  tempDirs.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}
afterEach(() => {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Data the types forbid on purpose (a secret, a value on file) or a name no template has: what the renderer must survive. */
function renderUnchecked(r: HandlebarsRenderer, name: string, data: object) {
  return r.render(name as TemplateName, data as TemplateData<TemplateName>);
}

// Never called: `tsc` fails when the port stops checking a template's data against its name.
function typedDataIsChecked(r: Renderer): void {
  // @ts-expect-error focDate is text in words
  r.render('carrier-approval', { ...TEMPLATE_SAMPLES['carrier-approval'], focDate: 3 });
  // @ts-expect-error a field no template reads (a PIN must never be one)
  r.render('support-alert', { ...TEMPLATE_SAMPLES['support-alert'], pin: '4829' });
  // @ts-expect-error the order is missing
  r.render('customer-completion', { desk: SAMPLE_DESK, account: { name: 'Dana' }, numbers: [], lastNumberGone: true });
}
void typedDataIsChecked;

function renderAll(name: string, data: object) {
  const m = renderUnchecked(renderer, name, data);
  return { ...m, all: `${m.subject}\n${m.text}\n${m.html}` };
}

const HOSTILE_CARRIER = `Rainier <script>alert("x")</script> & "Sons" O'Neil`;

describe('built-in templates', () => {
  it.each(TEMPLATE_NAMES)('%s renders a subject, a text part and an HTML part from sample data', (name) => {
    const mail = renderer.render<TemplateName>(name, TEMPLATE_SAMPLES[name]);
    expect(mail.subject.length).toBeGreaterThan(5);
    expect(mail.subject).not.toMatch(/\n/);
    expect(mail.text.trim().length).toBeGreaterThan(40);
    expect(mail.text).not.toMatch(/<\/?(p|div|table|strong|br)\b/);
    expect(mail.text).not.toMatch(/&(amp|lt|gt|quot|#x27);/);
    expect(mail.text).toContain(SAMPLE_DESK.supportEmail);
    expect(mail.html).toMatch(/^<!DOCTYPE html>/);
    expect(mail.html).toContain('</html>');
    expect(mail.html).toContain(SAMPLE_DESK.name);
    const sample = TEMPLATE_SAMPLES[name] as { order?: { id: string } };
    if (sample.order) expect(mail.subject).toContain(`[${sample.order.id}]`);
  });

  it('passes its own validation', () => {
    expect(renderer.validateTemplates()).toEqual([]);
  });

  it('prints E.164 numbers the way people read them', () => {
    const mail = renderer.render('customer-verification', TEMPLATE_SAMPLES['customer-verification']);
    expect(mail.text).toContain('(206) 555-0100');
    expect(mail.html).toContain('(206) 555-0101');
    expect(mail.text).not.toContain('+12065550100');
  });

  it('lists every order id in the acknowledgement subject and rejected numbers with their reason', () => {
    const mail = renderer.render('carrier-acknowledgement', TEMPLATE_SAMPLES['carrier-acknowledgement']);
    expect(mail.subject).toBe('[PO-7K3F9Q] [PO-M2X8RT] Port-out request received (PON CF-20931)');
    expect(mail.text).toContain('(206) 555-0199');
    expect(mail.text).toContain('TN_NOT_FOUND');
    expect(mail.text).toContain(REASON_TEXT.TN_NOT_FOUND);
  });

  it('tells the customer what is asked, by whom, by when, how to answer and what happens without an answer', () => {
    for (const name of ['customer-verification', 'customer-reminder'] as const) {
      const data = { ...TEMPLATE_SAMPLES['customer-verification'] };
      const { text, html, subject } = renderer.render(name, data);
      for (const part of [text, html]) {
        expect(part).toContain('(206) 555-0100');
        expect(part).toContain('(206) 555-0101');
        expect(part).toContain(data.carrier.name.replace('&', part === html ? '&amp;' : '&'));
        expect(part).toContain(data.requestedDate!);
        expect(part).toContain(data.deadline);
        expect(part).toContain('APPROVE');
        expect(part).toContain('REJECT');
        expect(part).toMatch(/top of your reply/);
        expect(part).toMatch(/If they match, the request is approved/);
      }
      if (name === 'customer-reminder') expect(`${subject} ${text}`).toMatch(/reminder/i);
    }
  });

  it('asks again when the answer was unclear', () => {
    const { text } = renderer.render('customer-unclear', TEMPLATE_SAMPLES['customer-unclear']);
    expect(text).toContain('we could not tell whether you approve');
    expect(text).toContain('APPROVE');
    expect(text).toContain(TEMPLATE_SAMPLES['customer-unclear'].deadline);
  });

  it('words each decision for the customer, including a request rejected at once', () => {
    const base = TEMPLATE_SAMPLES['customer-decision'];
    const cases = [
      { outcome: 'approved', decidedBy: 'customer', expect: /Thank you for confirming/ },
      { outcome: 'approved', decidedBy: 'auto-match', expect: /They match, so the request/ },
      { outcome: 'rejected', decidedBy: 'customer', expect: /As you asked, we have rejected/ },
      { outcome: 'rejected', decidedBy: 'auto-match', expect: /They do not match/ },
      { outcome: 'rejected', decidedBy: 'desk', expect: /rejected it straight away/ },
      { outcome: 'rejected', decidedBy: 'support', expect: /Our port-out team has rejected/ },
    ] as const;
    for (const c of cases) {
      const mail = renderer.render('customer-decision', {
        ...base,
        outcome: c.outcome,
        decidedBy: c.decidedBy,
        reasons: c.outcome === 'rejected' ? [{ code: 'PORT_PROTECTED' }] : [],
      });
      expect(mail.text).toMatch(c.expect);
      expect(mail.subject).toBe(`[PO-7K3F9Q] Port-out request ${c.outcome}`);
      if (c.outcome === 'rejected') expect(mail.text).toContain(REASON_TEXT.PORT_PROTECTED);
    }
  });

  it('tells the customer how to go ahead after a lock or PIN rejection, in both parts', () => {
    const base = { ...TEMPLATE_SAMPLES['customer-decision'], outcome: 'rejected', decidedBy: 'desk' } as const;
    const cases = [
      { code: 'PORT_PROTECTED', expect: /to lift the lock/ },
      { code: 'PIN_MISSING', expect: /did not include it/ },
      { code: 'PIN_INVALID', expect: /gave a different one/ },
      { code: 'ZIP_MISMATCH', expect: /Customer Service Record/ },
    ] as const;
    for (const c of cases) {
      const mail = renderer.render('customer-decision', { ...base, reasons: [{ code: c.code }] });
      expect(mail.text, c.code).toMatch(c.expect);
      expect(mail.html, c.code).toMatch(c.expect);
    }
  });
});

describe('escaping', () => {
  const data: TemplateData<'carrier-rejection'> = {
    ...TEMPLATE_SAMPLES['carrier-rejection'],
    carrier: { name: HOSTILE_CARRIER, email: 'lnp@rainier.example.test', pon: 'P<1>&2' },
    order: { id: 'PO-7K3F9Q', pon: 'P<1>&2' },
    fields: [{ field: 'name', provided: '<img src=x onerror=alert(1)> & "Co"', result: 'mismatch', reason: 'differs' }],
  };

  it('escapes carrier-supplied text in the HTML part', () => {
    const { html } = renderer.render('carrier-rejection', data);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt; &amp; &quot;Co&quot;');
  });

  it('keeps &, < and quotes as written in the subject and the text part', () => {
    const { text, subject } = renderer.render('carrier-rejection', data);
    expect(text).toContain(`Hello ${HOSTILE_CARRIER},`);
    expect(text).toContain('you sent "<img src=x onerror=alert(1)> & "Co""');
    expect(subject).toContain('(PON P<1>&2)');
    expect(text).not.toContain('&amp;');
    expect(text).not.toContain('&quot;');
  });
});

describe('carrier rejection', () => {
  it.each(REASON_CODES)('explains %s in words in both parts', (code) => {
    const mail = renderer.render('carrier-rejection', {
      ...TEMPLATE_SAMPLES['carrier-rejection'],
      reasons: [{ code }],
      fields: [],
    });
    expect(mail.text).toContain(`${code}: ${REASON_TEXT[code]}`);
    expect(mail.html).toContain(code);
    expect(mail.html).toContain(REASON_TEXT[code].replace(/'/g, '&#x27;'));
  });

  it('uses the wording the app gives when there is one', () => {
    const { text } = renderer.render('carrier-rejection', {
      ...TEMPLATE_SAMPLES['carrier-rejection'],
      reasons: [{ code: 'MISSING_INFORMATION', text: 'The request names no telephone numbers.' }],
      missing: ['numbers', 'zip'],
    });
    expect(text).toContain('MISSING_INFORMATION: The request names no telephone numbers.');
    expect(text).toMatch(/Missing from the request:\n {2}- Telephone numbers\n {2}- ZIP code/);
  });

  it('shows what the carrier provided but never a value on file', () => {
    const data = {
      ...TEMPLATE_SAMPLES['carrier-rejection'],
      fields: [{ field: 'zip', provided: '98109', onFile: '98101', result: 'mismatch', reason: 'the ZIP code differs' }],
    };
    const { all } = renderAll('carrier-rejection', data);
    expect(all).toContain('98109');
    expect(all).not.toContain('98101');
  });
});

describe('secrets', () => {
  it('never prints a PIN, whatever the data or the template', () => {
    const pin = '4829';
    const override = tempTemplatesDir({
      'carrier-rejection/text.hbs': 'pin={{provided.pin}} account={{account.portOutPin}} {{#each fields}}{{field}}={{provided}} {{/each}}\n',
    });
    const leaky = {
      ...TEMPLATE_SAMPLES['carrier-rejection'],
      reasons: [{ code: 'PIN_INVALID' }],
      fields: [{ field: 'pin', provided: pin, result: 'mismatch', reason: 'the PIN is not correct' }],
      provided: { name: 'Dana Whitfield', pin },
      account: { name: 'Dana Whitfield', portOutPin: pin },
    };
    for (const r of [renderer, createHandlebarsRenderer({ builtinDir: BUILTIN, overrideDir: override })]) {
      const mail = renderUnchecked(r, 'carrier-rejection', leaky);
      expect(`${mail.subject}\n${mail.text}\n${mail.html}`).not.toContain(pin);
    }
    const { text } = renderUnchecked(renderer, 'carrier-rejection', leaky);
    expect(text).toContain('Port-out PIN: you sent "(not shown)" - does not match the account');
    const overridden = renderUnchecked(createHandlebarsRenderer({ builtinDir: BUILTIN, overrideDir: override }), 'carrier-rejection', leaky);
    expect(overridden.text).toBe('pin= account= pin=(not shown)\n');
  });
});

describe('customer completion', () => {
  const base = TEMPLATE_SAMPLES['customer-completion'];
  it('explains the admin fee and how to close the account when the last number left', () => {
    const { text, html } = renderer.render('customer-completion', { ...base, lastNumberGone: true });
    for (const part of [text, html]) {
      expect(part).toContain('monthly admin fee of $15');
      expect(part).toMatch(/close it by replying to this e-mail/);
    }
  });

  it('leaves the admin fee out while the account keeps numbers', () => {
    const { text, html } = renderer.render('customer-completion', { ...base, lastNumberGone: false });
    for (const part of [text, html]) {
      expect(part).not.toContain('$15');
      expect(part).not.toMatch(/admin fee/);
      expect(part).toContain('(206) 555-0100');
    }
  });
});

describe('overrides', () => {
  it('a file in the override directory wins over the built-in one, file by file', () => {
    const dir = tempTemplatesDir({
      'carrier-approval/subject.hbs': '[{{order.id}}] Your port is\n   confirmed for {{focDate}}\n',
      'partials/footer.text.hbs': '-- \nAcme Telecom porting team\n',
    });
    const r = createHandlebarsRenderer({ builtinDir: BUILTIN, overrideDir: dir });
    const mail = r.render('carrier-approval', TEMPLATE_SAMPLES['carrier-approval']);
    expect(mail.subject).toBe('[PO-7K3F9Q] Your port is confirmed for Tuesday, December 8, 2026');
    // text.hbs is still the built-in one, now with the overridden partial
    expect(mail.text).toContain('Your port-out request has been approved.');
    expect(mail.text).toContain('Acme Telecom porting team');
    expect(mail.text).not.toContain('This message was sent automatically');
    // the HTML footer partial was not overridden
    expect(mail.html).toContain('This message was sent automatically');
    // other templates see the overridden partial too
    expect(r.render('csr-received', TEMPLATE_SAMPLES['csr-received']).text).toContain('Acme Telecom porting team');
    // the built-in renderer is unaffected
    expect(renderer.render('carrier-approval', TEMPLATE_SAMPLES['carrier-approval']).subject).toMatch(/^\[PO-7K3F9Q\] Port-out approved/);
  });

  it('a shared partial in the override directory replaces both kinds', () => {
    const dir = tempTemplatesDir({ 'partials/numbers.hbs': '{{#each numbers}}#{{this}}# {{/each}}\n' });
    const r = createHandlebarsRenderer({ builtinDir: BUILTIN, overrideDir: dir });
    const mail = r.render('already-rejected', TEMPLATE_SAMPLES['already-rejected']);
    expect(mail.text).toContain('#+12065550100#');
    expect(mail.html).toContain('#+12065550100#');
  });

  it('an HTML override still escapes data', () => {
    const dir = tempTemplatesDir({ 'support-alert/html.hbs': '<p>{{title}}</p>\n' });
    const r = createHandlebarsRenderer({ builtinDir: BUILTIN, overrideDir: dir });
    const { html, text } = r.render('support-alert', { ...TEMPLATE_SAMPLES['support-alert'], title: '<b>& more</b>' });
    expect(html).toBe('<p>&lt;b&gt;&amp; more&lt;/b&gt;</p>\n');
    expect(text).toContain('<b>& more</b>');
  });

  it('a missing override directory is the same as none', () => {
    const r = createHandlebarsRenderer({ builtinDir: BUILTIN, overrideDir: path.join(tmpdir(), 'portdesk-no-such-dir') });
    expect(r.validateTemplates()).toEqual([]);
  });
});

describe('errors', () => {
  it('a missing template throws TEMPLATE_ERROR naming the template and file', () => {
    let caught: unknown;
    try {
      renderUnchecked(renderer, 'no-such-mail', {});
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TemplateError);
    expect(caught).toMatchObject({ code: 'TEMPLATE_ERROR', template: 'no-such-mail', file: 'no-such-mail/subject.hbs' });
    expect((caught as Error).message).toContain('no-such-mail');
  });

  it('a template that fails to render throws TEMPLATE_ERROR naming its file', () => {
    const dir = tempTemplatesDir({ 'csr/text.hbs': 'Hello {{#if account.name}}\n' });
    const r = createHandlebarsRenderer({ builtinDir: BUILTIN, overrideDir: dir });
    expect(() => r.render('csr', TEMPLATE_SAMPLES.csr)).toThrow(
      expect.objectContaining({ code: 'TEMPLATE_ERROR', template: 'csr', file: path.join(dir, 'csr', 'text.hbs') }),
    );
  });

  it('a path in the template name is refused', () => {
    expect(() => renderUnchecked(renderer, '../etc', {})).toThrow(expect.objectContaining({ code: 'TEMPLATE_ERROR' }));
  });

  it('validation reports a broken override, a subject without the order id and a stray file', () => {
    const dir = tempTemplatesDir({
      'csr/text.hbs': '{{#each}}\n',
      'carrier-approval/subject.hbs': 'Approved\n',
      'carrier-approval/subjct.hbs': 'typo\n',
      'welcome-mail/subject.hbs': 'hi\n',
    });
    const problems = createHandlebarsRenderer({ builtinDir: BUILTIN, overrideDir: dir }).validateTemplates();
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toContain(path.join(dir, 'csr', 'text.hbs'));
    expect(problems.join('\n')).toContain('"carrier-approval": the subject does not carry the order id as [PO-7K3F9Q]');
    expect(problems.join('\n')).toContain('subjct.hbs');
    expect(problems.join('\n')).toContain('welcome-mail');
  });
});
