/**
 * What kind of mail arrived: a carrier's port request, completion or cancellation notice, a
 * customer's verification reply or CSR request, an auto-reply, a bounce, or something else.
 *
 * Machine mail is recognised by structure and headers, never by guessing at the body (RFC 3834
 * and what mail systems actually send). Order matters: a loop, a bounce and an auto-reply are
 * settled before anything else, because answering one of them can start a mail storm.
 */
import { extractNumbers } from './extract-numbers.js';
import { findOrderIds, findReplyTokens } from './find-order-refs.js';
import { countPortFields, findInlinePon, readPortLabels } from './read-port-labels.js';
import { MAX_TEXT_CHARS } from './limits.js';
import { findForwardedPart, quotedOriginal } from './text/forwards.js';
import { htmlToText } from './text/html-to-text.js';
import { cutQuotedAndSignature } from './text/quotes.js';
import { hasForwardSubject, hasReplySubject } from './text/subject-prefixes.js';
import type { Classification, InboundMessage } from './types.js';

export interface ClassifyContext {
  /** The desk's own addresses (MAIL_FROM and any alias mail comes in on). */
  deskAddresses: string[];
}

/** Subjects of out-of-office and automatic replies in the languages customers write in. */
const AUTO_REPLY_SUBJECT_RE = new RegExp(
  [
    String.raw`auto(?:matic|matische|matisch|matique|mática|matica|mático|matico)?[ -]?(?:reply|response|antwort|antwoord|svar|réponse|reponse|respuesta|risposta|resposta|odpowiedź)`,
    String.raw`automatic reply`,
    String.raw`out of (?:the )?office`,
    String.raw`\booo\b`,
    String.raw`away from (?:the |my )?office`,
    String.raw`on vacation`,
    String.raw`vacation (?:reply|response|notice)`,
    String.raw`abwesenheits?notiz`,
    String.raw`\babwesend\b`,
    String.raw`nicht im büro`,
    String.raw`réponse automatique`,
    String.raw`reponse automatique`,
    String.raw`absence du bureau`,
    String.raw`\babsent(?:e)? du bureau`,
    String.raw`respuesta automática`,
    String.raw`respuesta automatica`,
    String.raw`fuera de (?:la )?oficina`,
    String.raw`risposta automatica`,
    String.raw`fuori ufficio`,
    String.raw`resposta automática`,
    String.raw`ausente do escritório`,
    String.raw`\bautosvar\b`,
    String.raw`frånvaro`,
    String.raw`\bfravær`,
    String.raw`automatisch antwoord`,
    String.raw`\bafwezig`,
    String.raw`niet op kantoor`,
    String.raw`automatyczna odpowiedź`,
    String.raw`poza biurem`,
    String.raw`automaattinen vastaus`,
    String.raw`lomalla`,
    String.raw`自動応答`,
    String.raw`自动回复`,
  ].join('|'),
  'i',
);

const NO_REPLY_SENDER_RE = /^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon|postmaster|bounces?|auto[-_.]?(?:reply|responder)|notifications?[-_.]?noreply)(?:[+-][^@]*)?@/i;
const DAEMON_SENDER_RE = /^(?:mailer[-_.]?daemon|postmaster)(?:[+-][^@]*)?@/i;
const DSN_TEXT_RE = /^(?:final-recipient|original-recipient|reporting-mta|diagnostic-code):|^action:\s*(?:failed|delayed)|^status:\s*[45]\.\d+\.\d+/im;

const PORT_WORDING_RE =
  /\bport[- ]?(?:out|ing)?\s+request\b|\bport[- ]out\b|\bporting\b|\blsr\b|\blocal service request\b|\bplease port\b|\brequest(?:ing)? to port\b|\bport (?:the |these |this |our |my )?(?:following )?(?:numbers?|tns?|dids?|lines?)\b|\bnumber portability\b|\bport away\b|\b(?:move|moving|transfer(?:ring)?|bring(?:ing)?)\s+(?:\w+\s+){0,3}(?:numbers?|lines?|phone\s+service)\b|\b(?:the|a)\s+port\s+(?:on|for|date|by)\b/i;

const COMPLETION_RE =
  /\bport(?:ing)?(?:[- ](?:out|in))?(?:\s+request)?\s+(?:has\s+been\s+|was\s+|is\s+(?:now\s+)?)?complet(?:ed?|ion)\b|\b(?:has|have)\s+(?:now\s+)?(?:been\s+)?(?:successfully\s+)?(?:ported|activated)\b|\bsuccessfully\s+(?:ported|activated)\b|\bactivation\s+(?:is\s+)?complete\b|(?<!\b(?:to|will|be|being|get|getting|wish to|want to)\s+)\b(?:ported|activated)\b(?!\s+(?:to|from|by|out by|for)\s+\w|\s+(?:numbers?|tns?|dids?|lines?)\b|\s*:)/i;

