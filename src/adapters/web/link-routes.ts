/**
 * `/v/TOKEN`: the customer's one-click answer (SPEC §12). GET shows the order and two buttons and
 * changes nothing (mail scanners fetch links); the buttons POST the decision with a form token
 * that only the page carries. A link that was changed is refused (403), one whose order was
 * decided or whose time has passed gets 410 and the order's state; each page says what to do.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { answerByLink } from '../../app/answer-by-link.js';
import { isExpired } from '../../domain/order-machine.js';
import type { PortOrder } from '../../domain/records.js';
import { cleanCarrierName } from '../../domain/carrier-text.js';
import { domainOf } from '../../domain/free-mail.js';
import type { WebContext } from './server.js';

const STATE_WORDS: Record<PortOrder['state'], string> = {
  received: 'is being checked',
  pending_verification: 'waits for your answer',
  approved: 'was approved: the numbers will move to the new provider',
  rejected: 'was rejected: the numbers stay with us',
  completed: 'is complete: the numbers have moved to the new provider',
  canceled: 'was canceled',
};

export function registerLinkRoutes(app: FastifyInstance, ctx: WebContext): void {
  const noIndex = (reply: FastifyReply) => reply.header('X-Robots-Tag', 'noindex, nofollow');

  const message = (reply: FastifyReply, status: number, heading: string, lines: string[]) =>
    ctx.html(noIndex(reply), status, 'message', { title: heading, heading, lines, bare: true });

  const invalid = (reply: FastifyReply) =>
    message(reply, 403, 'This link is not valid', [
      'The address may have been cut short or changed when it was copied.',
      'Open the link in the e-mail we sent again, or answer that e-mail with APPROVE or REJECT at the top of your reply.',
      `Questions: ${ctx.supportEmail}.`,
    ]);

  const decided = (reply: FastifyReply, order: PortOrder) =>
    message(reply, 410, `Request ${order.id} ${order.state === 'pending_verification' ? 'waits for your answer' : 'has been decided'}`, [
      `This request ${STATE_WORDS[order.state]}.`,
      'Nothing more is needed from you through this link.',
      `If that is not what you expected, contact us at ${ctx.supportEmail}.`,
    ]);

  const expired = (reply: FastifyReply, order: PortOrder) =>
    message(reply, 410, 'The time to answer has passed', [
      `The time to answer request ${order.id} ended; the desk decides it from the details on your account.`,
      `If you did not ask to change providers, contact us at ${ctx.supportEmail} at once.`,
    ]);

  /** The order the link is for, when the link is genuine; undefined after the 403 page was sent. */
  const linked = (request: FastifyRequest): { token: string; order: PortOrder } | undefined => {
    const token = (request.params as { token: string }).token;
    const id = ctx.links.orderIdOf(token);
    const order = id ? ctx.store.getOrder(id) : undefined;
    if (!order || !ctx.links.verify(token, order.token)) return undefined;
    return { token, order };
  };

  const closed = (reply: FastifyReply, order: PortOrder) => {
    if (order.state !== 'pending_verification') return decided(reply, order);
    if (isExpired(order, ctx.desk.core.context(ctx.clock.now()))) return expired(reply, order);
    return undefined;
  };

  app.get('/v/:token', async (request, reply) => {
    const found = linked(request);
    if (!found) return invalid(reply);
    const { order, token } = found;
    const done = closed(reply, order);
    if (done) return done;
    return ctx.html(noIndex(reply), 200, 'link', {
      title: `Request ${order.id}`,
      bare: true,
      order,
      carrierName: `${cleanCarrierName(order.carrier.name) || 'Another provider'} (writing from ${domainOf(order.carrier.email)})`,
      formToken: ctx.links.formToken(token),
      supportEmail: ctx.supportEmail,
    });
  });

  app.post('/v/:token', async (request, reply) => {
    const found = linked(request);
    if (!found) return invalid(reply);
    const { order, token } = found;
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (!ctx.links.verifyFormToken(token, String(body._csrf ?? ''))) {
      return message(reply, 403, 'Please use the buttons on the page', ['Open the link in the e-mail we sent again and press Approve or Reject there.']);
    }
    const decision = body.decision;
    if (decision !== 'approve' && decision !== 'reject') {
      return message(reply, 400, 'Please choose Approve or Reject', ['Open the link in the e-mail we sent again and press one of the two buttons.']);
    }
    const done = closed(reply, order);
    if (done) return done;
    const answer = await answerByLink(ctx.desk.core, order.id, decision, `client ${request.ip}`);
    if (answer.kind === 'already') return decided(reply, answer.order);
    if (answer.kind === 'expired') return expired(reply, answer.order);
    const approved = answer.order.state === 'approved';
    return message(reply, 200, approved ? 'Thank you: approved' : 'Thank you: rejected', [
      approved
        ? `You approved request ${order.id}. The numbers will move to the new provider${answer.order.focDate ? ` on ${answer.order.focDate}` : ''}; we have sent you an e-mail saying so.`
        : `You rejected request ${order.id}. The numbers stay with us; the requesting carrier has been told.`,
      `If this was a mistake, contact us at ${ctx.supportEmail}.`,
    ]);
  });
}
