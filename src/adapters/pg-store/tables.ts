/**
 * How each kind of record maps to its table: the key, the columns beside the JSON document, and
 * the schema a loaded row is checked against. Writes are batched per table, one statement per
 * table per commit (upsertStatement).
 */
import type { z } from 'zod';
import {
  AccountSchema,
  ConsoleUserSchema,
  CsrRequestSchema,
  InboundEntrySchema,
  MailboxCursorSchema,
  OutboxEntrySchema,
  PortOrderSchema,
  WebhookEventSchema,
  type Account,
  type ConsoleUser,
  type CsrRequest,
  type InboundEntry,
  type OutboxEntry,
  type PortOrder,
  type WebhookEvent,
} from '../../domain/records.js';
import type { Changes } from '../../ports/store.js';

interface Column<T> {
  name: string;
  type: 'text' | 'timestamptz';
  of: (record: T) => string | null;
}

export interface TableSpec<T> {
  table: string;
  key: string;
  keyOf: (record: T) => string;
  columns: Column<T>[];
  schema: z.ZodType<T>;
}

function table<T>(spec: TableSpec<T>): TableSpec<T> {
  return spec;
}

export const TABLES = {
  accounts: table<Account>({ table: 'accounts', key: 'id', keyOf: (a) => a.id, columns: [], schema: AccountSchema as z.ZodType<Account> }),
  orders: table<PortOrder>({
    table: 'orders',
    key: 'id',
    keyOf: (o) => o.id,
    columns: [
      { name: 'state', type: 'text', of: (o) => o.state },
      { name: 'account_id', type: 'text', of: (o) => o.accountId },
      { name: 'token', type: 'text', of: (o) => o.token },
      { name: 'verification_message_id', type: 'text', of: (o) => o.verification?.messageId ?? null },
      { name: 'created_at', type: 'timestamptz', of: (o) => o.createdAt },
      { name: 'updated_at', type: 'timestamptz', of: (o) => o.updatedAt },
    ],
    schema: PortOrderSchema as z.ZodType<PortOrder>,
  }),
  csrRequests: table<CsrRequest>({ table: 'csr_requests', key: 'id', keyOf: (c) => c.id, columns: [], schema: CsrRequestSchema as z.ZodType<CsrRequest> }),
  inbound: table<InboundEntry>({
    table: 'inbound',
    key: 'key',
    keyOf: (i) => i.key,
    columns: [
      { name: 'at', type: 'timestamptz', of: (i) => i.at },
      { name: 'outcome', type: 'text', of: (i) => i.outcome },
    ],
    schema: InboundEntrySchema as z.ZodType<InboundEntry>,
  }),
  outbox: table<OutboxEntry>({
    table: 'outbox',
    key: 'id',
    keyOf: (e) => e.id,
    columns: [
      { name: 'status', type: 'text', of: (e) => e.status },
      { name: 'order_id', type: 'text', of: (e) => e.orderId ?? null },
      { name: 'message_id', type: 'text', of: (e) => e.messageId },
      { name: 'created_at', type: 'timestamptz', of: (e) => e.createdAt },
      { name: 'sent_at', type: 'timestamptz', of: (e) => e.sentAt ?? null },
    ],
    schema: OutboxEntrySchema as z.ZodType<OutboxEntry>,
  }),
  users: table<ConsoleUser>({ table: 'users', key: 'name', keyOf: (u) => u.name, columns: [], schema: ConsoleUserSchema as z.ZodType<ConsoleUser> }),
  events: table<WebhookEvent>({
    table: 'events',
    key: 'id',
    keyOf: (e) => e.id,
    columns: [
      { name: 'order_id', type: 'text', of: (e) => e.orderId ?? null },
      { name: 'status', type: 'text', of: (e) => (e.deliveries.some((d) => d.status === 'pending') ? 'pending' : 'delivered') },
      { name: 'at', type: 'timestamptz', of: (e) => e.timestamp },
    ],
    schema: WebhookEventSchema as z.ZodType<WebhookEvent>,
  }),
} as const;

export const CURSOR_SCHEMA = MailboxCursorSchema;

/** The record lists of a Changes, by table (cursors apart: they are keyed by mailbox). */
export type RecordKind = keyof typeof TABLES;
export const RECORD_KINDS = Object.keys(TABLES) as RecordKind[];

export function recordsOf(changes: Changes, kind: RecordKind): unknown[] {
  return (changes[kind] as unknown[] | undefined) ?? [];
}

/**
 * One upsert of many records: `INSERT … SELECT … FROM jsonb_to_recordset($1) … ON CONFLICT …`.
 * The rows travel as one JSON text, not as arrays: node-postgres escapes an array parameter
 * element by element, which for 50,000 accounts costs more than the server's whole upsert.
 * A record listed twice keeps its last version (one statement cannot update a row twice).
 */
export function upsertStatement<T>(spec: TableSpec<T>, records: readonly T[], version: number): { text: string; values: unknown[] } | undefined {
  const byKey = new Map<string, T>();
  for (const r of records) byKey.set(spec.keyOf(r), r);
  if (byKey.size === 0) return undefined;
  // Short column aliases in the JSON (c0, c1…): the names are the table's, the text is smaller.
  const rows = [...byKey.values()].map((r) => {
    const row: Record<string, unknown> = { k: spec.keyOf(r), d: r };
    spec.columns.forEach((c, i) => (row[`c${i}`] = c.of(r)));
    return row;
  });
  const names = [spec.key, ...spec.columns.map((c) => c.name), 'data', 'version'];
  const shape = ['k text', ...spec.columns.map((c, i) => `c${i} ${c.type}`), 'd jsonb'].join(', ');
  const select = ['r.k', ...spec.columns.map((_c, i) => `r.c${i}`), 'r.d', '$2::bigint'].join(', ');
  const updates = names
    .slice(1)
    .map((n) => `${n} = EXCLUDED.${n}`)
    .join(', ');
  return {
    text: `INSERT INTO ${spec.table} (${names.join(', ')}) SELECT ${select} FROM jsonb_to_recordset($1::jsonb) AS r(${shape}) ON CONFLICT (${spec.key}) DO UPDATE SET ${updates}`,
    values: [JSON.stringify(rows), version],
  };
}
