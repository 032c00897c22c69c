/**
 * The e-mail that asks a person at support to look at something: one builder for the desk's
 * every alert (a parked message, an unclear customer, a late reply), so they read alike and go
 * only to support.
 */
import type { EmailEffect } from './effects.js';

export function supportAlert(supportEmail: string, title: string, lines: string[], orderId?: string): EmailEffect {
  return {
    kind: 'email',
    template: 'support-alert',
    to: [supportEmail],
    data: { title, lines, orderId },
    ...(orderId ? { orderId } : {}),
    autoSubmitted: 'auto-generated',
  };
}
