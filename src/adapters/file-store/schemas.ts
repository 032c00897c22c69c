/**
 * The on-disk shapes of the file store: the snapshot (desk.json), one journal line, and one
 * archive line's header. Records inside them are the domain schemas of src/domain/records.ts.
 */
import { z } from 'zod';
import {
  AccountSchema,
  ConsoleUserSchema,
  CsrRequestSchema,
  InboundEntrySchema,
  MailboxCursorSchema,
  OutboxEntrySchema,
  PortOrderSchema,
  ProvidedSchema,
  WebhookEventSchema,
} from '../../domain/records.js';

/**
 * Bump when the layout changes; an older binary refuses a newer file instead of dropping fields.
 * 2 adds `events`: a snapshot holding events is written as 2 (a portdesk without them would drop
 * what waits for other systems), one without as 1, which every release reads.
 */
export const STORE_FORMAT_VERSION = 2;
const SnapshotVersion = z.union([z.literal(1), z.literal(2)]);

/**
 * An order as the store reads it: a data directory written before PINs were sealed has the
 * carrier's PIN in clear in `provided.pin`. It is read (not silently dropped) so the store can
 * reduce it to matched / not matched (pin-seal.ts) and rewrite the files without it; nothing is
 * ever written with it.
 */
export const StoredPortOrderSchema = PortOrderSchema.extend({ provided: ProvidedSchema.extend({ pin: z.string().optional() }) });
export type StoredPortOrder = z.infer<typeof StoredPortOrderSchema>;

export const ChangesSchema = z.object({
  accounts: z.array(AccountSchema).optional(),
  orders: z.array(StoredPortOrderSchema).optional(),
  csrRequests: z.array(CsrRequestSchema).optional(),
  inbound: z.array(InboundEntrySchema).optional(),
  outbox: z.array(OutboxEntrySchema).optional(),
  cursors: z.record(z.string(), MailboxCursorSchema).optional(),
  users: z.array(ConsoleUserSchema).optional(),
  events: z.array(WebhookEventSchema).optional(),
});
export type ParsedChanges = z.infer<typeof ChangesSchema>;

/** The fields of an outbox entry that delivery changes; everything else is fixed when it is queued. */
export const OUTBOX_STATUS_FIELDS = ['status', 'attempts', 'nextAttemptAt', 'lastError', 'sentAt'] as const;

/**
 * A delivery outcome as the journal records it: the entry's id and its status fields, without
 * the message again (the e-mail itself is in the journal line, or snapshot, that queued it).
 */
export const OutboxStatusSchema = OutboxEntrySchema.pick({ id: true, status: true, attempts: true, nextAttemptAt: true, lastError: true, sentAt: true });
export type OutboxStatus = z.infer<typeof OutboxStatusSchema>;

/** A delivery outcome of an event, as the journal records it: its id and deliveries, without the event again. */
export const EventStatusSchema = WebhookEventSchema.pick({ id: true, deliveries: true });
export type EventStatus = z.infer<typeof EventStatusSchema>;

/**
 * What a journal line holds: Changes, with outbox entries whose message is unchanged as
 * `outboxStatus`, and events whose content is unchanged as `eventStatus`.
 */
export const JournalChangesSchema = ChangesSchema.extend({
  outboxStatus: z.array(OutboxStatusSchema).optional(),
  eventStatus: z.array(EventStatusSchema).optional(),
});
export type JournalChanges = z.infer<typeof JournalChangesSchema>;

/**
 * The newest journal line format: 1 is `{v, seq, changes}`; 2 adds `changes.outboxStatus`; 3 adds `changes.users`; 4 adds `changes.events` and `changes.eventStatus`. A line
 * is written as 1 whenever it can be, so an older portdesk reads what it understands and refuses
 * (STORE_VERSION) what it does not, instead of dropping the outcomes of deliveries.
 */
export const JOURNAL_LINE_VERSION = 4;

