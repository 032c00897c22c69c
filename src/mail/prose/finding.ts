/**
 * What the prose readers hand back: one field read from one sentence, with the words that said
 * so, or a note about something seen and left alone.
 */

/** The fields a carrier's prose can give (PortRequestFields without the numbers and carrier). */
export interface ProseFields {
  name?: string;
  company?: string;
  accountNumber?: string;
  pin?: string;
  pon?: string;
  street?: string;
  city?: string;
  state?: string;
  zip?: string;
  authorizedName?: string;
  /** ISO yyyy-mm-dd. */
  requestedDate?: string;
  /** As written. */
  btn?: string;
}

export type ProseField = keyof ProseFields;

export interface Finding {
  field: ProseField;
  value: string;
  /** The words read, as written ("for Jane Doe"); a PIN's digits are never in it. */
  evidence: string;
  /** A stronger cue wins over an earlier weaker one: "customer name is" over "for". */
  strength: number;
  /** How it was read, when that is more than the words ("with addresser"). */
  how?: string;
}

export interface ProseSink {
  found(finding: Finding): void;
  note(text: string): void;
  /** "He signed the LOA": the customer signed, by the words quoted, without being named there. */
  signedByCustomer?(evidence: string): void;
}

/** Words quoted in a note are cut here: a note is read at a glance. */
const MAX_EVIDENCE_CHARS = 120;

export function quote(text: string): string {
  const cut = text.length > MAX_EVIDENCE_CHARS ? `${text.slice(0, MAX_EVIDENCE_CHARS)}…` : text;
  return `'${cut}'`;
}

/** Text from `start` to `end`, as the sentence has it. */
export function span(sentence: string, start: number, end: number): string {
  return sentence.slice(start, end).trim();
}
