/**
 * A customer's request for a Customer Service Record (SPEC §4): the name on the account, the
 * account e-mail, the tech prefix and the numbers, as the customer wrote them. The app compares
 * them with the account on file before anything with account data is sent.
 */
import { extractNumbers } from './extract-numbers.js';
import { htmlToText } from './text/html-to-text.js';
import { compileLabelReader, type LabelSpec } from './text/labels.js';
import { parseMailbox } from './text/mailboxes.js';
import { cutQuotedAndSignature } from './text/quotes.js';
import type { CsrRequestReading, InboundMessage } from './types.js';

type CsrKey = 'name' | 'email' | 'techPrefix';

const S = String.raw`[ \t]*`;
const CSR_LABELS: LabelSpec<CsrKey>[] = [
  ...[`account${S}name`, `name${S}on${S}(?:the${S})?account`, `account${S}holder(?:${S}name)?`, `customer${S}name`, `full${S}name`, 'name'].map(
    (pattern) => ({ key: 'name' as const, pattern }),
  ),
  ...[`account${S}e-?mail(?:${S}address)?`, `e-?mail(?:${S}address)?(?:${S}on${S}(?:the${S})?account)?`, `e-?mail${S}on${S}file`].map(
    (pattern) => ({ key: 'email' as const, pattern }),
  ),
  ...[`tech(?:nical)?${S}prefix`, 'prefix', 'techprefix'].map((pattern) => ({ key: 'techPrefix' as const, pattern })),
];

const readCsrLabels = compileLabelReader(CSR_LABELS);

export function readCsrRequest(msg: InboundMessage): CsrRequestReading {
  const notes: string[] = [];
  let text = cutQuotedAndSignature(msg.text);
  let entries = readCsrLabels(text);
  if (entries.length === 0 && msg.html) {
    text = cutQuotedAndSignature(htmlToText(msg.html));
    entries = readCsrLabels(text);
  }
  const first = (key: CsrKey): string | undefined => entries.find((entry) => entry.key === key)?.value;

  const reading: CsrRequestReading = { dids: [], notes };
  const name = first('name');
  if (name) reading.name = name;
  const emailValue = first('email');
  const email = emailValue ? parseMailbox(emailValue)?.address : undefined;
  if (email) reading.email = email;
  else if (emailValue) notes.push(`account e-mail "${emailValue}" is not an address`);
  const techPrefix = first('techPrefix');
  if (techPrefix) reading.techPrefix = techPrefix;

  const { dids, invalid, stopped } = extractNumbers(text);
  if (stopped) notes.push(stopped);
  reading.dids = dids;
  if (invalid.length > 0) notes.push(`not valid US numbers: ${invalid.slice(0, 10).join(', ')}`);

  const missing = [
    ...(name ? [] : ['name on the account']),
    ...(email ? [] : ['account e-mail']),
    ...(techPrefix ? [] : ['tech prefix']),
    ...(dids.length > 0 ? [] : ['telephone numbers']),
  ];
  if (missing.length > 0) notes.push(`not given: ${missing.join(', ')}`);
  return reading;
}
