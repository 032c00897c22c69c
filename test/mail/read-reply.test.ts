import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findDecisionWords, readReply } from '../../src/mail/read-reply.js';
import { extractNewText } from '../../src/mail/strip-quoted-text.js';
import { loadReplyFixture } from './load-reply-fixture.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/replies/', import.meta.url));

interface Expected {
  decision: 'approve' | 'reject' | 'unclear';
  newTextIncludes: string;
  /** Defaults to the verification's own lines, which must never survive as new text. */
  newTextExcludes?: string[];
  newTextIsEmpty?: boolean;
}

const QUOTED_VERIFICATION = ['Reply APPROVE to approve', 'Northwind Telecom has asked', 'porting@example.test', 'PO-7K3F9Q'];

const fixtureNames = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.eml'))
  .map((file) => file.slice(0, -'.eml'.length))
  .sort();

describe('reply fixtures', () => {
  it('has the full set of client and language fixtures', () => {
    expect(fixtureNames.length).toBeGreaterThanOrEqual(30);
    const decisions = fixtureNames.map((name) => readExpected(name).decision);
    for (const decision of ['approve', 'reject', 'unclear'] as const) expect(decisions).toContain(decision);
  });

  it.each(fixtureNames)('%s', async (name) => {
    const expected = readExpected(name);
    const reading = readReply(await loadReplyFixture(join(FIXTURES, `${name}.eml`)));

    expect(reading.decision, reading.notes.join('\n')).toBe(expected.decision);
    expect(reading.newText).toContain(expected.newTextIncludes);
    for (const excluded of expected.newTextExcludes ?? QUOTED_VERIFICATION) {
      expect(reading.newText).not.toContain(excluded);
    }
    if (expected.newTextIsEmpty === true) expect(reading.newText).toBe('');
    expect(reading.notes.length).toBeGreaterThan(0);
  });
});

