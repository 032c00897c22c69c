/**
 * The records portdesk keeps (SPEC §2), as zod schemas. The store validates every record it
 * loads against these, so a hand-edited or damaged data file is refused rather than half-read.
 */
import { z } from 'zod';
import { AuthResultSchema } from './mail-auth.js';
import { REASON_CODES } from './reason-codes.js';
import { REVIEW_REASONS } from './review-reasons.js';

/** A telephone number in E.164 form, e.g. +12065550100. */
export const E164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number like +12065550100');

/** An ISO calendar date (no time), e.g. 2026-12-01. */
export const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-12-01');

/** An ISO instant, e.g. 2026-12-01T15:04:05.000Z. */
export const IsoInstant = z.string().datetime({ offset: true });

export const ReasonCodeSchema = z.enum(REASON_CODES);

export const AddressSchema = z.object({
  street: z.string().min(1),
  unit: z.string().min(1).optional(),
  city: z.string().min(1),
  state: z.string().min(2),
  zip: z.string().regex(/^\d{5}(-?\d{4})?$/, 'must be a US ZIP or ZIP+4'),
});
export type Address = z.infer<typeof AddressSchema>;

export const DID_STATUSES = ['active', 'ported-out', 'disconnected'] as const;
export type DidStatus = (typeof DID_STATUSES)[number];

export const DidSchema = z.object({
  number: E164,
  status: z.enum(DID_STATUSES),
  /** When it left, and through which order, once ported out. */
  portedOutAt: IsoInstant.optional(),
  portOrderId: z.string().optional(),
});
export type Did = z.infer<typeof DidSchema>;

/** One wrong port-out PIN a carrier gave for the account (SPEC §10). */
export const WrongPinSchema = z.object({
  at: IsoInstant,
  /** The carrier's mail domain, as its order records it (see pin-guard.ts). */
  carrier: z.string().min(1),
  orderId: z.string().optional(),
});
export type WrongPin = z.infer<typeof WrongPinSchema>;

/** New requests from this carrier for the account are refused at once until support clears it. */
export const PinLockSchema = z.object({
  carrier: z.string().min(1),
  at: IsoInstant,
  /** Wrong PINs from the carrier in the window that set the lock. */
  wrongPins: z.number().int().positive(),
});
export type PinLock = z.infer<typeof PinLockSchema>;

/**
 * What the desk remembers of PIN guessing on an account, kept in the account so it survives a
 * restart. Written by the desk only: an accounts import keeps what is there and cannot set it.
 */
export const PinGuardSchema = z.object({
  /** Wrong PINs of the last 24 hours, oldest first (older ones are dropped as new ones come). */
  wrong: z.array(WrongPinSchema).default([]),
  /** The newest wrong PIN ever given: auto-match never approves an order made around it. */
  lastWrongAt: IsoInstant.optional(),
  locks: z.array(PinLockSchema).default([]),
});
export type PinGuard = z.infer<typeof PinGuardSchema>;

export const AccountSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  company: z.string().min(1).optional(),
  email: z.string().email(),
  techPrefix: z.string().min(1),
  accountNumber: z.string().min(1),
  address: AddressSchema,
  dids: z.array(DidSchema),
  /**
   * The port-out PIN's stored form: a salted hash (the Pins port), never the PIN. A clear value
   * comes only from an older data directory, and the store hashes it when it opens.
   */
  portOutPin: z.string().min(1).optional(),
  /** When the PIN was last set, changed or removed by an import: an order made before then was checked against another PIN. */
  portOutPinChangedAt: IsoInstant.optional(),
  portOutLock: z.boolean().default(false),
  status: z.enum(['open', 'closed']).default('open'),
  pinGuard: PinGuardSchema.optional(),
});
export type Account = z.infer<typeof AccountSchema>;

export const ORDER_STATES = [
  'received',
  'pending_verification',
  'approved',
  'rejected',
  'completed',
  'canceled',
] as const;
export type OrderState = (typeof ORDER_STATES)[number];
export const OPEN_STATES: readonly OrderState[] = ['received', 'pending_verification', 'approved'];
export const FINAL_STATES: readonly OrderState[] = ['rejected', 'completed', 'canceled'];

export const CarrierSchema = z.object({
  name: z.string(),
  email: z.string(),
  spid: z.string().optional(),
  pon: z.string().optional(),
});
export type Carrier = z.infer<typeof CarrierSchema>;

/**
 * What the carrier wrote, as written (normalised only when compared), except the PIN: of that
 * the order keeps only whether one was given and whether it was the account's (SPEC §10).
 */
export const ProvidedSchema = z.object({
  name: z.string().optional(),
  company: z.string().optional(),
  street: z.string().optional(),
  city: z.string().optional(),
  state: z.string().optional(),
  zip: z.string().optional(),
  accountNumber: z.string().optional(),
  btn: z.string().optional(),
  authorizedName: z.string().optional(),
  /** The request carried a PIN. */
  pinGiven: z.boolean().optional(),
  /** It was the account's PIN when the request came; unset when the account had none (or none was given). */
  pinMatched: z.boolean().optional(),
  /**
   * Fields read only from the request's sentences, not from a label, table or form (SPEC §15):
   * such a field never approves an auto-match on its own.
   */
  fromProse: z.array(z.string()).optional(),
});
export type Provided = z.infer<typeof ProvidedSchema>;

