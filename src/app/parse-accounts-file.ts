/**
 * Reading an accounts file (JSON or CSV) into accounts, every row checked on its own and against
 * the others (the same number or id twice). A number that lands on the wrong account approves
 * the wrong customer's port-out, so anything doubtful is refused with the row, the field and the
 * reason, and no account is returned at all. Checking against the store is import-accounts.ts.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { AccountSchema, type Account, type Did } from '../domain/records.js';
import { normalizePin } from '../domain/normalize.js';
import { toE164 } from '../domain/phone.js';

export type AccountsFormat = 'json' | 'csv';

/** `row` is the 1-based data row (0: the file as a whole); `line` is the CSV line it ends on. */
export interface ImportRowError {
  row: number;
  line?: number;
  problems: string[];
}

export type ParseAccountsResult = { ok: true; accounts: Account[] } | { ok: false; errors: ImportRowError[] };

/** The format a file name implies, or undefined when its extension says neither. */
export function detectAccountsFormat(fileName: string): AccountsFormat | undefined {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.csv')) return 'csv';
  return undefined;
}

// ---------------------------------------------------------------- numbers

/** Phone-number-looking runs inside free text: `(206) 555-0100`, `+1 206.555.0101`, `2065550102`. */
const NUMBER_RUN = /(?:\+?1[\s.-]*)?\(?\d{3}\)?[\s.-]*\d{3}[\s.-]*\d{4}\b/g;

/**
 * Splits a cell of numbers ("206-555-0100; (503) 555-0101 4155550102") into E.164. Numbers may be
 * separated by `;`, `,`, `|`, new lines or spaces; spaces inside one number are fine.
 */
function readNumberList(text: string, field: string, problems: string[]): string[] {
  const out: string[] = [];
  for (const chunk of text.split(/[;,|\n]/)) {
    let rest = chunk.trim();
    if (!rest) continue;
    for (const m of chunk.matchAll(NUMBER_RUN)) {
      const e164 = toE164(m[0]);
      if (!e164) continue;
      out.push(e164);
      rest = rest.replace(m[0].trim(), ' ');
    }
    rest = rest.trim();
    if (!rest) continue;
    // What is left may be a number in international form (+44 20 7946 0958); anything else is not a number.
    const international = /^\+[\d\s().-]+$/.test(rest) ? toE164(rest) : undefined;
    if (international) out.push(international);
    else problems.push(`${field}: "${rest}" is not a valid phone number`);
  }
  return out;
}

function readDid(value: unknown, field: string, problems: string[]): Did[] {
  if (typeof value === 'string') {
    return readNumberList(value, field, problems).map((number) => ({ number, status: 'active' }));
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    if (typeof obj['number'] !== 'string') {
      problems.push(`${field}.number: required`);
      return [];
    }
    const number = toE164(obj['number']);
    if (!number) {
      problems.push(`${field}.number: "${obj['number']}" is not a valid US phone number`);
      return [];
    }
    return [{ ...(obj as Partial<Did>), number, status: (obj['status'] as Did['status'] | undefined) ?? 'active' }];
  }
  problems.push(`${field}: must be a phone number or {number, status}`);
  return [];
}

function readDids(value: unknown, problems: string[]): Did[] | undefined {
  if (value === undefined || value === null) return undefined;
  const dids =
    typeof value === 'string'
      ? readDid(value, 'dids', problems)
      : Array.isArray(value)
        ? value.flatMap((v, i) => readDid(v, `dids[${i}]`, problems))
        : (problems.push('dids: must be a list of phone numbers'), []);
  const seen = new Set<string>();
  for (const d of dids) {
    if (seen.has(d.number)) problems.push(`dids: ${d.number} is listed twice`);
    seen.add(d.number);
  }
  return dids;
}

// ---------------------------------------------------------------- one account

/**
 * Validates one account object (already shaped like Account, numbers in any format). What the
 * desk itself keeps on an account (the PIN-guessing record, when the PIN changed) is not read
 * from a file.
 */
function readAccount(input: Record<string, unknown>, problems: string[]): Account | undefined {
  const dids = readDids(input['dids'], problems);
  const { pinGuard: _guard, portOutPinChangedAt: _changed, ...fields } = input;
  const candidate = { ...fields, ...(dids ? { dids } : {}) };
  const parsed = AccountSchema.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const where = issue.path.map(String).join('.') || 'account';
      const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
      problems.push(`${where}: ${missing ? 'required' : issue.message}`);
    }
    return undefined;
  }
  if (parsed.data.dids.length === 0) {
    problems.push('dids: an account needs at least one number');
    return undefined;
  }
  // A PIN of only spaces and dashes would match a request that gives none: leave it out instead.
  if (parsed.data.portOutPin !== undefined && normalizePin(parsed.data.portOutPin) === '') {
    problems.push('portOutPin: has no letters or digits (leave it empty for no PIN)');
    return undefined;
  }
  return parsed.data;
}