const SNAPSHOT_RECORDS = {
  accounts: AccountSchema,
  orders: StoredPortOrderSchema,
  csrRequests: CsrRequestSchema,
  inbound: InboundEntrySchema,
  outbox: OutboxEntrySchema,
  users: ConsoleUserSchema,
  events: WebhookEventSchema,
} as const;

/** The snapshot's frame; the records in its arrays are checked one by one (see parseSnapshot). */
const SnapshotFrameSchema = z.object({
  version: SnapshotVersion,
  seq: z.number().int().nonnegative(),
  savedAt: z.string().optional(),
  accounts: z.array(z.unknown()),
  orders: z.array(z.unknown()),
  csrRequests: z.array(z.unknown()),
  inbound: z.array(z.unknown()),
  outbox: z.array(z.unknown()),
  // Snapshots written before the console had users have none.
  users: z.array(z.unknown()).default([]),
  // Nor events before the desk sent any.
  events: z.array(z.unknown()).default([]),
  cursors: z.record(z.string(), MailboxCursorSchema),
});

/**
 * Validates a parsed desk.json. Same result as SnapshotSchema.safeParse, but each record is
 * replaced in place by its validated copy, so the raw tree is released as validation goes
 * instead of both copies of 50,000 accounts being alive at once.
 */
export function parseSnapshot(raw: unknown): { success: true; data: Snapshot } | { success: false; problems: string } {
  const frame = SnapshotFrameSchema.safeParse(raw);
  if (!frame.success) return { success: false, problems: describeIssues(frame.error) };
  const issues: string[] = [];
  let more = 0;
  const data = frame.data;
  for (const key of Object.keys(SNAPSHOT_RECORDS) as (keyof typeof SNAPSHOT_RECORDS)[]) {
    const schema: z.ZodType = SNAPSHOT_RECORDS[key];
    const list = data[key];
    for (let i = 0; i < list.length; i++) {
      const r = schema.safeParse(list[i]);
      if (r.success) {
        list[i] = r.data;
        continue;
      }
      for (const issue of r.error.issues) {
        if (issues.length < 5) issues.push(`${[key, i, ...issue.path].map(String).join('.')}: ${issue.message}`);
        else more++;
      }
    }
  }
  if (issues.length) return { success: false, problems: issues.join('; ') + (more ? ` (and ${more} more)` : '') };
  return { success: true, data: data as Snapshot };
}

export const SnapshotSchema = z.object({
  version: SnapshotVersion,
  /** Sequence number of the last journal line folded into this snapshot. */
  seq: z.number().int().nonnegative(),
  savedAt: z.string().optional(),
  accounts: z.array(AccountSchema),
  orders: z.array(StoredPortOrderSchema),
  csrRequests: z.array(CsrRequestSchema),
  inbound: z.array(InboundEntrySchema),
  outbox: z.array(OutboxEntrySchema),
  users: z.array(ConsoleUserSchema).default([]),
  events: z.array(WebhookEventSchema).default([]),
  cursors: z.record(z.string(), MailboxCursorSchema),
});
export type Snapshot = z.infer<typeof SnapshotSchema>;

export const JournalLineSchema = z.object({
  v: z.number().int().positive(),
  seq: z.number().int().positive(),
  changes: JournalChangesSchema,
});
export type JournalLine = z.infer<typeof JournalLineSchema>;

export function emptySnapshot(): Snapshot {
  return { version: 1, seq: 0, accounts: [], orders: [], csrRequests: [], inbound: [], outbox: [], users: [], events: [], cursors: {} };
}

/** `accounts.3.email: Invalid email address; …` — the first few problems, each with its path. */
export function describeIssues(error: z.ZodError, max = 5): string {
  const shown = error.issues.slice(0, max).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  const more = error.issues.length > max ? ` (and ${error.issues.length - max} more)` : '';
  return shown.join('; ') + more;
}