/** What a carrier's request gives, the PIN in clear: read from mail, checked at once, never stored. */
export type CarrierProvided = Omit<Provided, 'pinGiven' | 'pinMatched'> & { pin?: string };

export const MATCH_RESULTS = ['match', 'mismatch', 'missing'] as const;

export const MatchFieldReportSchema = z.object({
  field: z.string(),
  provided: z.string().optional(),
  onFile: z.string().optional(),
  result: z.enum(MATCH_RESULTS),
  reason: z.string(),
  code: ReasonCodeSchema.optional(),
});
export type MatchFieldReport = z.infer<typeof MatchFieldReportSchema>;

export const MatchReportSchema = z.object({
  matched: z.boolean(),
  fields: z.array(MatchFieldReportSchema),
  reasonCodes: z.array(ReasonCodeSchema),
});
export type MatchReport = z.infer<typeof MatchReportSchema>;

export const HistoryEventSchema = z.object({
  at: IsoInstant,
  event: z.string(),
  detail: z.string().optional(),
});
export type HistoryEvent = z.infer<typeof HistoryEventSchema>;

export const VerificationSchema = z.object({
  sentTo: z.string(),
  sentAt: IsoInstant,
  expiresAt: IsoInstant,
  reminderSentAt: IsoInstant.optional(),
  /** Message-ID of the verification e-mail; replies thread to it. A secret: never sent elsewhere. */
  messageId: z.string(),
  /** Message-IDs of the reminder and "please answer clearly" e-mails; they bind replies too. */
  followUpIds: z.array(z.string()).optional(),
  /** How many "please answer clearly" e-mails went out. */
  clarifications: z.number().int().nonnegative().default(0),
});
export type Verification = z.infer<typeof VerificationSchema>;

export const DecisionSchema = z.object({
  by: z.enum(['customer', 'auto-match', 'support', 'desk', 'carrier', 'job']),
  at: IsoInstant,
  reasonCodes: z.array(ReasonCodeSchema),
  matchReport: MatchReportSchema.optional(),
  note: z.string().optional(),
});
export type Decision = z.infer<typeof DecisionSchema>;

export const PortOrderSchema = z.object({
  id: z.string().regex(/^PO-[0-9A-Z]{6}$/),
  /** Secret token carried in the verification's reply address (porting+TOKEN@…). */
  token: z.string().min(8),
  state: z.enum(ORDER_STATES),
  accountId: z.string(),
  dids: z.array(E164).min(1),
  carrier: CarrierSchema,
  provided: ProvidedSchema,
  requestedDate: IsoDate.optional(),
  focDate: IsoDate.optional(),
  verification: VerificationSchema.optional(),
  decision: DecisionSchema.optional(),
  /** Message-IDs of the desk's e-mails to the carrier about this order: a notice in that thread counts. */
  carrierMessageIds: z.array(z.string()).optional(),
  /** Identifies "the same request" for idempotent resends (rule 11). */
  requestKey: z.string(),
  sourceMessageIds: z.array(z.string()),
  createdAt: IsoInstant,
  updatedAt: IsoInstant,
  completedAt: IsoInstant.optional(),
  history: z.array(HistoryEventSchema),
});
export type PortOrder = z.infer<typeof PortOrderSchema>;

export const CsrRequestSchema = z.object({
  id: z.string(),
  from: z.string(),
  provided: z.object({
    name: z.string().optional(),
    email: z.string().optional(),
    techPrefix: z.string().optional(),
    dids: z.array(z.string()),
  }),
  accountId: z.string().optional(),
  outcome: z.enum(['sent', 'needs-review']),
  reasons: z.array(z.string()),
  sourceMessageId: z.string().optional(),
  at: IsoInstant,
});
export type CsrRequest = z.infer<typeof CsrRequestSchema>;

