/**
 * Where the sender's own words end: quoted history ("On … wrote:", Outlook's header block,
 * "-----Original Message-----", lines quoted with ">") and signatures, in the languages the
 * clients write them. One walk over the lines, used by both readers of new text:
 *
 * - a customer's reply (strip-quoted-text.ts), where every doubt removes more: a lost "yes" makes
 *   the reply unclear and the customer is asked again, while a kept quote would let the
 *   verification's own instructions decide;
 * - a carrier's request or notice, or a customer's CSR request (`cutQuotedAndSignature` below),
 *   where the numbers and fields in quoted history or a signature must not be read as its own.
 */

/**
 * "On … wrote:" and its translations. `wraps` marks headers that start with a fixed word, so a
 * header broken over two or three lines by the sender's client can be recognised by joining the
 * lines; headers recognised only by their closing verb are tested on one line, because joining
 * would swallow the customer's last line of new text into the header.
 */
const QUOTE_HEADERS: readonly { language: string; pattern: RegExp; wraps: boolean }[] = [
  // Also Apple Mail's "On 10 Mar 2025, at 10:14, Porting Desk <…> wrote:".
  { language: 'English', pattern: /^On\s.{4,300}\swrote\s*:?$/i, wraps: true },
  { language: 'French', pattern: /^Le\s.{4,300}\sa\s+écrit\s*:?$/i, wraps: true },
  { language: 'German', pattern: /^Am\s.{4,300}\sschrieb(?:\s.{0,300})?:$/i, wraps: true },
  { language: 'Spanish', pattern: /^El\s.{4,300}\sescribió\s*:?$/i, wraps: true },
  { language: 'Dutch', pattern: /^Op\s.{4,300}\sschreef(?:\s.{0,300})?:$/i, wraps: true },
  { language: 'Italian', pattern: /^(?:Il|In\s+data)\s.{4,300}\sha\s+scritto\s*:?$/i, wraps: true },
  { language: 'Portuguese', pattern: /^(?:Em|Às|No\s+dia)\s.{4,300}\sescreveu\s*:?$/i, wraps: true },
  { language: 'Swedish/Danish/Norwegian', pattern: /^Den\s.{4,300}\sskrev(?:\s.{0,300})?:$/i, wraps: true },
  { language: 'Finnish', pattern: /^(?:ma|ti|ke|to|pe|la|su)\s+\d.{2,300}\skirjoitti\s*:?$/i, wraps: true },
  { language: 'Polish', pattern: /^(?:W\s+dniu|Dnia)\s.{4,300}\s(?:napisał\(a\)|napisała|napisał|pisze)\s*:?$/i, wraps: true },
  // `(?=[^<]*$)`: only the last "<" can open the address that ends the line, so only it is tried.
  { language: 'ISO date', pattern: /^\d{4}-\d{2}-\d{2}\s.{0,300}<(?=[^<]*$)[^<>\s]+@[^<>\s]+>\s*:$/, wraps: true },
  { language: 'English', pattern: /^.{1,200}\swrote\s*:$/i, wraps: false },
  { language: 'German', pattern: /^.{1,200}\sschrieb(?:\s.{0,200})?:$/i, wraps: false },
  { language: 'Dutch', pattern: /^.{1,200}\sschreef(?:\s.{0,200})?:$/i, wraps: false },
  { language: 'Swedish/Danish/Norwegian', pattern: /^.{1,200}\sskrev(?:\s.{0,200})?:$/i, wraps: false },
  { language: 'Finnish', pattern: /^.{1,200}\skirjoitti\s*:$/i, wraps: false },
  { language: 'French', pattern: /^.{1,200}\sa\s+écrit\s*:$/i, wraps: false },
  { language: 'Spanish', pattern: /^.{1,200}\sescribió\s*:$/i, wraps: false },
  { language: 'Italian', pattern: /^.{1,200}\sha\s+scritto\s*:$/i, wraps: false },
  { language: 'Portuguese', pattern: /^.{1,200}\sescreveu\s*:$/i, wraps: false },
  { language: 'Russian', pattern: /^.{1,200}\sнаписал(?:а)?\s*:$/i, wraps: false },
];

/**
 * No pattern above matches more than about 620 characters (`.{4,300}` twice at most), so a longer
 * line, or lines joined past this, is not tried: on a long line each pattern would backtrack
 * through its bounded repeats for nothing.
 */
const MAX_QUOTE_HEADER_CHARS = 1_000;

/** At most this many different notes from one walk: a note per signature line would be thousands. */
const MAX_WALK_NOTES = 20;

/**
 * "-----Original Message-----", "---------- Forwarded message ----------" and their translations,
 * as the clients write them between dashes. Everything under one is history here; the forward
 * finder (forwards.ts) reads the same words as the start of a forwarded original.
 */
