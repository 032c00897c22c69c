/**
 * Reads a customer's answer to a verification e-mail as approve, reject or unclear (SPEC §3 rule 5).
 *
 * Only the new text counts. A wrong approval ports a number away from its owner, so every doubt
 * resolves to unclear (the customer is asked again and the window keeps running), never to approve:
 * both kinds of words, a negation that cannot be placed, a condition or question attached to an
 * approval, or the verification's own instructions left in the text.
 */
import { extractNewText, type ReplyBody } from './strip-quoted-text.js';
import type { ReplyReading } from './types.js';

/** Words and phrases that approve. Matched on whole words, case-insensitively. */
export const APPROVE_PHRASES: readonly string[] = [
  'approve', 'approved', 'approves', 'approving', 'approval', 'i approve',
  'yes', 'yep', 'yeah', 'yup', 'yea',
  'confirm', 'confirmed', 'confirming', 'i confirm',
  'authorize', 'authorized', 'authorizing', 'authorise', 'authorised', 'authorising', 'authorization', 'authorisation',
  'go ahead', 'ok to port', 'okay to port', 'ok to proceed', 'okay to proceed', 'fine to port',
  'proceed', 'please proceed', 'accept', 'accepted', 'agree', 'agreed', 'consent', 'i consent',
];

/** Words and phrases that reject. Negated approvals ("do not approve") are found by NEGATORS. */
export const REJECT_PHRASES: readonly string[] = [
  'reject', 'rejected', 'rejecting', 'i reject',
  'no', 'nope', 'nah',
  'deny', 'denied', 'decline', 'declined', 'refuse', 'refused', 'object',
  'stop', 'cancel', 'canceled', 'cancelled',
  'fraud', 'fraudulent', 'scam', 'unauthorized', 'unauthorised', 'not me', 'not mine',
];

/** Words that turn a following approval or request verb into a rejection. */
export const NEGATORS: readonly string[] = [
  'not', 'never', 'no', "don't", 'dont', "didn't", 'didnt', "doesn't", 'doesnt', "won't", "can't", 'cant',
  'cannot', "haven't", 'havent', "hasn't", "isn't", "wasn't", "shouldn't", "wouldn't", "mustn't",
];

/**
 * Verbs that reject when negated ("I did not request this", "don't port", "I never asked for it")
 * but say nothing on their own ("please port my numbers" is not an approval word).
 */
export const NEGATABLE_VERBS: readonly string[] = [
  'port', 'ported', 'porting', 'transfer', 'transferred', 'move', 'moved', 'release', 'switch',
  'want', 'wanted', 'request', 'requested', 'ask', 'asked', 'order', 'ordered', 'initiate', 'initiated',
  'allow', 'allowed', 'recognize', 'recognise', 'give', 'gave', 'sign', 'signed', 'apply', 'applied',
];

/**
 * New text longer than this is not an answer typed to a verification but history that stripping did
 * not find (or a pasted document); its words are not read.
 */
const MAX_ANSWER_CHARS = 20_000;

/** How many words may stand between a negator and what it negates ("I have not ever requested"). */
const NEGATION_WINDOW = 3;

/**
 * Phrases that contain a decision word but decide nothing: removed before matching. A signature's
 * "this is a no-reply address" must not reject a "yes".
 */
export const NEUTRAL_PHRASES: readonly string[] = [
  'no reply', 'noreply', 'do not reply', "don't reply", 'no problem', 'no problems', 'no worries',
  'no objection', 'no objections', 'no rush', 'no hurry', 'not monitored',
  'let me know if', 'let us know if', 'if you need anything', 'if you have any questions', 'if needed',
];

/** Words that make an approval in the same sentence conditional or partial. */
export const HEDGES: readonly string[] = [
  'if', 'unless', 'only', 'but', 'except', 'maybe', 'perhaps', 'might', 'unsure', 'not sure',
  'as long as', 'provided that', 'wait', 'hold', 'hold off', 'later',
];

/**
 * The verification e-mail's instruction lines (templates/partials/how-to-answer and if-no-answer,
 * and the shorter "Reply APPROVE to approve or REJECT to reject"). If one is still in the new text,
 * stripping failed and the words around it may be the e-mail's own; the reply is not read.
 * Keep in step with the templates: a template line that matches none of these is caught only by
 * holding both an approve and a reject word.
 */