const CANCEL_BODY_RE =
  /\b(?:cancel|withdraw|rescind)\s+(?:the\s+|this\s+|our\s+|my\s+|that\s+)?(?:port|order|request|lsr|pon)\b|\b(?:port|order|request|lsr|pon)\b[^.\n]{0,80}\b(?:has\s+been|is|was|been|being)\s+(?:cancel+ed|withdrawn|rescinded)\b|\bcancel+ation\s+(?:of|for)\b|^[ \t]*sup[ \t]*[:=][ \t]*1\b/im;
const CANCEL_SUBJECT_RE = /\b(?:cancel(?:l?ed|l?ing|lation|s)?|withdraw(?:n|al)?|rescind(?:ed)?)\b/i;

/** A letter of authorization named in a cover note: what carriers attach to a port request. */
const LOA_RE = /\bLOA\b|letter of (?:agency|authori[sz]ation)/i;
const CSR_RE = /\bCSR\b|customer\s+service\s+record/i;
const CSR_ASK_RE = /\b(?:send|request|requesting|need|provide|copy|please|get|obtain|would like|can i|could you|may i)\b/i;
// `[ \t]*`, not `\s*`, after a line start: `\s*` would run on over every blank line below, at
// every line start, and a message of empty lines would take minutes.
const TECH_PREFIX_RE = /^[ \t]*(?:[-*•][ \t]*)?tech(?:nical)?[ \t]*prefix[ \t]*[:=\t-]|\bprefix[ \t]*[:=]/im;

export function classifyMessage(msg: InboundMessage, ctx: ClassifyContext): Classification {
  const notes: string[] = [];
  const from = msg.from?.address.toLowerCase();
  if (!from) notes.push('no From address');

  // 1. A loop: the desk reading its own mail back.
  if (from && isDeskAddress(from, ctx.deskAddresses)) {
    return { kind: 'auto_reply', notes: [...notes, `mail loop: sent from the desk's own address ${from}; never answered`] };
  }

  // 2. Bounces, by structure.
  const bounce = findBounce(msg, from);
  if (bounce) return { kind: 'bounce', notes: [...notes, bounce] };

  // 3. Auto-replies, by headers and subject.
  const signals = findAutoSignals(msg, from);
  if (msg.headers['x-auto-response-suppress'] !== undefined && signals.reply.length === 0 && signals.machine.length === 0) {
    notes.push('X-Auto-Response-Suppress set (Exchange sets it on ordinary mail): not an auto-reply');
  }
  if (signals.reply.length > 0) {
    return { kind: 'auto_reply', notes: [...notes, ...signals.reply, ...signals.machine] };
  }

  const forwardSubject = hasForwardSubject(msg.subject);
  const forwarded = findForwardedPart(msg);
  if (forwarded) notes.push(`forwarded message (${forwarded.style}) read as the content`);

  // 4. Replies to the desk (only people reply; a machine-sent message never is one).
  if (signals.machine.length === 0 && !forwardSubject && !forwarded) {
    const reply = findReplySignals(msg, ctx);
    if (reply.length > 0) {
      const body = cutQuotedAndSignature(msg.text);
      if (COMPLETION_RE.test(body) && !reply.some((note) => note.startsWith('addressed to'))) {
        notes.push('its new text also reads as a completion notice');
      }
      return { kind: 'verification_reply', notes: [...notes, ...reply] };
    }
  }

  // 5. What the content says.
  const subject = forwarded?.subject ? `${forwarded.subject} ${msg.subject}` : msg.subject;
  const body = forwarded ? forwarded.text : msg.text;
  const content = readContent(msg, subject, body, forwarded?.attachments ?? msg.attachments);
  const kind = classifyContent(content, signals.machine.length === 0, notes);
  if (kind) {
    if (signals.machine.length > 0) notes.push(`sent by a machine (${signals.machine.join('; ')}) but read as carrier mail`);
    return { kind, notes };
  }
  if (signals.machine.length > 0) return { kind: 'auto_reply', notes: [...notes, ...signals.machine] };
  return { kind: 'other', notes: [...notes, 'not a port request, notice, reply or CSR request'] };
}

function isDeskAddress(address: string, deskAddresses: string[]): boolean {
  const plain = address.replace(/\+[^@]*@/, '@');
  return deskAddresses.some((desk) => desk.toLowerCase() === plain);
}

