/**
 * The console's pages and actions (SPEC §12). Every page needs a signed-in user; every POST a
 * session and its CSRF token. Actions go through the same use cases as the command line (so the
 * same e-mails go out) and name the user in the order's history; after an action the browser is
 * sent back to the page (POST, redirect, GET) with a one-line message.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setPortOutLock, setPortOutPin } from '../../app/account-actions.js';
import { orderDetail, overview, maskSecrets, parkedMessageText, searchAccounts, searchOrders } from '../../app/console-queries.js';
import { parseMessage } from '../../mail/parse-message.js';
import { findReview, listReview } from '../../app/review.js';
import { unlockPin } from '../../app/support-actions.js';
import { activeUser } from '../../app/users.js';
import { isMatchField, MATCH_FIELD_LABELS } from '../../domain/match-fields.js';
import { ORDER_STATES, type OrderState } from '../../domain/records.js';
import { DeskError, isDeskError } from '../../errors.js';
import type { WebContext } from './server.js';
import { SESSION_COOKIE, SIGNIN_COOKIE, Sessions, SigninLimiter, newSecret, sameSecret, type Session } from './sessions.js';

/** Lines of a parked message shown on its Review page. */
const MESSAGE_LINES = 200;

export function registerConsoleRoutes(app: FastifyInstance, ctx: WebContext, { secureCookies }: { secureCookies: boolean }): void {
  const now = () => ctx.clock.now().getTime();
  const sessions = new Sessions(now);
  const limiter = new SigninLimiter(now);
  const cookie = { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: secureCookies };

  /** The signed-in session of this request, its user still there; undefined otherwise. */
  const sessionOf = (request: FastifyRequest): Session | undefined => {
    const s = sessions.get(request.cookies[SESSION_COOKIE]);
    if (s && !activeUser(ctx.store, s.user)) {
      sessions.end(s.id);
      return undefined;
    }
    return s;
  };

  const page = (reply: FastifyReply, s: Session, name: string, data: Record<string, unknown>, status = 200) => {
    const flash = s.flash;
    delete s.flash;
    return ctx.html(reply, status, name, { ...data, user: s.user, csrf: s.csrf, reviewWaiting: listReview(ctx.store).length, ...(flash ? { flash } : {}) });
  };

  /** GET pages: the session, or a redirect to sign in that comes back here. */
  const signedIn = (request: FastifyRequest, reply: FastifyReply): Session | undefined => {
    const s = sessionOf(request);
    if (!s) {
      const next = request.url.startsWith('/') && !request.url.startsWith('//') ? request.url : '/';
      void reply.redirect(`/signin?next=${encodeURIComponent(next)}`, 303);
    }
    return s;
  };

  /** POST actions: the session and its CSRF token, or 403 and nothing done. */
  const authorized = (request: FastifyRequest, reply: FastifyReply): Session | undefined => {
    const s = sessionOf(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (!s) {
      void ctx.html(reply, 403, 'message', { title: 'Signed out', heading: 'Your session has ended', lines: ['Nothing was changed. Sign in again and repeat what you were doing.'], back: { href: '/signin', text: 'Sign in' }, bare: true });
      return undefined;
    }
    if (!sameSecret(body._csrf, s.csrf)) {
      void page(reply, s, 'message', { title: 'Refused', heading: 'The form was out of date', lines: ['Nothing was changed. Go back, reload the page and try again.'] }, 403);
      return undefined;
    }
    return s;
  };

  /** Runs an action, remembers its outcome for the next page, and sends the browser there. */
  const act = async (reply: FastifyReply, s: Session, back: string, run: () => Promise<string>) => {
    try {
      s.flash = { kind: 'ok', text: await run() };
    } catch (err) {
      if (!isDeskError(err)) throw err;
      s.flash = { kind: 'error', text: err.message };
    }
    return reply.redirect(back, 303);
  };

  const field = (request: FastifyRequest, name: string): string => {
    const v = ((request.body ?? {}) as Record<string, unknown>)[name];
    return typeof v === 'string' ? v : '';
  };

  // --- sign-in -------------------------------------------------------------------------------

  const signinPage = (reply: FastifyReply, status: number, data: { next?: string; error?: string; name?: string }) => {
    // A fresh pre-session token per form (double submit): a forged sign-in needs our cookie.
    const token = newSecret();
    void reply.setCookie(SIGNIN_COOKIE, token, { ...cookie, maxAge: 3600 });
    return ctx.html(reply, status, 'signin', { title: 'Sign in', bare: true, csrf: token, next: safeNext(data.next), ...(data.error ? { error: data.error } : {}), ...(data.name ? { name: data.name } : {}) });
  };

  app.get('/signin', async (request, reply) => {
    if (sessionOf(request)) return reply.redirect('/', 303);
    return signinPage(reply, 200, { next: String((request.query as { next?: string }).next ?? '/') });
  });

  app.post('/signin', async (request, reply) => {
    const name = field(request, 'name').trim().toLowerCase().slice(0, 64);
    const next = field(request, 'next');
    const pre = request.cookies[SIGNIN_COOKIE];
    if (!pre || !sameSecret(field(request, '_csrf'), pre)) {
      return signinPage(reply, 403, { next, name, error: 'The sign-in form was out of date; please try again.' });
    }
    const keys = { client: request.ip, name };
    const wait = limiter.waitFor(keys);
    if (wait > 0) {
      ctx.log.warn({ user: name, client: request.ip }, 'console sign-in refused: too many failed attempts');
      reply.header('Retry-After', String(Math.ceil(wait / 1000)));
      return signinPage(reply, 429, { next, name, error: `Too many failed attempts. Try again in ${Math.ceil(wait / 60_000)} minute(s).` });
    }
    const user = activeUser(ctx.store, name);
    const ok = await ctx.passwords.verify(field(request, 'password'), user?.passwordHash);
    if (!user || !ok) {
      limiter.fail(keys);
      ctx.log.info({ user: name, client: request.ip }, 'console sign-in failed');
      return signinPage(reply, 401, { next, name, error: 'That user name and password do not match.' });
    }
    const s = sessions.start(user.name);
    ctx.log.info({ user: user.name, client: request.ip }, 'console sign-in');
    void reply.clearCookie(SIGNIN_COOKIE, { path: '/' });
    void reply.setCookie(SESSION_COOKIE, s.id, cookie);
    return reply.redirect(safeNext(next), 303);
  });

  app.post('/signout', async (request, reply) => {
    const s = authorized(request, reply);
    if (!s) return reply;
    sessions.end(s.id);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/signin', 303);
  });

  // --- pages ---------------------------------------------------------------------------------

  app.get('/', async (request, reply) => {
    const s = signedIn(request, reply);
    if (!s) return reply;
    const o = overview(ctx.store, ctx.clock.now());
    return page(reply, s, 'overview', { title: 'Overview', nav: 'overview', ...o, activity: chart(o.activity, ctx.timezone) });
  });

  app.get('/orders', async (request, reply) => {
    const s = signedIn(request, reply);
    if (!s) return reply;
    const query = request.query as { q?: string; state?: string; page?: string };
    const q = (query.q ?? '').slice(0, 100);
    const state = (ORDER_STATES as readonly string[]).includes(query.state ?? '') ? (query.state as OrderState) : undefined;
    const found = searchOrders(ctx.store, { q, ...(state ? { state } : {}), page: Number(query.page) || 1 });
    const link = (p: number) => `/orders?${new URLSearchParams({ ...(q ? { q } : {}), ...(state ? { state } : {}), page: String(p) }).toString()}`;
    return page(reply, s, 'orders', {
      title: 'Orders',
      nav: 'orders',
      q,
      stateOptions: ORDER_STATES.map((value) => ({ value, selected: value === state })),
      ...found,
      ...(found.page > 1 ? { prev: link(found.page - 1) } : {}),
      ...(found.page < found.pages ? { next: link(found.page + 1) } : {}),
    });
  });

  app.get('/orders/:id', async (request, reply) => {
    const s = signedIn(request, reply);
    if (!s) return reply;
    const detail = orderDetail(ctx.store, (request.params as { id: string }).id);
    if (!detail) return page(reply, s, 'message', { title: 'No such order', heading: 'No such order', lines: ['There is no order with that id.'] }, 404);
    const p = detail.order.provided;
    const provided = [
      ['Name', p.name],
      ['Company', p.company],
      ['Street', p.street],
      ['City', p.city],
      ['State', p.state],
      ['ZIP', p.zip],
      ['Account number', p.accountNumber],
      ['Billing number', p.btn],
      ['Authorized by', p.authorizedName],
      ['PIN', p.pinGiven ? (p.pinMatched === true ? 'given, matched' : p.pinMatched === false ? 'given, did not match' : 'given') : undefined],
      ['Read from sentences only', p.fromProse?.join(', ')],
    ]
      .filter(([, v]) => v)
      .map(([label, value]) => ({ label, value }));
    return page(reply, s, 'order', {
      title: `Order ${detail.order.id}`,
      nav: 'orders',
      ...detail,
      provided,
      ...(detail.order.decision
        ? { decisionWord: detail.order.decision.reasonCodes.length ? (detail.order.state === 'canceled' ? 'canceled' : 'rejected') : 'approved' }
        : {}),
      ...(detail.order.decision?.matchReport
        ? {
            matchReport: {
              ...detail.order.decision.matchReport,
              fields: detail.order.decision.matchReport.fields.map((f) => ({ ...f, label: isMatchField(f.field) ? MATCH_FIELD_LABELS[f.field] : f.field })),
            },
          }
        : {}),
      inbound: detail.inbound.map((e) => ({ ...e, subject: e.subject ? maskSecrets(e.subject) : e.subject, auth: describeAuth(e.auth) })),
    });
  });

  app.post('/orders/:id/complete', async (request, reply) => {
    const s = authorized(request, reply);
    if (!s) return reply;
    const id = (request.params as { id: string }).id;
    return act(reply, s, `/orders/${encodeURIComponent(id)}`, async () => {
      const o = await ctx.desk.completeOrder(id, s.user);
      return `${o.id} completed; the customer is told.`;
    });
  });

  app.post('/orders/:id/cancel', async (request, reply) => {
    const s = authorized(request, reply);
    if (!s) return reply;
    const id = (request.params as { id: string }).id;
    const reason = field(request, 'reason').trim().slice(0, 500);
    return act(reply, s, `/orders/${encodeURIComponent(id)}`, async () => {
      if (!reason) throw new DeskError('INPUT_INVALID', 'a cancellation needs a reason');
      const o = await ctx.desk.cancelOrder(id, reason, 'CARRIER_CANCELED', s.user);
      return `${o.id} canceled; the carrier and the customer are told.`;
    });
  });

  app.get('/review', async (request, reply) => {
    const s = signedIn(request, reply);
    if (!s) return reply;
    const all = (request.query as { all?: string }).all === '1';
    const items = listReview(ctx.store, { all })
      .reverse()
      .map((i) => ({ ...i, detail: maskSecrets(i.detail), ...(i.subject ? { subject: maskSecrets(i.subject) } : {}) }));
    return page(reply, s, 'review', { title: 'Review', nav: 'review', items, all });
  });

  app.get('/review/:id', async (request, reply) => {
    const s = signedIn(request, reply);
    if (!s) return reply;
    let item;
    try {
      item = findReview(ctx.store, (request.params as { id: string }).id);
    } catch (err) {
      if (!isDeskError(err)) throw err;
      return page(reply, s, 'message', { title: 'Not in Review', heading: 'Not in Review', lines: [err.message] }, 404);
    }
    const message = await parkedMessage(ctx, item.key);
    return page(reply, s, 'review-item', { title: `Review ${item.id}`, nav: 'review', item: { ...item, detail: maskSecrets(item.detail), ...(item.subject ? { subject: maskSecrets(item.subject) } : {}) }, ...(message ? { message } : {}) });
  });

  app.post('/review/:id/reprocess', async (request, reply) => {
    const s = authorized(request, reply);
    if (!s) return reply;
    const id = (request.params as { id: string }).id;
    return act(reply, s, `/review/${encodeURIComponent(id)}`, async () => {
      const { item, disposition } = await ctx.desk.reprocessReview(id, s.user);
      return disposition === 'review' ? `Handled again: it waits in Review again (${item.reviewReason}).` : `Handled again: ${disposition}.`;
    });
  });

  app.post('/review/:id/dismiss', async (request, reply) => {
    const s = authorized(request, reply);
    if (!s) return reply;
    const id = (request.params as { id: string }).id;
    return act(reply, s, `/review/${encodeURIComponent(id)}`, async () => {
      const item = await ctx.desk.dismissReview(id, field(request, 'note').slice(0, 500), s.user);
      return `${item.id} dismissed.`;
    });
  });

  app.get('/accounts', async (request, reply) => {
    const s = signedIn(request, reply);
    if (!s) return reply;
    const q = String((request.query as { q?: string }).q ?? '').slice(0, 100);
    const found = searchAccounts(ctx.store, q);
    return page(reply, s, 'accounts', {
      title: 'Accounts',
      nav: 'accounts',
      q,
      total: found.total,
      more: found.total > found.accounts.length,
      accounts: found.accounts.map((a) => ({
        id: a.id,
        name: a.name,
        company: a.company,
        email: a.email,
        active: a.dids.filter((d) => d.status === 'active').length,
        portOutLock: a.portOutLock,
        pin: !!a.portOutPin,
        pinLocked: !!a.pinGuard?.locks.length,
      })),
    });
  });

  app.get('/accounts/:id', async (request, reply) => {
    const s = signedIn(request, reply);
    if (!s) return reply;
    const account = ctx.store.getAccount((request.params as { id: string }).id);
    if (!account) return page(reply, s, 'message', { title: 'No such account', heading: 'No such account', lines: ['There is no account with that id.'] }, 404);
    const { portOutPin, pinGuard, ...shown } = account;
    return page(reply, s, 'account', {
      title: `Account ${account.id}`,
      nav: 'accounts',
      account: shown,
      pinSet: !!portOutPin,
      pinLocks: pinGuard?.locks ?? [],
      orders: ctx.store.listOrders({ accountId: account.id }).reverse(),
    });
  });

  app.post('/accounts/:id/lock', async (request, reply) => {
    const s = authorized(request, reply);
    if (!s) return reply;
    const id = (request.params as { id: string }).id;
    const locked = field(request, 'locked') === 'yes';
    return act(reply, s, `/accounts/${encodeURIComponent(id)}`, async () => {
      await setPortOutLock(ctx.desk.core, id, locked, s.user);
      return locked ? 'Port-out locked: every request for these numbers is refused.' : 'Port-out lock lifted.';
    });
  });

  app.post('/accounts/:id/pin', async (request, reply) => {
    const s = authorized(request, reply);
    if (!s) return reply;
    const id = (request.params as { id: string }).id;
    const clear = field(request, 'clear') === 'yes';
    const pin = field(request, 'pin');
    return act(reply, s, `/accounts/${encodeURIComponent(id)}`, async () => {
      await setPortOutPin(ctx.desk.core, id, clear ? undefined : pin, s.user);
      return clear ? 'PIN cleared.' : 'PIN set.';
    });
  });

  app.post('/accounts/:id/unlock-pin', async (request, reply) => {
    const s = authorized(request, reply);
    if (!s) return reply;
    const id = (request.params as { id: string }).id;
    const carrier = field(request, 'carrier').trim() || undefined;
    return act(reply, s, `/accounts/${encodeURIComponent(id)}`, async () => {
      const r = await unlockPin(ctx.desk.core, id, carrier, s.user);
      return r.cleared.length ? `PIN lock cleared for ${r.cleared.map((l) => l.carrier).join(', ')}.` : 'There was no PIN lock to clear.';
    });
  });
}

/**
 * Only a path of this site: `next=https://evil.example`, `//evil.example` — or `/<TAB>/evil.example`,
 * which browsers read as `//evil.example` — goes to the overview. A path is printable ASCII without
 * spaces or backslashes, and not `//`.
 */
function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) && !next.includes('\\') && next.length <= 500 ? next : '/';
}

