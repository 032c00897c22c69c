/**
 * A Renderer that renders nothing: the subject is "[template] <order id>" and the text and HTML
 * are the data as JSON, so a test can see exactly which facts an e-mail was given. Every call is
 * recorded.
 */
import type { RenderedMail, Renderer } from '../../src/ports/renderer.js';

export interface RenderCall {
  template: string;
  data: Record<string, unknown>;
}

export class RecordingRenderer implements Renderer {
  readonly calls: RenderCall[] = [];

  render(template: string, data: Record<string, unknown>): RenderedMail {
    this.calls.push({ template, data });
    const order = data['order'] as { id?: string } | undefined;
    const subject = `[${template}]${order?.id ? ` ${order.id}` : ''}`;
    const json = JSON.stringify(data);
    return { subject, text: json, html: `<pre>${json.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</pre>` };
  }

  templates(): string[] {
    return this.calls.map((c) => c.template);
  }
}
