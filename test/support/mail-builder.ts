/**
 * Builds raw RFC 822 messages for tests: plain text, or multipart/alternative when HTML is given.
 * Header values are written as given (ASCII); bodies are UTF-8, quoted-printable.
 */
export interface MailSpec {
  from: string;
  to: string | string[];
  subject: string;
  text?: string;
  html?: string;
  cc?: string | string[];
  /** Without angle brackets; `null` leaves the header out. Default: a unique id. */
  messageId?: string | null;
  inReplyTo?: string;
  references?: string[];
  date?: Date;
  replyTo?: string;
  /** Extra headers, written as given (e.g. `Auto-Submitted`, `X-Autoreply`). */
  headers?: Record<string, string>;
}

let counter = 0;

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Quoted-printable for UTF-8 text, lines kept under 76 characters. */
function quotedPrintable(text: string): string {
  return text.replace(/\r?\n/g, '\n').split('\n').map(quotedPrintableLine).join('\r\n');
}

/** One line of UTF-8 text as quoted-printable, soft-broken under 76 characters; TABs kept. */
export function quotedPrintableLine(line: string): string {
  let encoded = '';
  for (const byte of Buffer.from(line, 'utf8')) {
    const ch = String.fromCharCode(byte);
    encoded += (byte >= 33 && byte <= 126 && ch !== '=') || byte === 32 || byte === 9 ? ch : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (encoded.endsWith(' ')) encoded = `${encoded.slice(0, -1)}=20`;
  if (encoded.endsWith('\t')) encoded = `${encoded.slice(0, -1)}=09`;
  const out: string[] = [];
  while (encoded.length > 75) {
    let cut = 75;
    // Never split an =XX escape.
    const eq = encoded.lastIndexOf('=', cut);
    if (eq > cut - 3) cut = eq;
    out.push(`${encoded.slice(0, cut)}=`);
    encoded = encoded.slice(cut);
  }
  out.push(encoded);
  return out.join('\r\n');
}

function part(type: string, body: string): string {
  return [`Content-Type: ${type}; charset=utf-8`, 'Content-Transfer-Encoding: quoted-printable', '', quotedPrintable(body)].join('\r\n');
}

/** A fresh Message-ID in the sender's domain. */
export function newMessageId(from = 'sender@example.test'): string {
  const domain = from.slice(from.lastIndexOf('@') + 1).replace(/>.*$/, '') || 'example.test';
  return `t${++counter}@${domain}`;
}

export function buildMail(spec: MailSpec): Buffer {
  const headers: string[] = [];
  const messageId = spec.messageId === undefined ? newMessageId(spec.from) : spec.messageId;
  headers.push(`From: ${spec.from}`);
  headers.push(`To: ${list(spec.to).join(', ')}`);
  const cc = list(spec.cc);
  if (cc.length) headers.push(`Cc: ${cc.join(', ')}`);
  if (spec.replyTo) headers.push(`Reply-To: ${spec.replyTo}`);
  headers.push(`Subject: ${spec.subject}`);
  headers.push(`Date: ${(spec.date ?? new Date('2026-03-02T15:00:00Z')).toUTCString().replace('GMT', '+0000')}`);
  if (messageId !== null) headers.push(`Message-ID: <${messageId}>`);
  if (spec.inReplyTo) headers.push(`In-Reply-To: <${spec.inReplyTo}>`);
  if (spec.references?.length) headers.push(`References: ${spec.references.map((r) => `<${r}>`).join(' ')}`);
  for (const [name, value] of Object.entries(spec.headers ?? {})) headers.push(`${name}: ${value}`);
  headers.push('MIME-Version: 1.0');

  const text = spec.text ?? '';
  let body: string;
  if (spec.html === undefined) {
    body = part('text/plain', text);
  } else {
    const boundary = `=_b${++counter}_${Math.random().toString(36).slice(2)}`;
    body = [
      `Content-Type: multipart/alternative; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      part('text/plain', text),
      `--${boundary}`,
      part('text/html', spec.html),
      `--${boundary}--`,
      '',
    ].join('\r\n');
    return Buffer.from(`${headers.join('\r\n')}\r\n${body}`, 'utf8');
  }
  return Buffer.from(`${headers.join('\r\n')}\r\n${body}\r\n`, 'utf8');
}

/** The Message-ID a built message carries (reads it back from the raw bytes). */
export function messageIdOf(raw: Buffer): string | undefined {
  return /^Message-ID: <([^>]+)>/im.exec(raw.toString('utf8'))?.[1];
}