/** Checks what no single row can: the same number or id on two rows. */
function findCrossRowProblems(rows: { row: number; account: Account }[], label: (row: number) => string): ImportRowError[] {
  const problemsByRow = new Map<number, string[]>();
  const add = (row: number, problem: string) => {
    const list = problemsByRow.get(row) ?? [];
    list.push(problem);
    problemsByRow.set(row, list);
  };
  const rowOfId = new Map<string, number>();
  const rowOfNumber = new Map<string, number>();
  for (const { row, account } of rows) {
    const firstId = rowOfId.get(account.id);
    if (firstId !== undefined) add(row, `id: "${account.id}" is also used by ${label(firstId)}`);
    else rowOfId.set(account.id, row);
    for (const d of account.dids) {
      const first = rowOfNumber.get(d.number);
      if (first !== undefined) add(row, `dids: ${d.number} is also on ${label(first)}`);
      else rowOfNumber.set(d.number, row);
    }
  }
  return [...problemsByRow].map(([row, problems]) => ({ row, problems }));
}

// ---------------------------------------------------------------- JSON

function parseJsonAccounts(content: string): ParseAccountsResult {
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch (err) {
    // V8 may quote a piece of the document (a PIN, perhaps): the message goes to logs and support.
    const message = (err as Error).message.replace(/, ".*" is not valid JSON$/s, ' (the document is not valid JSON)');
    return { ok: false, errors: [{ row: 0, problems: [`not valid JSON: ${message}`] }] };
  }
  const list = Array.isArray(data) ? data : (data as { accounts?: unknown } | null)?.accounts;
  if (!Array.isArray(list)) {
    return { ok: false, errors: [{ row: 0, problems: ['expected an array of accounts (or {"accounts": [...]})'] }] };
  }
  const errors: ImportRowError[] = [];
  const rows: { row: number; account: Account }[] = [];
  list.forEach((item, i) => {
    const row = i + 1;
    const problems: string[] = [];
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      errors.push({ row, problems: ['must be an account object'] });
      return;
    }
    const account = readAccount(item as Record<string, unknown>, problems);
    if (problems.length || !account) errors.push({ row, problems });
    else rows.push({ row, account });
  });
  return finish(rows, errors, (row) => `row ${row}`, new Map());
}

// ---------------------------------------------------------------- CSV

type Column =
  | 'id'
  | 'name'
  | 'company'
  | 'email'
  | 'techPrefix'
  | 'accountNumber'
  | 'street'
  | 'unit'
  | 'city'
  | 'state'
  | 'zip'
  | 'dids'
  | 'portOutPin'
  | 'portOutLock'
  | 'status';

/** Header names people use, lower-cased with everything but letters and digits removed. */
const COLUMN_ALIASES: Record<Column, string[]> = {
  id: ['id', 'accountid', 'customerid'],
  name: ['name', 'accountname', 'nameonaccount', 'customername', 'contactname', 'fullname'],
  company: ['company', 'companyname', 'business', 'businessname', 'organization', 'organisation'],
  email: ['email', 'emailaddress', 'mail'],
  techPrefix: ['techprefix', 'prefix', 'tech'],
  accountNumber: ['accountnumber', 'accountno', 'acctnumber', 'acctno', 'acct', 'account', 'an', 'ban'],
  street: ['street', 'streetaddress', 'address', 'address1', 'addressline1', 'serviceaddress'],
  unit: ['unit', 'suite', 'apt', 'apartment', 'address2', 'addressline2', 'ste'],
  city: ['city', 'town'],
  state: ['state', 'province', 'region'],
  zip: ['zip', 'zipcode', 'postalcode', 'postcode'],
  dids: ['dids', 'did', 'numbers', 'number', 'tns', 'tn', 'phonenumbers', 'telephonenumbers', 'phones'],
  portOutPin: ['portoutpin', 'pin', 'passcode', 'portpin'],
  portOutLock: ['portoutlock', 'lock', 'portlock', 'locked', 'portprotect', 'portprotection'],
  status: ['status', 'accountstatus'],
};

const COLUMN_BY_ALIAS = new Map<string, Column>(
  (Object.entries(COLUMN_ALIASES) as [Column, string[]][]).flatMap(([col, names]) => names.map((n) => [n, col] as const)),
);

const simplify = (header: string) => header.toLowerCase().replace(/[^a-z0-9]/g, '');