function findBounce(msg: InboundMessage, from: string | undefined): string | undefined {
  const type = msg.contentType.toLowerCase();
  if (type.startsWith('multipart/report') && /report-type\s*=\s*"?delivery-status/.test(type)) {
    return 'delivery status notification (multipart/report; report-type=delivery-status)';
  }
  const hasDsnPart = msg.attachments.some((part) => /^message\/(?:global-)?delivery-status/i.test(part.contentType));
  if (from && DAEMON_SENDER_RE.test(from) && (hasDsnPart || DSN_TEXT_RE.test(msg.text))) {
    return `delivery failure report from ${from}`;
  }
  return undefined;
}

interface AutoSignals {
  /** Signs of an automatic reply: always auto_reply. */
  reply: string[];
  /** Signs of machine-sent mail (notifications): auto_reply unless it reads as carrier mail. */
  machine: string[];
}

function findAutoSignals(msg: InboundMessage, from: string | undefined): AutoSignals {
  const reply: string[] = [];
  const machine: string[] = [];
  const h = msg.headers;
  const autoSubmitted = h['auto-submitted']?.trim().toLowerCase();
  if (autoSubmitted && !autoSubmitted.startsWith('no')) {
    (autoSubmitted.startsWith('auto-replied') ? reply : machine).push(`Auto-Submitted: ${autoSubmitted}`);
  }
  for (const name of ['x-autoreply', 'x-autorespond', 'x-auto-response']) {
    const value = h[name];
    if (value !== undefined && !/^\s*(?:no|false|0)\s*$/i.test(value)) reply.push(`${name} header present`);
  }
  const precedence = h.precedence?.trim().toLowerCase();
  if (precedence === 'auto_reply') reply.push('Precedence: auto_reply');
  else if (precedence && ['bulk', 'junk', 'list'].includes(precedence)) machine.push(`Precedence: ${precedence}`);
  if (/report-type\s*=\s*"?disposition-notification/i.test(msg.contentType)) reply.push('read receipt (disposition notification)');
  if (AUTO_REPLY_SUBJECT_RE.test(msg.subject)) reply.push(`out-of-office or automatic-reply subject "${msg.subject}"`);
  if (from && NO_REPLY_SENDER_RE.test(from)) machine.push(`sent from a no-reply address ${from}`);
  return { reply, machine };
}

function findReplySignals(msg: InboundMessage, ctx: ClassifyContext): string[] {
  const signals: string[] = [];
  const tokens = findReplyTokens([...msg.to, ...msg.cc], ctx.deskAddresses);
  // The token itself is a secret (rule 4): notes name its presence, never its value.
  if (tokens.length > 0) signals.push(`addressed to the desk's reply address with a verification token`);
  if (msg.inReplyTo) signals.push(`In-Reply-To ${msg.inReplyTo}`);
  else if (msg.references.length > 0) signals.push(`References ${msg.references[msg.references.length - 1] ?? ''}`);
  const orderIds = findOrderIds(msg.subject);
  if (hasReplySubject(msg.subject) && orderIds.length > 0) {
    signals.push(`reply subject naming ${orderIds.join(', ')}`);
  }
  return signals;
}

interface Content {
  subject: string;
  body: string;
  orderIds: string[];
  hasNumbers: boolean;
  hasPon: boolean;
  portFields: number;
  /** The attachments' text: read for port wording and fields, never for notices' wording. */
  attached: string;
  /** An attachment a person must read (a scanned LOA): with port wording, still a request. */
  unreadableAttachment: boolean;
}

function readContent(msg: InboundMessage, subject: string, body: string, attachments: InboundMessage['attachments']): Content {
  let text = cutQuotedAndSignature(body);
  // A text part that only says "view this in an HTML mail client": the HTML part is the message.
  if (countPortFields(text) < 2 && !hasNumbersIn(text) && msg.html && body === msg.text) {
    const fromHtml = cutQuotedAndSignature(htmlToText(msg.html));
    if (countPortFields(fromHtml) >= 2 || hasNumbersIn(fromHtml)) text = fromHtml;
  }
  // A note that says nothing over a quoted request ("see the request below"): the request counts.
  if (countPortFields(text) < 2 && !hasNumbersIn(text)) {
    const original = quotedOriginal(body);
    if (original && countPortFields(original) >= 2) text = cutQuotedAndSignature(original);
  }
  // What the attachments say counts as the message's content: a cover note ("LOA attached")
  // with the request in a PDF, a sheet or a CSV is a request.
  const attached = attachments.flatMap((part) => (part.reading && !part.reading.unreadable ? [part.reading.text.slice(0, MAX_TEXT_CHARS)] : []));
  let hasNumbers = hasNumbersIn(text) || attached.some(hasNumbersIn);
  if (!hasNumbers) {
    hasNumbers = attachments.some(
      (part) =>
        !part.dropped &&
        !part.reading &&
        (/^text\/(?:csv|plain|tab-separated-values)$/i.test(part.contentType) || /\.(?:csv|txt|tsv)$/i.test(part.filename ?? '')) &&
        hasNumbersIn(part.content.toString('utf8').replace(/[,;|]/g, '\n')),
    );
  }
  const labels = readPortLabels(text);
  const unreadable = attachments.some((part) => part.reading?.unreadable !== undefined);
  return {
    subject,
    body: text,
    attached: attached.join('\n'),
    orderIds: findOrderIds(`${subject}\n${text}`),
    hasNumbers,
    hasPon: labels.some((entry) => entry.key === 'pon') || findInlinePon(`${subject}\n${text}`) !== undefined || attached.some((a) => findInlinePon(a) !== undefined),
    portFields: Math.max(countPortFields(text), ...attached.map(countPortFields)),
    unreadableAttachment: unreadable,
  };
}

function hasNumbersIn(text: string): boolean {
  return extractNumbers(text, { maxNumbers: 1 }).dids.length > 0;
}

function classifyContent(content: Content, fromPerson: boolean, notes: string[]): Classification['kind'] | undefined {
  const { subject, body } = content;
  const refs: string[] = [];
  if (content.orderIds.length > 0) refs.push(`order id ${content.orderIds.join(', ')}`);
  if (content.hasPon) refs.push('a PON');
  if (content.hasNumbers) refs.push('telephone numbers');
  const refText = refs.join(', ');

  const cancelWording = CANCEL_SUBJECT_RE.test(subject) || CANCEL_BODY_RE.test(body);
  if (cancelWording && refs.length > 0) {
    notes.push(`cancellation wording with ${refText}`);
    return 'cancellation';
  }

  const portInSubject = PORT_WORDING_RE.test(subject) && !COMPLETION_RE.test(subject);
  const completionWording = COMPLETION_RE.test(subject) || (!portInSubject && COMPLETION_RE.test(body));
  if (completionWording && refs.length > 0) {
    notes.push(`completion wording with ${refText}`);
    return 'completion_notice';
  }

  const portWording =
    PORT_WORDING_RE.test(subject) || PORT_WORDING_RE.test(body) || LOA_RE.test(subject) || LOA_RE.test(body) || PORT_WORDING_RE.test(content.attached) || LOA_RE.test(content.attached);
  const csrWording = CSR_RE.test(subject) || CSR_RE.test(body);
  const techPrefix = TECH_PREFIX_RE.test(body);
  if (fromPerson && csrWording && (techPrefix || content.hasNumbers) && (CSR_ASK_RE.test(subject) || CSR_ASK_RE.test(body))) {
    if (!(portWording && content.portFields >= 3 && !techPrefix)) {
      notes.push(`asks for a customer service record${techPrefix ? ' with a tech prefix' : ''}${content.hasNumbers ? ' and numbers' : ''}`);
      return 'csr_request';
    }
  }

  // Machine-sent mail (newsletters, notifications) counts as a request only with a real form.
  if (!fromPerson && content.portFields < 2) return undefined;
  if (portWording && (content.hasNumbers || content.portFields >= 2)) {
    notes.push(`port-out request wording with ${content.hasNumbers ? 'telephone numbers' : `${content.portFields} labelled fields`}`);
    if (!content.hasNumbers) notes.push('no telephone numbers found');
    return 'port_request';
  }
  if (content.hasNumbers && content.portFields >= 3) {
    notes.push(`${content.portFields} labelled request fields with telephone numbers`);
    return 'port_request';
  }
  if (fromPerson && portWording && content.unreadableAttachment) {
    notes.push('port-out wording with an attachment the desk cannot read');
    return 'port_request';
  }
  return undefined;
}

/** Whether a carrier's own words (new text only, no quotes) say the port is done. */
export function readsAsCompletion(text: string): boolean {
  return COMPLETION_RE.test(text) || COMPLETED_SUBJECT_RE.test(text);
}

/** "The port for order PO-… has been completed", "numbers were activated": a subject, then done. */
const COMPLETED_SUBJECT_RE =
  /\b(?:port|order|numbers?|tns?|request|transfer)\b[^.\n?]{0,60}\b(?:has|have|was|were|is|are)\s+(?:now\s+)?(?:been\s+)?(?:successfully\s+)?(?:completed?|ported|activated)\b/i;

/** Whether a carrier's own words (new text only, no quotes) withdraw the port. */
export function readsAsCancellation(text: string): boolean {
  return CANCEL_BODY_RE.test(text);
}