export const INSTRUCTION_PATTERNS: readonly RegExp[] = [
  /\breply\s+(?:with\s+)?(?:the\s+word\s+)?["“'‘]?(?:approve|reject|yes|no)\b["”'’]?\s+(?:to|or|if|and)\b/i,
  /\bto\s+(?:approve|reject)\b[^.\n]{0,60}\breply\b/i,
  /\b(?:approve|reject)\s+to\s+(?:approve|reject)\b/i,
  /\bone word\b[^.\n]{0,40}\breply\b/i,
  /^\s*(?:approve|reject)\s+[-–—:]\s+to\s/i,
];

/**
 * `hedge` makes any reply unclear; `doubt` only stops an approval (a question such as "is this a
 * scam?" next to "I did not request it" still rejects).
 */
export interface Finding {
  kind: 'approve' | 'reject' | 'hedge' | 'doubt';
  words: string;
}

export function readReply(body: ReplyBody): ReplyReading {
  const extraction = extractNewText(body);
  const { newText } = extraction;
  const notes = [...extraction.notes];

  if (newText.trim() === '') {
    return { decision: 'unclear', newText, notes: [...notes, 'no new text in the reply'] };
  }
  if (newText.length > MAX_ANSWER_CHARS) {
    notes.push(`the new text is ${newText.length} characters long, too long to be an answer: not read`);
    return { decision: 'unclear', newText, notes };
  }
  const instruction = newText.split('\n').find((line) => INSTRUCTION_PATTERNS.some((pattern) => pattern.test(line)));
  if (instruction !== undefined) {
    notes.push(`the new text still holds the verification's instructions ("${instruction.trim().slice(0, 80)}"): not read`);
    return { decision: 'unclear', newText, notes };
  }

  const findings = findDecisionWords(newText);
  const approve = findings.filter((finding) => finding.kind === 'approve');
  const reject = findings.filter((finding) => finding.kind === 'reject');
  const hedges = findings.filter((finding) => finding.kind === 'hedge');
  const doubts = findings.filter((finding) => finding.kind === 'doubt');
  if (approve.length > 0) notes.push(`approve words: ${quoteList(approve)}`);
  if (reject.length > 0) notes.push(`reject words: ${quoteList(reject)}`);
  if (hedges.length > 0) notes.push(`words that cannot be placed: ${quoteList(hedges)}`);
  if (doubts.length > 0) notes.push(`questions or conditions: ${quoteList(doubts)}`);

  if (hedges.length > 0) {
    return { decision: 'unclear', newText, notes: [...notes, 'a negation or qualification makes the answer unclear'] };
  }
  if (approve.length > 0 && reject.length > 0) {
    return { decision: 'unclear', newText, notes: [...notes, 'both approve and reject words'] };
  }
  if (approve.length > 0 && doubts.length > 0) {
    return { decision: 'unclear', newText, notes: [...notes, 'the approval is asked as a question or made conditional'] };
  }
  if (approve.length > 0) return { decision: 'approve', newText, notes };
  if (reject.length > 0) return { decision: 'reject', newText, notes };
  return { decision: 'unclear', newText, notes: [...notes, 'neither approve nor reject words'] };
}

/** Every decision word in the text, sentence by sentence and clause by clause. */
export function findDecisionWords(text: string): Finding[] {
  const findings: Finding[] = [];
  for (const sentence of splitSentences(prepareText(text))) {
    const sentenceFindings: Finding[] = [];
    const hedgeWords: string[] = [];
    for (const clause of sentence.text.split(/[,:;()"]|\s[-–—]\s/)) {
      const tokens = removePhrases(tokenize(clause), NEUTRAL_TOKENS);
      sentenceFindings.push(...readClause(tokens));
      hedgeWords.push(...matchAll(tokens, HEDGE_TOKENS));
    }
    const approves = sentenceFindings.filter((finding) => finding.kind === 'approve');
    const rejects = sentenceFindings.filter((finding) => finding.kind === 'reject');
    if (sentence.question) {
      // "Should I approve?" approves nothing; "Is this a scam?" casts doubt on any approval.
      for (const finding of [...approves, ...rejects]) findings.push({ kind: 'doubt', words: `${finding.words}?` });
      findings.push(...sentenceFindings.filter((finding) => finding.kind === 'hedge'));
      continue;
    }
    if (approves.length > 0) {
      for (const word of hedgeWords) findings.push({ kind: 'doubt', words: `${word} (with an approval)` });
    }
    findings.push(...sentenceFindings);
  }
  return findings;
}

type TokenPhrase = readonly string[];

const APPROVE_TOKENS = toTokenPhrases(APPROVE_PHRASES);
const REJECT_TOKENS = toTokenPhrases(REJECT_PHRASES);
const NEGATABLE_TOKENS = toTokenPhrases(NEGATABLE_VERBS);
const NEUTRAL_TOKENS = toTokenPhrases(NEUTRAL_PHRASES);
const HEDGE_TOKENS = toTokenPhrases(HEDGES);
const NEGATOR_SET = new Set(NEGATORS);

function toTokenPhrases(phrases: readonly string[]): TokenPhrase[] {
  // Longest first, so "i approve" wins over "approve" and "not me" over "no".
  return phrases.map((phrase) => tokenize(phrase)).sort((a, b) => b.length - a.length);
}

function readClause(tokens: readonly string[]): Finding[] {
  const findings: Finding[] = [];
  // The latest negator; `used` once it has negated something, so that it negates nothing else.
  let negator: { index: number; used: boolean } | undefined;
  let index = 0;
  while (index < tokens.length) {
    const approve = matchAt(tokens, index, APPROVE_TOKENS);
    const reject = matchAt(tokens, index, REJECT_TOKENS);
    const negatable = matchAt(tokens, index, NEGATABLE_TOKENS);
    const token = tokens[index] ?? '';
    const near = negator !== undefined && !negator.used && index - negator.index - 1 <= NEGATION_WINDOW;

    if (reject !== undefined && (approve === undefined || reject.length >= approve.length)) {
      if (near && negator !== undefined && !(tokens[negator.index] === 'no' && token === 'no')) {
        // "not a scam", "don't cancel": a negated rejection is neither answer.
        findings.push({ kind: 'hedge', words: tokens.slice(negator.index, index + reject.length).join(' ') });
        negator.used = true;
      } else {
        findings.push({ kind: 'reject', words: reject.join(' ') });
      }
      if (NEGATOR_SET.has(token) && reject.length === 1) negator = { index, used: false };
      index += reject.length;
      continue;
    }
    const target = approve ?? negatable;
    if (target !== undefined) {
      if (near && negator !== undefined) {
        findings.push({ kind: 'reject', words: tokens.slice(negator.index, index + target.length).join(' ') });
        negator.used = true;
      } else if (negator !== undefined && approve !== undefined) {
        // A negation too far back, or already spent, to be sure what it negates: not an approval.
        findings.push({ kind: 'hedge', words: tokens.slice(negator.index, index + approve.length).join(' ') });
      } else if (approve !== undefined) {
        findings.push({ kind: 'approve', words: approve.join(' ') });
      }
      index += target.length;
      continue;
    }
    if (NEGATOR_SET.has(token)) negator = { index, used: false };
    index += 1;
  }
  return findings;
}

function removePhrases(tokens: readonly string[], phrases: readonly TokenPhrase[]): string[] {
  const kept: string[] = [];
  let index = 0;
  while (index < tokens.length) {
    const phrase = matchAt(tokens, index, phrases);
    if (phrase !== undefined) {
      index += phrase.length;
      continue;
    }
    kept.push(tokens[index] ?? '');
    index += 1;
  }
  return kept;
}

function matchAt(tokens: readonly string[], index: number, phrases: readonly TokenPhrase[]): TokenPhrase | undefined {
  return phrases.find((phrase) => phrase.every((word, offset) => tokens[index + offset] === word));
}

function matchAll(tokens: readonly string[], phrases: readonly TokenPhrase[]): string[] {
  const found: string[] = [];
  for (let index = 0; index < tokens.length; index += 1) {
    const phrase = matchAt(tokens, index, phrases);
    if (phrase !== undefined) found.push(phrase.join(' '));
  }
  return found;
}

/** Lower-cases, unifies apostrophes and drops addresses, links and order ids, which hold no answer. */
function prepareText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`´]/g, "'")
    .replace(/[\u201c\u201d«»]/g, '"')
    .replace(/\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g, ' ')
    .replace(/\b(?:https?:\/\/|www\.)\S+/g, ' ')
    .replace(/\[?\bpo-[a-z0-9]+\]?/g, ' ');
}

function splitSentences(text: string): { text: string; question: boolean }[] {
  const sentences: { text: string; question: boolean }[] = [];
  for (const match of text.matchAll(/[^.!?\n]+[.!?]*/g)) {
    const sentence = match[0];
    if (sentence.trim() === '') continue;
    sentences.push({ text: sentence, question: /\?\s*$/.test(sentence) });
  }
  return sentences;
}

function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}]+)*/gu) ?? [];
}

function quoteList(findings: readonly Finding[]): string {
  return findings.map((finding) => `"${finding.words}"`).join(', ');
}