export const ORIGINAL_MESSAGE_LABELS: readonly string[] = [
  'Original Message', "Message d'origine", 'Ursprüngliche Nachricht', 'Mensaje original', 'Oorspronkelijk bericht',
  'Messaggio originale', 'Mensagem original', 'Ursprungligt meddelande', 'Alkuperäinen viesti', 'Oprindelig meddelelse',
  'Opprinnelig melding',
];
export const FORWARDED_MESSAGE_LABELS: readonly string[] = [
  'Forwarded message', 'Message transféré', 'Weitergeleitete Nachricht', 'Mensaje reenviado', 'Doorgestuurd bericht',
];

const HISTORY_SEPARATOR = new RegExp(`^-{2,}\\s*(?:${[...ORIGINAL_MESSAGE_LABELS, ...FORWARDED_MESSAGE_LABELS].join('|')})\\s*-*$`, 'i');
/**
 * Outlook's rule line above its From:/Sent: block. Request forms draw the same line between their
 * sections, so only the reply reader takes it alone as the start of history; the request reader
 * waits for the header block under it.
 */
const OUTLOOK_RULE = /^_{10,}$/;

/** Field names of the header block Outlook puts above the quoted message, in several languages. */
const OUTLOOK_FROM_NAMES = ['From', 'De', 'Von', 'Van', 'Da', 'Från', 'Fra', 'Lähettäjä', 'Od', 'Expéditeur', 'Remitente', 'От'];
const OUTLOOK_FIELD_NAMES = [
  'Sent', 'Date', 'To', 'Cc', 'Subject', // English
  'Envoyé', 'À', 'Objet', // French
  'Gesendet', 'An', 'Betreff', 'Datum', // German
  'Enviado', 'Fecha', 'Para', 'Asunto', 'Assunto', // Spanish, Portuguese
  'Verzonden', 'Aan', 'Onderwerp', // Dutch
  'Inviato', 'Data', 'A', 'Oggetto', // Italian
  'Skickat', 'Till', 'Ämne', 'Sendt', 'Til', 'Emne', // Swedish, Danish, Norwegian
  'Lähetetty', 'Vastaanottaja', 'Aihe', 'Kopio', // Finnish
];
const OUTLOOK_FROM = new RegExp(`^\\*?\\s*(?:${OUTLOOK_FROM_NAMES.join('|')})\\s*:\\*?\\s*\\S`, 'i');
const OUTLOOK_FIELD = new RegExp(`^\\*?\\s*(?:${OUTLOOK_FIELD_NAMES.join('|')})\\s*:`, 'i');

/**
 * Lines that open a signature. Everything after one, up to the next quoted block, is dropped.
 * Mobile footers are limited in length so that a sentence starting "Sent from…" is not taken.
 */
const SIGNATURE_STARTS: readonly RegExp[] = [
  /^--\s*$/,
  /^(?:Sent from|Sent with|Sent via|Get Outlook for|Envoyé de|Envoyé depuis|Envoyé à partir de|Von meinem|Gesendet von|Enviado desde|Enviado do|Enviado de|Enviado a partir do|Verzonden vanaf|Verstuurd vanaf|Verzonden met|Inviato da|Skickat från|Sendt fra|Lähetetty)\b.{0,80}$/i,
];

export interface QuoteWalk {
  /** The lines of new text, in order. */
  kept: string[];
  /** What was removed and why, for inspect and Review. */
  notes: string[];
  /** Whether quoted history (not merely a signature) was found and removed. */
  quoteFound: boolean;
}

export interface QuoteWalkOptions {
  /** Whether a line of underscores alone starts the quoted history (see OUTLOOK_RULE). */
  ruleStartsHistory: boolean;
}

/** Walks the lines top to bottom, keeping new text before, between and after quoted blocks. */
export function walkQuotedLines(lines: readonly string[], options: QuoteWalkOptions): QuoteWalk {
  const kept: string[] = [];
  const notes: string[] = [];
  const noted = new Set<string>();
  const note = (text: string): void => {
    if (noted.has(text) || noted.size >= MAX_WALK_NOTES) return;
    noted.add(text);
    notes.push(text);
  };
  let quoteFound = false;
  const noteQuote = (text: string): void => {
    quoteFound = true;
    note(text);
  };
  let inSignature = false;
  let index = 0;
  while (index < lines.length) {
    const line = lines[index] ?? '';
    const trimmed = line.trim();

    if (isQuoteLine(trimmed)) {
      noteQuote('removed lines quoted with ">"');
      inSignature = false;
      index += 1;
      continue;
    }

    const header = findQuoteHeader(lines, index);
    if (header !== undefined) {
      let next = index + header.lineCount;
      while (next < lines.length && (lines[next] ?? '').trim() === '') next += 1;
      if (next < lines.length && isQuoteLine((lines[next] ?? '').trim())) {
        // A header over a ">" block: the block ends the quote, and text after it is new (bottom-posting).
        noteQuote(`removed a quote header (${header.language})`);
        inSignature = false;
        index = next;
        continue;
      }
      noteQuote(`removed a quote header (${header.language}) and everything after it`);
      break;
    }

    if (HISTORY_SEPARATOR.test(trimmed) || (options.ruleStartsHistory && OUTLOOK_RULE.test(trimmed))) {
      noteQuote(`removed the quoted history after "${trimmed.slice(0, 40)}"`);
      break;
    }

    if (isOutlookHeaderBlock(lines, index)) {
      noteQuote('removed an Outlook "From: / Sent: / To: / Subject:" block and everything after it');
      break;
    }

    // Rules left by flattened HTML (<hr>) carry nothing; dropping them keeps the new text clean.
    if (/^[-_=~*]{3,}$/.test(trimmed) && !/^--$/.test(trimmed)) {
      index += 1;
      continue;
    }

    if (isSignatureStart(trimmed)) {
      note(`removed a signature starting "${trimmed.slice(0, 40)}"`);
      inSignature = true;
      index += 1;
      continue;
    }

    if (!inSignature) kept.push(line);
    index += 1;
  }
  return { kept, notes, quoteFound };
}