function describeAuth(auth: { by: string; dkim: string; spf: string; dmarc: string; aligned?: boolean } | undefined): string {
  if (!auth) return '—';
  if (auth.by === 'off') return 'not checked';
  return `DKIM ${auth.dkim}, SPF ${auth.spf}, DMARC ${auth.dmarc}${auth.aligned ? ', aligned' : ''}`;
}

/** The parked copy as text (tokens masked), or undefined when none was kept. */
async function parkedMessage(ctx: WebContext, key: string) {
  const raw = await ctx.parkedMail?.load(key);
  if (!raw) return undefined;
  return parkedMessageText(ctx.parser ? await ctx.parser.parse(raw) : await parseMessage(raw), MESSAGE_LINES);
}

/** The overview's activity as bars in a 760×160 SVG: messages in and e-mails out per hour. */
function chart(a: { totalIn: number; totalOut: number; hours: { start: number; in: number; out: number }[] }, timezone: string) {
  const width = 760;
  const height = 160;
  const base = height - 18;
  const max = Math.max(1, ...a.hours.map((h) => Math.max(h.in, h.out)));
  const slot = width / a.hours.length;
  const w = Math.max(2, Math.floor(slot / 2) - 3);
  const scale = (n: number) => Math.round(((base - 10) * n) / max);
  const hourOf = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hour: '2-digit', minute: '2-digit', hour12: false });
  return {
    width,
    height,
    base,
    totalIn: a.totalIn,
    totalOut: a.totalOut,
    ticks: a.hours.flatMap((h, i) => (i % 4 === 0 ? [{ x: Math.round(i * slot + 3), y: height - 5, text: hourOf.format(new Date(h.start)) }] : [])),
    max,
    bars: a.hours.map((h, i) => ({
      x: Math.round(i * slot + 3),
      x2: Math.round(i * slot + 3 + w + 1),
      w,
      in: h.in,
      out: h.out,
      inH: scale(h.in),
      inY: base - scale(h.in),
      outH: scale(h.out),
      outY: base - scale(h.out),
      label: hourOf.format(new Date(h.start)),
    })),
  };
}
