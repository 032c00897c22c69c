/**
 * The Renderer port: a template name and its data (domain/template-data.ts) in, subject, text
 * and HTML out. `render('carrier-approval', data)` checks `data` against that template's entry.
 */
import type { TemplateData, TemplateName } from '../domain/template-data.js';

export type * from '../domain/template-data.js';

/** One rendered e-mail body set. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Turns a template name and its data into subject, text and HTML. */
export interface Renderer {
  render<N extends TemplateName>(template: N, data: TemplateData<N>): RenderedMail;
}
