/**
 * What every use case shares: the collaborators, the serial queue, the decision context for the
 * core, and "commit these changes and effects, then wake the outbox".
 */
import { DEFAULT_LIMITS, type Config, type DeskLimits, type MailAuthConfig } from '../config.js';
import type { Calendar } from '../domain/calendar.js';
import type { MailAuthMode } from '../domain/mail-auth.js';
import type { Effect } from '../domain/effects.js';
import type { DeskContext } from '../domain/order-machine.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../ports/clock.js';
import type { Ids } from '../ports/ids.js';
import type { MailAuthenticator } from '../ports/mail-authenticator.js';
import type { MessageParser } from '../ports/message-parser.js';
import type { ParkedMail } from '../ports/parked-mail.js';
import type { PinCheck, Pins } from '../ports/pins.js';
import type { Renderer } from '../ports/renderer.js';
import type { Changes, Store } from '../ports/store.js';
import { addEffects, deskIdentity, type DeskIdentity } from './compose-email.js';
import { AlertThrottle } from './alert-throttle.js';
import { UsageCounters } from './usage-counters.js';
import { SerialQueue } from './serial-queue.js';

export type DeskConfig = Pick<
  Config,
  | 'mailFrom'
  | 'supportEmail'
  | 'adminFee'
  | 'verificationWindow'
  | 'reminderAfter'
  | 'completionGrace'
  | 'focMinBusinessDays'
  | 'matchFields'
  | 'replySubaddress'
> & {
  /** Unset: mail authentication off (tests of other rules). */
  mailAuth?: Pick<MailAuthConfig, 'mode'>;
  /** Unset: the defaults (DEFAULT_LIMITS). */
  limits?: DeskLimits;
};

export interface DeskDeps {
  store: Store;
  renderer: Renderer;
  ids: Ids;
  clock: Clock;
  calendar: Calendar;
  log: Logger;
  config: DeskConfig;
  /** Checks who really sent each message (SPEC §11); unset: nothing is checked (MAIL_AUTH=off). */
  authenticator?: MailAuthenticator;
  /** Reads raw messages off the event loop (SPEC §10); unset: parsed on the desk's own thread. */
  parser?: MessageParser;
  /** Keeps the messages parked in Review, so they can be handled again; unset: none kept. */
  parkedMail?: ParkedMail;
  /** Checks carriers' PINs against the stored hashes (SPEC §10); unset: no PIN ever matches (tests of other rules). */
  pins?: Pins;
  /** Signs one-click answer links for the e-mails that ask the customer (SPEC §12); unset: none written. */
  answerLink?: (orderId: string, orderToken: string) => string;
  /** Called once a message's outcome is recorded (for /metrics): its kind, its disposition, the seconds it took. */
  onHandled?: (kind: string, outcome: string, seconds: number) => void;
  /** Called after a commit that queued e-mails, so delivery starts at once. */
  onQueued?: () => void;
}

export class DeskCore {
  readonly queue = new SerialQueue();
  readonly desk: DeskIdentity;
  readonly deskAddresses: string[];

  /** Requests per sender and e-mails per recipient, for the limits. */
  readonly usage: UsageCounters;
  readonly limits: DeskLimits;
  private throttle: AlertThrottle | undefined;

  constructor(readonly deps: DeskDeps) {
    this.desk = deskIdentity({ ...deps.config, ...(deps.answerLink ? { answerLink: deps.answerLink } : {}) });
    this.deskAddresses = [deps.config.mailFrom.toLowerCase()];
    this.usage = new UsageCounters(deps.store, deps.clock);
    this.limits = deps.config.limits ?? DEFAULT_LIMITS;
  }

  get authMode(): MailAuthMode {
    return this.deps.authenticator ? (this.deps.config.mailAuth?.mode ?? 'enforce') : 'off';
  }

  /**
   * The support-alert throttle, seeded on first use with the alerts of the last hour from the
   * inbound log, so a restart does not hand a flood a fresh allowance.
   */
  get alerts(): AlertThrottle {
    if (!this.throttle) {
      this.throttle = new AlertThrottle();
      const since = this.deps.clock.now().getTime() - 3_600_000;
      const sent = this.deps.store
        .listInbound()
        .filter((e) => e.alert === 'sent' && Date.parse(e.at) > since)
        .sort((a, b) => a.at.localeCompare(b.at));
      for (const e of sent) this.throttle.record(e.from ?? '(no sender)', Date.parse(e.at));
    }
    return this.throttle;
  }

  context(now: Date = this.deps.clock.now()): DeskContext {
    const c = this.deps.config;
    return {
      now,
      calendar: this.deps.calendar,
      ids: this.deps.ids,
      pins: this.deps.pins ?? NO_PIN_MATCHES,
      policy: {
        verificationWindow: c.verificationWindow,
        reminderAfter: c.reminderAfter,
        completionGrace: c.completionGrace,
        focMinBusinessDays: c.focMinBusinessDays,
        matchFields: c.matchFields,
        supportEmail: c.supportEmail,
        wrongPinsBeforeLock: this.limits.wrongPinsBeforeLock,
      },
    };
  }

  /** Renders the effects into the same change set and commits it in one write. */
  async commit(changes: Changes, effects: readonly Effect[], now: Date): Promise<void> {
    await this.stage(changes, effects, now);
  }

  /**
   * Like commit, but returns as soon as the change is in memory (the next task in the queue
   * already sees it); the promise resolves once it is durable. Rendering problems (a broken
   * template override) throw here, before anything is stored.
   */
  stage(changes: Changes, effects: readonly Effect[], now: Date): Promise<void> {
    addEffects(changes, effects, { renderer: this.deps.renderer, ids: this.deps.ids, desk: this.desk, now });
    if (isEmpty(changes)) return Promise.resolve();
    const stored = this.deps.store.commit(changes);
    if (changes.outbox?.length) this.usage.recordMail(changes.outbox);
    const durable = changes.outbox?.length ? stored.then(() => this.deps.onQueued?.()) : stored;
    // The caller awaits it, maybe a few ticks later: a failure must not count as unhandled meanwhile.
    durable.catch(() => undefined);
    return durable;
  }
}

/** Without a Pins adapter no PIN is right: a request to a PIN-protected account is refused, never let through. */
const NO_PIN_MATCHES: PinCheck = { matches: () => false };

function isEmpty(c: Changes): boolean {
  return !c.accounts?.length && !c.orders?.length && !c.csrRequests?.length && !c.inbound?.length && !c.outbox?.length && !c.cursors && !c.users?.length;
}