export const MESSAGE_KINDS = [
  'port_request',
  'completion_notice',
  'cancellation',
  'verification_reply',
  'csr_request',
  'auto_reply',
  'bounce',
  'other',
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** `deferred`: not decided yet (mail authentication waits on DNS); the message is handed over again. */
export const INBOUND_OUTCOMES = ['processed', 'review', 'ignored', 'deferred'] as const;
export type InboundOutcome = (typeof INBOUND_OUTCOMES)[number];

export const InboundEntrySchema = z.object({
  /** Message-ID, or `sha256:<hex>` of the raw message when it has none. */
  key: z.string(),
  messageId: z.string().optional(),
  mailbox: z.string().optional(),
  uid: z.number().int().optional(),
  uidValidity: z.string().optional(),
  from: z.string().optional(),
  subject: z.string().optional(),
  kind: z.enum(MESSAGE_KINDS),
  outcome: z.enum(INBOUND_OUTCOMES),
  reason: z.string().optional(),
  /** Why it waits in Review, as a code (SPEC §10); `reason` says it in words. */
  reviewReason: z.enum(REVIEW_REASONS).optional(),
  /** Who really sent it, as far as mail authentication could tell (SPEC §11). */
  auth: AuthResultSchema.optional(),
  /** Support was alerted (`sent`), or the alert was held back by the throttle for the digest (`held`). */
  alert: z.enum(['sent', 'held']).optional(),
  /** First time it was deferred, while it waits for mail authentication. */
  deferredSince: IsoInstant.optional(),
  /**
   * When the provider's own mail server took it (IMAP INTERNALDATE), when that is earlier than
   * `at`: a backlog read at once still counts toward the limits per sender at its real pace.
   */
  receivedAt: IsoInstant.optional(),
  /** What support did with it in Review: dismissed with a note, or handled again (reprocessed). */
  resolution: z
    .object({
      action: z.enum(['dismissed', 'reprocessed']),
      at: IsoInstant,
      by: z.string().optional(),
      note: z.string().optional(),
      /** Before a reprocess: the reason it had been parked for. */
      previous: z.string().optional(),
    })
    .optional(),
  orderIds: z.array(z.string()).default([]),
  at: IsoInstant,
});
export type InboundEntry = z.infer<typeof InboundEntrySchema>;

export const OUTBOX_STATUSES = ['queued', 'sent', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

export const OutboxEntrySchema = z.object({
  id: z.string(),
  /** Stable Message-ID, fixed when the entry is queued, so a resend is recognisable. */
  messageId: z.string(),
  template: z.string(),
  from: z.string(),
  to: z.array(z.string()).min(1),
  cc: z.array(z.string()).default([]),
  replyTo: z.string().optional(),
  subject: z.string(),
  text: z.string(),
  html: z.string(),
  inReplyTo: z.string().optional(),
  references: z.array(z.string()).default([]),
  autoSubmitted: z.enum(['auto-replied', 'auto-generated']),
  orderId: z.string().optional(),
  status: z.enum(OUTBOX_STATUSES),
  attempts: z.number().int().nonnegative(),
  lastError: z.string().optional(),
  nextAttemptAt: IsoInstant,
  createdAt: IsoInstant,
  sentAt: IsoInstant.optional(),
});
export type OutboxEntry = z.infer<typeof OutboxEntrySchema>;

/** A console user's name: what they sign in with and what history records (lower case). */
export const UserName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1–64 lower-case letters, digits, dots, dashes or underscores');

/** Someone who may sign in to the console (SPEC §12). A removed user stays, so history can name them. */
export const ConsoleUserSchema = z.object({
  name: UserName,
  /** `scrypt$N$r$p$salt$hash` of the password; never the password. */
  passwordHash: z.string().min(1),
  createdAt: IsoInstant,
  passwordChangedAt: IsoInstant.optional(),
  removedAt: IsoInstant.optional(),
});
export type ConsoleUser = z.infer<typeof ConsoleUserSchema>;

/** Where the IMAP source is in a mailbox, persisted so a restart resumes and a resync is noticed. */
export const MailboxCursorSchema = z.object({
  uidValidity: z.string(),
  lastUid: z.number().int().nonnegative(),
});
export type MailboxCursor = z.infer<typeof MailboxCursorSchema>;

/** What the desk tells the provider's other systems (SPEC §14). */
export const WEBHOOK_EVENT_TYPES = [
  'order.received',
  'order.verification_sent',
  'order.approved',
  'order.rejected',
  'order.completed',
  'order.canceled',
  'review.created',
  'outbox.failed',
  'accounts.synced',
  'ping',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** One event's way to one endpoint: retried until the endpoint answers 2xx. */
export const WebhookDeliverySchema = z.object({
  /** The endpoint's URL as configured (WEBHOOK_URL). */
  endpoint: z.string().min(1),
  /** `dropped`: the endpoint left WEBHOOK_URL while this waited (never tried again). */
  status: z.enum(['pending', 'delivered', 'dropped']),
  attempts: z.number().int().nonnegative(),
  nextAttemptAt: IsoInstant,
  lastAttemptAt: IsoInstant.optional(),
  /** The first failed attempt of this delivery. */
  firstFailedAt: IsoInstant.optional(),
  lastError: z.string().optional(),
  deliveredAt: IsoInstant.optional(),
  droppedAt: IsoInstant.optional(),
});
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

/**
 * An event, written in the same commit as the change it tells of (an outbox of its own), and its
 * deliveries. `id` is the `webhook-id` of every try; ids sort in the order events were written.
 */
export const WebhookEventSchema = z.object({
  id: z.string().regex(/^msg_[0-9a-z]+$/),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  timestamp: IsoInstant,
  /** The order it is about: its events reach each endpoint one after the other, in order. */
  orderId: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
  deliveries: z.array(WebhookDeliverySchema),
});
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;
