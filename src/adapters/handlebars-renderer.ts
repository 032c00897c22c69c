/**
 * Renders the desk's e-mails from Handlebars templates (SPEC §7): finding and compiling the files
 * is handlebars/template-files.ts, the helpers handlebars/helpers.ts, the sample data that
 * `validateTemplates` renders handlebars/template-samples.ts. Secrets are removed from the data
 * before any template sees it (handlebars/strip-secrets.ts).
 */
import path from 'node:path';
import type { DeskInfo, RenderedMail, Renderer, TemplateData, TemplateName } from '../ports/renderer.js';
import { TEMPLATE_NAMES } from '../app/template-names.js';
import { stripSecrets } from './handlebars/strip-secrets.js';
import { errorText } from './handlebars/template-error.js';
import { isDirectory, loadTemplateFiles } from './handlebars/template-files.js';
import { TEMPLATE_SAMPLES } from './handlebars/template-samples.js';

export { TemplateError } from './handlebars/template-error.js';
export { SAMPLE_DESK, TEMPLATE_SAMPLES } from './handlebars/template-samples.js';

export interface HandlebarsRendererOptions {
  /** The templates shipped with the desk. */
  builtinDir: string;
  /** TEMPLATES_DIR: files here win over the built-in ones, file by file. Missing is fine. */
  overrideDir?: string;
  /** Merged into every render's data as `desk` when the data has none. */
  desk?: DeskInfo;
}

export interface HandlebarsRenderer extends Renderer {
  /** Renders every template with sample data; returns the problems found (empty when all is well). */
  validateTemplates(): string[];
}

export function createHandlebarsRenderer(options: HandlebarsRendererOptions): HandlebarsRenderer {
  const builtinDir = path.resolve(options.builtinDir);
  const overrideDir =
    options.overrideDir && path.resolve(options.overrideDir) !== builtinDir && isDirectory(options.overrideDir)
      ? path.resolve(options.overrideDir)
      : undefined;
  const files = loadTemplateFiles(builtinDir, overrideDir);

  function render<N extends TemplateName>(name: N, data: TemplateData<N>): RenderedMail {
    const given = data as Record<string, unknown>;
    const withDesk = options.desk && given.desk === undefined ? { ...given, desk: options.desk } : given;
    const safe = stripSecrets(withDesk) as Record<string, unknown>;
    return {
      subject: toOneLine(files.run(name, 'subject', safe)),
      text: tidyText(files.run(name, 'text', safe)),
      html: `${files.run(name, 'html', safe).trim()}\n`,
    };
  }

  function validateTemplates(): string[] {
    const problems = files.problems();
    for (const name of TEMPLATE_NAMES) {
      const sample: Record<string, unknown> = TEMPLATE_SAMPLES[name];
      let mail: RenderedMail;
      try {
        mail = render<TemplateName>(name, TEMPLATE_SAMPLES[name]);
      } catch (err) {
        problems.push(errorText(err));
        continue;
      }
      if (!mail.subject) problems.push(`template "${name}": the subject is empty`);
      if (!mail.text.trim()) problems.push(`template "${name}": the text part is empty`);
      if (!mail.html.trim()) problems.push(`template "${name}": the HTML part is empty`);
      const orderId = sampleOrderId(sample);
      if (orderId && !mail.subject.includes(`[${orderId}]`)) {
        problems.push(`template "${name}": the subject does not carry the order id as [${orderId}]`);
      }
    }
    return problems;
  }

  return { render, validateTemplates };
}

function toOneLine(subject: string): string {
  return subject.replace(/\s+/g, ' ').trim();
}

/** Template whitespace is for the template's reader; the recipient gets tidy paragraphs. */
function tidyText(text: string): string {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/[ \t]+$/, ''));
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

function sampleOrderId(sample: Record<string, unknown>): string | undefined {
  const order = sample.order as { id?: unknown } | undefined;
  if (order && typeof order.id === 'string') return order.id;
  return typeof sample.orderId === 'string' ? sample.orderId : undefined;
}