function readBoolean(text: string, field: string, problems: string[]): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (t === '') return undefined;
  if (['true', 'yes', 'y', '1', 'on', 'locked'].includes(t)) return true;
  if (['false', 'no', 'n', '0', 'off', 'unlocked'].includes(t)) return false;
  problems.push(`${field}: "${text}" is not yes/no`);
  return undefined;
}

function parseCsvAccounts(content: string): ParseAccountsResult {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(content, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
  } catch (err) {
    const e = err as Error & { lines?: number };
    return { ok: false, errors: [{ row: 0, ...(e.lines ? { line: e.lines } : {}), problems: [`not readable as CSV: ${e.message}`] }] };
  }
  const [head, ...body] = records;
  if (!head) return { ok: false, errors: [{ row: 0, problems: ['the file is empty'] }] };

  const headerProblems: string[] = [];
  const seen = new Set<Column>();
  const columns = head.record.map((h) => {
    const col = COLUMN_BY_ALIAS.get(simplify(h));
    if (!col) headerProblems.push(`line ${head.info.lines}: unknown column "${h}"`);
    else if (seen.has(col)) headerProblems.push(`line ${head.info.lines}: column "${h}" is a second ${col} column`);
    else seen.add(col);
    return col;
  });
  for (const required of ['id', 'name', 'email', 'techPrefix', 'accountNumber', 'street', 'city', 'state', 'zip', 'dids'] as const) {
    if (!seen.has(required)) headerProblems.push(`line ${head.info.lines}: missing column ${required}`);
  }
  if (headerProblems.length) return { ok: false, errors: [{ row: 0, line: head.info.lines, problems: headerProblems }] };

  const errors: ImportRowError[] = [];
  const rows: { row: number; account: Account }[] = [];
  const lineOfRow = new Map<number, number>();
  body.forEach(({ record, info }, i) => {
    const row = i + 1;
    const line = info.lines;
    lineOfRow.set(row, line);
    const problems: string[] = [];
    if (record.length > columns.length) problems.push(`has ${record.length} cells but the header has ${columns.length} columns`);
    const cells = new Map<Column, string>();
    columns.forEach((c, k) => {
      const v = record[k];
      if (c && v !== undefined && v !== '') cells.set(c, v);
    });
    const lock = readBoolean(cells.get('portOutLock') ?? '', 'portOutLock', problems);
    const pick = (keys: Column[]) => Object.fromEntries(keys.filter((k) => cells.has(k)).map((k) => [k, cells.get(k)]));
    const input: Record<string, unknown> = {
      ...pick(['id', 'name', 'company', 'email', 'techPrefix', 'accountNumber', 'portOutPin']),
      address: pick(['street', 'unit', 'city', 'state', 'zip']),
      dids: cells.get('dids') ?? [],
      ...(lock === undefined ? {} : { portOutLock: lock }),
      ...(cells.has('status') ? { status: cells.get('status')!.toLowerCase() } : {}),
    };
    const account = readAccount(input, problems);
    if (problems.length || !account) errors.push({ row, line, problems: problems.map((p) => `line ${line}: ${p}`) });
    else rows.push({ row, account });
  });
  return finish(rows, errors, (row) => `row ${row} (line ${lineOfRow.get(row)})`, lineOfRow);
}

function finish(
  rows: { row: number; account: Account }[],
  errors: ImportRowError[],
  label: (row: number) => string,
  lineOfRow: Map<number, number>,
): ParseAccountsResult {
  for (const e of findCrossRowProblems(rows, label)) {
    const line = lineOfRow.get(e.row);
    errors.push({ row: e.row, ...(line ? { line } : {}), problems: e.problems.map((p) => (line ? `line ${line}: ${p}` : p)) });
  }
  if (rows.length === 0 && errors.length === 0) errors.push({ row: 0, problems: ['no accounts in the file'] });
  if (errors.length) return { ok: false, errors: mergeByRow(errors) };
  return { ok: true, accounts: rows.map((r) => r.account) };
}

/** One entry per row, its problems in the order found, rows in order. */
export function mergeByRow(errors: ImportRowError[]): ImportRowError[] {
  const byRow = new Map<number, ImportRowError>();
  for (const e of errors) {
    const existing = byRow.get(e.row);
    if (existing) existing.problems.push(...e.problems);
    else byRow.set(e.row, { ...e, problems: [...e.problems] });
  }
  return [...byRow.values()].sort((a, b) => a.row - b.row);
}

/**
 * Reads accounts from a JSON array (numbers as strings in any US format, or {number, status})
 * or a CSV with a header row. Every problem is reported with its row; nothing is returned unless
 * every row is right.
 */
export function parseAccountsFile(content: string, format: AccountsFormat): ParseAccountsResult {
  return format === 'json' ? parseJsonAccounts(content) : parseCsvAccounts(content);
}
