/**
 * The provider's other systems (SPEC §14), wired for the daemon: the delivery of events to
 * WEBHOOK_URL and the accounts synced from ACCOUNTS_URL, each with its support alert. Built by
 * runDesk (main.ts) over the store that writes events; the events themselves are written by that
 * store (buildDesk).
 */
import type { Config } from './config.js';
import { maskUrl } from './domain/mask-url.js';
import { composeEmail } from './app/compose-email.js';
import { createWebhookDelivery, type WebhookDeliveryRunner } from './app/deliver-webhooks.js';
import type { Desk } from './app/desk.js';
import type { EventWriter } from './app/record-events.js';
import { createAccountsSync, type AccountsSync } from './app/sync-accounts.js';
import { createAccountsSource } from './adapters/accounts-source.js';
import { createWebhookSender } from './adapters/webhook-sender.js';
import { supportAlert } from './domain/support-alert.js';
import type { Logger } from './logger.js';
import type { Clock } from './ports/clock.js';
import type { Pins } from './ports/pins.js';
import type { Store } from './ports/store.js';

export interface OtherSystemsDeps {
  store: Store;
  desk: Desk;
  pins: Pins;
  clock: Clock;
  log: Logger;
  /** Makes events (unset without WEBHOOK_URL: then no `accounts.synced` either). */
  events?: EventWriter;
  /** Asks the outbox to send what was just queued (the alerts). */
  kickOutbox: () => void;
}

export function buildOtherSystems(config: Config, deps: OtherSystemsDeps): { webhooks?: WebhookDeliveryRunner; accountsSync?: AccountsSync } {
  return {
    ...(config.webhooks ? { webhooks: buildWebhooks(config, deps) } : {}),
    ...(config.accountsSource ? { accountsSync: buildAccountsSync(config, deps) } : {}),
  };
}

/** Events to WEBHOOK_URL, and the alert for an endpoint that has refused events for an hour. */
function buildWebhooks(config: Config, { store, desk, clock, log, kickOutbox }: OtherSystemsDeps): WebhookDeliveryRunner {
  const { urls, secret } = config.webhooks!;
  return createWebhookDelivery({
    store,
    sender: createWebhookSender(secret),
    endpoints: urls.map((url) => ({ url, key: maskUrl(url) })),
    clock,
    log: log.child({ role: 'webhooks' }),
    alert: ({ id, endpoint, since, pending, lastError }) => ({
      ...composeEmail(
        supportAlert(config.supportEmail, 'Events are not reaching another system', [
          `Endpoint: ${maskUrl(endpoint)}`,
          `Refusing events since: ${since}`,
          `Orders and kinds of event waiting: ${pending}`,
          `Last error: ${lastError}`,
          'The desk keeps every event and tries again, at most 5 minutes apart; nothing is dropped. This alert is not repeated for this outage.',
        ]),
        { renderer: desk.core.deps.renderer, ids: desk.core.deps.ids, desk: desk.core.desk, now: clock.now() },
      ),
      // Derived from the outage, so it is queued once.
      id,
    }),
    onAlert: kickOutbox,
  });
}

/** Accounts from ACCOUNTS_URL, and the alert for a source that cannot be read or applied. */
function buildAccountsSync(config: Config, { store, desk, pins, clock, log, events }: OtherSystemsDeps): AccountsSync {
  const c = config.accountsSource!;
  return createAccountsSync({
    source: createAccountsSource(c.location, c.token ? { token: c.token } : {}),
    store,
    queue: desk.core.queue,
    pins,
    clock,
    log: log.child({ role: 'accounts-sync' }),
    ...(events ? { event: (e, now) => events.build([e], now) } : {}),
    alert: async (problem, location) => {
      await desk.core.commit(
        {},
        [
          supportAlert(config.supportEmail, 'Accounts could not be synced from billing', [
            `Source: ${location}`,
            `Problem: ${problem}`,
            'Nothing was changed: the desk keeps the accounts it has and tries again at every sync. This alert is not repeated until a sync succeeds.',
          ]),
        ],
        clock.now(),
      );
    },
  });
}