function readExpected(name: string): Expected {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.expected.json`), 'utf8')) as Expected;
}

const decide = (text: string): string => readReply({ text }).decision;

describe('approve and reject words', () => {
  it.each([
    'approve', 'Approved', 'APPROVE', 'yes', 'Yes please', 'I approve', 'confirm', 'Confirmed.', 'I authorize the port',
    'authorised', 'Go ahead', 'go-ahead!', 'OK to port', 'Please proceed', 'Hi, yes I approve. Thanks, Jane',
    'Approved, let me know if you need anything else.', 'No problem, go ahead.',
  ])('%j approves', (text) => {
    expect(decide(text)).toBe('approve');
  });

  it.each([
    'reject', 'REJECT', 'No', 'nope', 'Deny', 'I decline', 'do not approve', 'I do not approve', "don't approve",
    'I don\u2019t approve', 'Not approved.', 'Never authorized!', "I didn't ask for this", 'I did not request this',
    'no I do not want', "Please don't port my numbers", 'This is fraud', 'Stop', 'not authorized', 'Please do not proceed',
    'I have not requested any transfer', 'not me', 'Is this a scam? I did not request it.',
  ])('%j rejects', (text) => {
    expect(decide(text)).toBe('reject');
  });

  it.each([
    ['empty', ''],
    ['neither', 'Thanks for letting me know.'],
    ['a bare ok', 'ok'],
    ['both', 'Yes. No.'],
    ['both in one line', 'Approve 0142 but reject 0143'],
    ['a condition', 'Yes if it is Northwind'],
    ['a partial approval', 'Yes, but only the first number'],
    ['a question', 'Should I approve this?'],
    ['a doubt beside an approval', 'Is this a scam? Yes approve.'],
    ['a negated rejection', 'This is not fraud, go ahead'],
    ['a negation too far back', 'I have not in any way whatsoever authorized this'],
    ['a spent negation', 'I do not want or approve this'],
    ['not sure', 'I am not sure, maybe yes'],
    ['another language', 'Oui, merci'],
  ])('%s is unclear', (_label, text) => {
    expect(decide(text)).toBe('unclear');
  });

  it('does not let a "no-reply" signature reject a yes', () => {
    expect(decide('Yes\n\nThis is a no-reply address')).toBe('approve');
    expect(decide('Yes\n\nSent from a noreply mailbox; do not reply')).toBe('approve');
  });

  it('ignores words inside addresses, links and the order id', () => {
    expect(decide('Yes approve\nnoreply-stop@reject.example.test https://example.test/no/reject [PO-NO1234]')).toBe('approve');
  });

  it('does not read a new text too long to be an answer', () => {
    const reading = readReply({ text: `Yes\n${'Lorem ipsum dolor sit amet.\n'.repeat(1000)}` });
    expect(reading.decision).toBe('unclear');
    expect(reading.notes.join('\n')).toContain('too long to be an answer');
  });

  it('reads only the start of a runaway body', () => {
    const extraction = extractNewText({ text: `Yes\n${'x'.repeat(300_000)}` });
    expect(extraction.notes.join('\n')).toContain('read only the first 200000 characters');
    expect(extraction.newText.length).toBeLessThanOrEqual(200_000);
  });

  it('says which words it found', () => {
    const reading = readReply({ text: 'Yes, I approve.' });
    expect(reading.notes.join('\n')).toContain('approve words: "yes", "i approve"');
    const negated = readReply({ text: 'I do not approve' });
    expect(negated.notes.join('\n')).toContain('reject words: "not approve"');
    const mixed = readReply({ text: 'Yes. No.' });
    expect(mixed.notes.join('\n')).toContain('both approve and reject words');
  });

  it('reads negations as rejections, not as approvals', () => {
    expect(findDecisionWords("I don't approve")).toEqual([{ kind: 'reject', words: "don't approve" }]);
    expect(findDecisionWords('never authorized')).toEqual([{ kind: 'reject', words: 'never authorized' }]);
  });
});

describe('the verification\'s own instructions', () => {
  const instructions = 'Reply APPROVE to approve or REJECT to reject this port-out.';

  it('never decide when they are left in the new text', () => {
    const reading = readReply({ text: `Yes\n\nHello Jane,\n${instructions}` });
    expect(reading.decision).toBe('unclear');
    expect(reading.notes.join('\n')).toContain("verification's instructions");
  });

  it.each([
    ['How to answer: reply to this e-mail from this address, with one word at the top of your reply:'],
    ['  APPROVE  - to let the numbers move to Northwind Telecom'],
    ['  REJECT   - to stop the request; the numbers stay with us'],
    ['If you did not ask to change providers, reply REJECT and contact us at support@example.test.'],
  ])('recognises the template line %j', (line) => {
    const reading = readReply({ text: `Yes\n\n${line}` });
    expect(reading.decision).toBe('unclear');
    expect(reading.notes.join('\n')).toContain("verification's instructions");
  });

  it('do not decide when quoted', () => {
    const reading = readReply({
      text: `Can you call me?\n\nOn Mon, Mar 10, 2025 at 2:05 PM Porting <porting@example.test> wrote:\n> ${instructions}\n`,
    });
    expect(reading.newText).toBe('Can you call me?');
    expect(reading.decision).toBe('unclear');
  });

  it('make any reply that still holds them unclear, whatever else it says', () => {
    const words = fc.constantFrom('yes', 'approve', 'no', 'reject', 'please', 'go ahead', 'thanks', 'I', 'do', 'not', 'confirm', ',', '.');
    fc.assert(
      fc.property(fc.array(words, { maxLength: 12 }), fc.boolean(), (chosen, before) => {
        const reply = chosen.join(' ');
        const text = before ? `${instructions}\n${reply}` : `${reply}\n\n${instructions}`;
        expect(decide(text)).toBe('unclear');
      }),
    );
  });

  it('a stated refusal is never read as an approval, whatever surrounds it', () => {
    const words = fc.constantFrom('yes', 'approve', 'ok', 'please', 'go ahead', 'thanks', 'Jane', 'hi', 'confirmed', '!');
    fc.assert(
      fc.property(fc.array(words, { maxLength: 10 }), fc.array(words, { maxLength: 10 }), (before, after) => {
        const text = `${before.join(' ')}\nI did not request this.\n${after.join(' ')}`;
        expect(decide(text)).not.toBe('approve');
      }),
    );
  });
});

const QUOTE = '> Hello Jane,\n> Reply APPROVE to approve or REJECT to reject.\n';

describe('extractNewText on plain text', () => {
  it.each([
    ['Gmail, wrapped over two lines', 'On Mon, Mar 10, 2025 at 2:05 PM Porting Desk <\nporting@example.test> wrote:'],
    ['Apple Mail', 'On Mar 10, 2025, at 14:05, Porting Desk <porting@example.test> wrote:'],
    ['French', 'Le lun. 10 mars 2025 à 15:05, Porting Desk <porting@example.test> a écrit :'],
    ['German', 'Am Mo., 10. März 2025 um 15:05 Uhr schrieb Porting Desk <porting@example.test>:'],
    ['Spanish', 'El lun, 10 mar 2025 a las 15:05, Porting Desk (<porting@example.test>) escribió:'],
    ['Dutch', 'Op ma 10 mrt 2025 om 15:05 schreef Porting Desk <porting@example.test>:'],
    ['Italian', 'Il giorno lun 10 mar 2025 alle ore 15:05 Porting Desk <porting@example.test> ha scritto:'],
    ['Portuguese', 'Em seg., 10 de mar. de 2025 às 11:05, Porting Desk <porting@example.test> escreveu:'],
    ['Swedish', 'Den mån 10 mars 2025 kl 15:05 skrev Porting Desk <porting@example.test>:'],
    ['Finnish', 'ma 10.3.2025 klo 16.05 Porting Desk (porting@example.test) kirjoitti:'],
  ])('removes a %s quote header and the history under it, quoted or not', (_label, header) => {
    expect(extractNewText({ text: `Yes\n\n${header}\n\n${QUOTE}` }).newText).toBe('Yes');
    expect(extractNewText({ text: `Yes\n\n${header}\nHello Jane,\nReply APPROVE to approve.\n` }).newText).toBe('Yes');
  });

  it('keeps text after a quoted block (bottom-posting and inline answers)', () => {
    const text = `On Mon, Mar 10, 2025, Porting Desk <porting@example.test> wrote:\n${QUOTE}\nFirst answer\n\n> more quote\nSecond answer\n`;
    expect(extractNewText({ text }).newText).toBe('First answer\n\nSecond answer');
  });

  it('removes an Outlook From/Sent/To/Subject block without an address', () => {
    const text = 'Approved\n\nFrom: Porting Desk\nSent: Monday, March 10, 2025 2:05 PM\nTo: Jane\nSubject: [PO-7K3F9Q] Please confirm\n\nHello Jane';
    expect(extractNewText({ text }).newText).toBe('Approved');
  });

  it('removes a German Outlook block (Von / Gesendet / An / Betreff)', () => {
    const text = 'Reject\n\nVon: Porting Desk <porting@example.test>\nGesendet: Montag, 10. März 2025 15:05\nAn: Jana\nBetreff: [PO-7K3F9Q]\n\nHello';
    expect(extractNewText({ text }).newText).toBe('Reject');
  });

  it.each([
    ['-----Original Message-----'],
    ['-----Ursprüngliche Nachricht-----'],
    ['________________________________'],
    ['-------- Original message --------'],
  ])('removes everything after %s', (separator) => {
    expect(extractNewText({ text: `No\n\n${separator}\nFrom: Porting Desk\nHello Jane` }).newText).toBe('No');
  });

  it.each([
    ['Sent from my iPhone'],
    ['Sent from my Android'],
    ['Get Outlook for iOS<https://aka.ms/o0ukef>'],
    ['Sent from Mail for Windows'],
    ['-- \nJane Doe\nAcme Widgets, no reply desk'],
  ])('removes the signature %j', (signature) => {
    expect(extractNewText({ text: `Yes, go ahead\n\n${signature}\n` }).newText).toBe('Yes, go ahead');
  });

  it('keeps a reply that quotes nothing', () => {
    expect(extractNewText({ text: 'Hi,\nyes I approve.\nThanks, Jane' }).newText).toBe('Hi,\nyes I approve.\nThanks, Jane');
  });
});

describe('extractNewText on HTML', () => {
  const original = '<p>Hello Jane,</p><p>Reply APPROVE to approve or REJECT to reject.</p>';

  it.each([
    ['blockquote', `<div>Yes</div><blockquote>${original}</blockquote>`],
    ['.gmail_quote', `<div dir="ltr">Yes</div><div class="gmail_quote"><div class="gmail_attr">On Mon wrote:</div>${original}</div>`],
    ['.gmail_extra', `<div>Yes</div><div class="gmail_extra">${original}</div>`],
    ['#divRplyFwdMsg and after', `<div>Yes</div><hr><div id="divRplyFwdMsg"><b>From:</b> Desk</div><div>${original}</div>`],
    ['#appendonsend and after', `<div><div>Yes</div><div id="appendonsend"></div></div><div>${original}</div>`],
    ['div.moz-cite-prefix and its blockquote', `<p>Yes</p><div class="moz-cite-prefix">On 3/10/25 Desk wrote:</div><blockquote type="cite">${original}</blockquote>`],
    ['.yahoo_quoted', `<div>Yes</div><div class="yahoo_quoted"><div>On Monday, Desk wrote:</div>${original}</div>`],
    ['[type=cite]', `<div>Yes</div><div type="cite">${original}</div>`],
  ])('removes %s', (_label, html) => {
    const extraction = extractNewText({ text: '', html });
    expect(extraction.newText).toBe('Yes');
    expect(extraction.notes[0]).toContain('HTML');
  });

  it('prefers the HTML when the text part is the HTML flattened without quote markers', () => {
    const html = `<div>No</div><div id="divRplyFwdMsg"></div><div>${original}</div>`;
    const text = 'No\n\nHello Jane,\nReply APPROVE to approve or REJECT to reject.';
    const extraction = extractNewText({ text, html });
    expect(extraction.newText).toBe('No');
    expect(extraction.notes[0]).toContain('plain text part shows no quoted history');
  });

  it('prefers the text part when it marks the quote itself', () => {
    const html = `<div>Yes</div><blockquote>${original}</blockquote>`;
    const extraction = extractNewText({ text: `Yes\n\n${QUOTE}`, html });
    expect(extraction.newText).toBe('Yes');
    expect(extraction.notes[0]).toBe('read the plain text part');
  });

  it('keeps new text between and after quotes and decodes entities', () => {
    const html = `<blockquote>${original}</blockquote><p>Yes &amp; thanks&nbsp;Jane</p>`;
    expect(extractNewText({ text: '', html }).newText).toBe('Yes & thanks Jane');
  });
});