function isQuoteLine(line: string): boolean {
  return /^\s*>/.test(line);
}

function isSignatureStart(line: string): boolean {
  return SIGNATURE_STARTS.some((pattern) => pattern.test(line));
}

/** The quote header that starts at `index`, possibly wrapped over up to three lines. */
function findQuoteHeader(
  lines: readonly string[],
  index: number,
): { language: string; lineCount: number } | undefined {
  const first = cleanHeaderLine(lines[index] ?? '');
  if (first === '') return undefined;
  let candidate = first;
  for (let lineCount = 1; lineCount <= 3; lineCount += 1) {
    if (lineCount > 1) {
      const more = cleanHeaderLine(lines[index + lineCount - 1] ?? '');
      if (more === '') return undefined;
      candidate = `${candidate} ${more}`;
    }
    if (candidate.length > MAX_QUOTE_HEADER_CHARS) return undefined;
    for (const header of QUOTE_HEADERS) {
      if (lineCount > 1 && !header.wraps) continue;
      if (!header.wraps && !/[@\d]/.test(candidate)) continue;
      if (header.pattern.test(candidate)) return { language: header.language, lineCount };
    }
  }
  return undefined;
}

/**
 * Removes the bold markers and rules some clients put around a header line. The end is trimmed by
 * a loop: `[-*_\s]+$` would be retried from every character of a long run.
 */
function cleanHeaderLine(line: string): string {
  const cleaned = line.trim().replace(/^[-*_\s]+/, '').replace(/\s+/g, ' ');
  let end = cleaned.length;
  while (end > 0 && RULE_OR_BLANK.test(cleaned[end - 1] ?? '')) end -= 1;
  return cleaned.slice(0, end);
}

const RULE_OR_BLANK = /[-*_\s]/;

/** A From: line followed, within a few lines, by at least two more header fields. */
function isOutlookHeaderBlock(lines: readonly string[], index: number): boolean {
  if (!OUTLOOK_FROM.test((lines[index] ?? '').trim())) return false;
  let fields = 0;
  for (let next = index + 1; next < Math.min(lines.length, index + 8); next += 1) {
    const line = (lines[next] ?? '').trim();
    if (OUTLOOK_FIELD.test(line)) fields += 1;
  }
  return fields >= 2;
}

/** One line ending, ordinary spaces, no invisible characters: what the patterns above expect. */
export function normalizeText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u00a0\u2007\u202f]/g, ' ')
    .replace(/[\u200b-\u200d\u2060\ufeff]/g, '');
}

/* ------------------------------------------------------------------ a carrier's text */

/** A closing on a line of its own; what follows is the sender's signature block. */
const CLOSING = /^[ \t]*(?:thanks|thank you|regards|best regards|kind regards|sincerely|cheers|best)(?:[ \t]*[,.!])?[ \t]*$/i;
/** How near the end a closing must be to end the text: one higher up has more of the request under it. */
const CLOSING_WINDOW_LINES = 12;

/**
 * The sender's own text of a request, notice or CSR request: the walk above without its notes,
 * then cut at a closing ("Thanks,") near the end, because the contact numbers under it are not
 * numbers to port.
 *
 * A text with nothing above its history (it opens with an Outlook block or "-----Original
 * Message-----") is that history: a carrier resending a request that way still sends the request,
 * so it is read up to its signature. Lines quoted with ">" in it are older still and stay out
 * unless they are all there is: a reply that is only "On … wrote:" over a quoted verification
 * leaves that one line, never the desk's own numbers.
 */
export function cutQuotedAndSignature(text: string): string {
  const lines = normalizeText(text).split('\n');
  let kept = walkQuotedLines(lines, { ruleStartsHistory: false }).kept;
  if (!hasText(kept)) {
    const signature = lines.findIndex((line) => isSignatureStart(line.trim()));
    const body = signature >= 0 ? lines.slice(0, signature) : lines;
    const unquoted = body.filter((line) => !isQuoteLine(line));
    kept = hasText(unquoted) ? unquoted : body;
  }
  const closing = kept.findIndex((line, i) => i >= kept.length - CLOSING_WINDOW_LINES && CLOSING.test(line));
  if (closing > 0) kept = kept.slice(0, closing);
  return kept.join('\n');
}

function hasText(lines: readonly string[]): boolean {
  return lines.some((line) => line.trim() !== '');
}
