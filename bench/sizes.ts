/** How big each scenario runs: `small` for CI (the whole suite in a few minutes), `full` on demand. */
export const SIZES = {
  small: {
    backlog: { requests: 1_000, accounts: 500, window: 100 },
    latency: { requests: 30, minGapMs: 100, maxGapMs: 700 },
    replyRound: { verifications: 200 },
    growth: { accounts: 5_000, finished: 10_000, emailsPerOrder: 4, probes: 100 },
    /** Growth on PostgreSQL (`--store postgres`): its targets are set at 100,000 cold finished orders, so both sizes hold them (written straight into the tables in seconds). `inbound`: each order's inbound entry too. */
    pgGrowth: { accounts: 50_000, finished: 100_000, probes: 100, inbound: false },
    jobs: { open: 5_000, expiring: 1_000 },
    consolePages: { orders: 100_000, accounts: 22_000, warmup: 20, requests: 200 },
    /** A-B-B-A `rounds` times, on a store already holding `storeOrders` orders (0: an empty store, as `backlog`). */
    backlogConsole: { rounds: 2, storeOrders: 100_000, storeAccounts: 20_000 },
    /** Billing's export: its targets are set at 50,000 accounts, so both sizes sync that many. `clearPins`: PINs in clear, each a 35 ms scrypt hash on the first sync (the rest of the PINs, every `hashedPinEvery`-th account, come in the stored form). */
    accountsSync: { accounts: 50_000, didsPerAccount: 2, lockEvery: 100, hashedPinEvery: 10, clearPins: 24, unchangedSyncs: 10 },
    /** The backlog with WEBHOOK_URL off / to a healthy receiver / to a dead port, run off-healthy-dead-dead-healthy-off `rounds` times. */
    webhooks: { rounds: 1 },
  },
  full: {
    backlog: { requests: 10_000, accounts: 5_000, window: 1_000 },
    latency: { requests: 200, minGapMs: 100, maxGapMs: 700 },
    replyRound: { verifications: 2_000 },
    growth: { accounts: 50_000, finished: 100_000, emailsPerOrder: 4, probes: 500 },
    pgGrowth: { accounts: 50_000, finished: 100_000, probes: 500, inbound: false },
    jobs: { open: 50_000, expiring: 10_000 },
    consolePages: { orders: 100_000, accounts: 22_000, warmup: 50, requests: 500 },
    backlogConsole: { rounds: 1, storeOrders: 100_000, storeAccounts: 20_000 },
    accountsSync: { accounts: 50_000, didsPerAccount: 2, lockEvery: 100, hashedPinEvery: 10, clearPins: 24, unchangedSyncs: 10 },
    webhooks: { rounds: 1 },
  },
} as const;

export type SizeName = keyof typeof SIZES;
export type SizeSpec = (typeof SIZES)[SizeName];

/** `backlog-off`: the backlog again with MAIL_AUTH=off, to price authentication; `backlog` brings it along. */
/** `hostile-readers`: every reader on hostile text of growing size; the same at every size (about 5 min). */
/** `console-pages`: the console's pages over 100,000 orders. `backlog-console`: the backlog with the console and a dashboard on, A-B-B-A against `backlog-console-off` (HTTP_PORT=0), which it brings along. */
/** `accounts-sync`: 50,000 accounts from a billing server (SPEC §14), first sync, a change, and syncs of an unchanged export. `webhooks`: the backlog with events to a healthy receiver and to a dead port, against none (SPEC §14). */
/** The scenarios that also run on PostgreSQL with `--store postgres` (beside the file store, in the same run). */
export const PG_SCENARIOS = ['backlog', 'latency', 'reply-round', 'jobs', 'growth', 'accounts-sync', 'webhooks'] as const;
export const SCENARIOS = ['baseline', 'backlog', 'backlog-off', 'backlog-pdf', 'latency', 'reply-round', 'growth', 'jobs', 'accounts-sync', 'webhooks', 'console-pages', 'backlog-console', 'backlog-console-off', 'hostile-readers'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
