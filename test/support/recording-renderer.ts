/**
 * A Renderer that renders nothing: the subject is "[template] <order ids>" and the text and HTML
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
    const subject = [`[${template}]`, ...orderIdsOf(data)].join(' ');
    const json = JSON.stringify(data);
    return { subject, text: json, html: `<pre>${json.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</pre>` };
  }

  templates(): string[] {
    return this.calls.map((c) => c.template);
  }
}

/** The order ids a real template would put in the subject: `order.id`, `orders[].id`, `orderId`. */
function orderIdsOf(data: Record<string, unknown>): string[] {
  const ids: string[] = [];
  const order = data['order'] as { id?: unknown } | undefined;
  if (typeof order?.id === 'string') ids.push(order.id);
  const orders = data['orders'];
  if (Array.isArray(orders)) for (const o of orders as { id?: unknown }[]) if (typeof o?.id === 'string') ids.push(o.id);
  if (typeof data['orderId'] === 'string') ids.push(data['orderId']);
  return [...new Set(ids)];
}
