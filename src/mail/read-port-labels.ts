/**
 * The labels a carrier's port-out request uses, in their many spellings: plain English ("Account
 * Name", "Billing Telephone Number"), LSR codes (PON, AN, ATN, SANO, SASN, CCNA, NNSP) and the
 * portal exports in between. The request reader takes its fields from them; the classifier counts
 * them to tell a request from a note that merely mentions porting; the notice reader finds a PON.
 */
import { compileLabelReader, type LabelSpec } from './text/labels.js';

export type PortKey =
  | 'name' | 'company' | 'btn' | 'accountNumber' | 'street' | 'sapr' | 'sano' | 'sasf' | 'sasd' | 'sasn'
  | 'sath' | 'sass' | 'unit' | 'ld1' | 'lv1' | 'ld2' | 'lv2' | 'ld3' | 'lv3' | 'city' | 'state' | 'zip'
  | 'cityStateZip' | 'stateZip' | 'pon' | 'requestedDate' | 'pin' | 'authorizedName' | 'carrierName' | 'ccna' | 'spid';

const S = String.raw`[ \t]*`;
const NO = String.raw`(?:number|num|no\.?|#)`;

const PORT_LABELS: LabelSpec<PortKey>[] = [
  ...[
    `account${S}name`, `name${S}on${S}(?:the${S})?account`, `account${S}holder(?:${S}name)?`, `end[ \\t-]*user(?:${S}name)?`,
    `customer${S}name`, `eu${S}name`, `subscriber${S}name`, `acct\\.?${S}name`, `client${S}name`, 'subscriber', 'customer',
    `customer${S}(?:legal${S})?name`, `legal${S}name`, `a(?:c|cc)ount${S}holder`, 'name',
  ].map((pattern) => ({ key: 'name' as const, pattern })),
  ...[`company(?:${S}name)?`, `bus+iness(?:${S}name)?`].map((pattern) => ({ key: 'company' as const, pattern })),
  ...[
    `billing${S}tele?phone(?:${S}${NO})?`, `billing${S}(?:number|tn)`, `main${S}billing${S}(?:number|tn|telephone(?:${S}number)?)`, 'btn', 'atn', `account${S}telephone(?:${S}${NO})?`,
    `main${S}(?:number|tn|line|telephone${S}number)`,
  ].map((pattern) => ({ key: 'btn' as const, pattern })),
  ...[
    `account${S}${NO}`, `a(?:c|cc)ount${S}n(?:u)?mbe?r`, `acct\\.?(?:${S}${NO})?`, 'an', `account${S}code`, `customer${S}account(?:${S}${NO})?`, 'account',
    `(?:current|existing|old|losing)${S}(?:carrier|provider)${S}account(?:${S}${NO})?`,
    `account${S}${NO}${S}(?:with|at)${S}(?:the${S})?(?:current|existing|old|losing)${S}(?:carrier|provider)`,
  ].map(
    (pattern) => ({ key: 'accountNumber' as const, pattern }),
  ),
  ...[
    `service${S}address`, `service${S}street`, `street${S}address`, 'address', 'street', `end${S}user${S}address`,
    `(?:svc|serv)\\.?${S}addr(?:ess)?\\.?`, `service${S}addr\\.?`, 'addr\\.?', `address${S}(?:line${S})?1`, 'ad+res+',
    `service${S}ad+res+`, `(?:service${S})?location${S}address`, `street${S}\\/${S}unit`, `svc${S}street`,
    `(?:svc|serv(?:ice)?)\\.?${S}addr(?:ess)?${S}(?:line${S})?1`,
  ].map(
    (pattern) => ({ key: 'street' as const, pattern }),
  ),
  { key: 'sapr', pattern: 'sapr' },
  { key: 'sano', pattern: 'sano' },
  { key: 'sasf', pattern: 'sasf' },
  { key: 'sasd', pattern: 'sasd' },
  { key: 'sasn', pattern: 'sasn' },
  { key: 'sath', pattern: 'sath' },
  { key: 'sass', pattern: 'sass' },
  ...['unit', 'suite', 'ste', 'apt', 'apartment', 'floor', 'room', 'bldg', 'building', `(?:svc|serv(?:ice)?)\\.?${S}addr(?:ess)?${S}(?:line${S})?2`, `address${S}(?:line${S})?2`].map((pattern) => ({
    key: 'unit' as const,
    pattern,
  })),
  { key: 'ld1', pattern: 'ld1' },
  { key: 'lv1', pattern: 'lv1' },
  { key: 'ld2', pattern: 'ld2' },
  { key: 'lv2', pattern: 'lv2' },
  { key: 'ld3', pattern: 'ld3' },
  { key: 'lv3', pattern: 'lv3' },
  ...['city', `service${S}city`, `svc${S}city`, 'town'].map((pattern) => ({ key: 'city' as const, pattern })),
  ...['state', 'st', `service${S}state`, `svc${S}state`, 'province'].map((pattern) => ({ key: 'state' as const, pattern })),
  ...[`zip(?:${S}code)?`, 'zip\\+4', `postal${S}code`, `service${S}zip`, `svc${S}zip`].map((pattern) => ({ key: 'zip' as const, pattern })),
  // Blanks only, never a TAB: "City<TAB>State" are two cells, not one "City State" label.
  { key: 'cityStateZip', pattern: 'city(?: *[,/] *| +)(?:state|st)(?: *[,/]? *zip(?: *code)?)?' },
  { key: 'stateZip', pattern: `(?:state|st)${S}[,/&]${S}zip(?:${S}code)?` },
  ...[
    'pon', `p\\.${S}o\\.${S}n\\.?`, `purchase${S}order(?:${S}${NO})?`, `(?:port${S})?order${S}${NO}${S}\\(pon\\)`,
    `port${S}order(?:${S}${NO})?`, `carrier${S}ref(?:erence)?`, `reference(?:${S}${NO})?`, `ref\\.?(?:${S}${NO})?`, `carrier${S}reference`,
    `order${S}reference`, `request${S}(?:id|number|no\\.?|#)`,
  ].map((pattern) => ({ key: 'pon' as const, pattern })),
  ...[
    `desired${S}due${S}date`, 'ddd', `due${S}date`, 'due', `foc${S}requested`, `port${S}date${S}requested`, `foc${S}date(?:${S}req(?:uested)?\\.?)?`, `requested${S}(?:due${S}|port${S})?date`, `port${S}date`,
    `desired${S}(?:port${S})?date`, `requested${S}foc(?:${S}date)?`,
  ].map((pattern) => ({ key: 'requestedDate' as const, pattern })),
  ...[
    `port[ \\t-]*out${S}pin`, `pin(?:${S}code)?`, 'passcode', `security${S}pin`, `pass${S}code`, `(?:account${S})?passcode${S}(?:for|on)${S}(?:the${S})?account`,
    `security${S}pin${S}or${S}passcode(?:${S}on${S}the${S}account)?`, `port${S}pin`, `sec${S}pin`, `secpin`, `security${S}code`, `account${S}pin`, `account${S}passcode`,
    `port${S}pin`,
  ].map((pattern) => ({ key: 'pin' as const, pattern })),
  ...[`autho?ri[sz]ed${S}name`, `auth\\.?${S}name`, 'authnm', `autho?ri[sz]ed`, 'auth', `auth(?:ori[sz]ed)?${S}contact`, `name${S}\\(print\\)`,
    `autho?ri[sz]ed${S}by`, `authori[sz]ed${S}by`, `print(?:ed)?${S}name`, `signer(?:'?s)?(?:${S}name)?`,
    `signed${S}by`, `loa${S}signed${S}by`, `name${S}of${S}(?:the${S})?(?:authori[sz]ed${S})?(?:signer|person|representative)`, `authori[sz]ing${S}(?:name|party)`, `authori[sz]ed${S}signer`].map(
    (pattern) => ({ key: 'authorizedName' as const, pattern }),
  ),
  ...[
    `carrier(?:${S}name)?`, `new${S}carrier`, `requesting${S}carrier`, `gaining${S}carrier`, `winning${S}carrier`,
    `new${S}provider`, `requesting${S}provider`,
  ].map((pattern) => ({ key: 'carrierName' as const, pattern })),
  { key: 'ccna', pattern: 'ccna' },
  ...['spid', 'nnsp', `new${S}spid`].map((pattern) => ({ key: 'spid' as const, pattern })),
];

export const readPortLabels = compileLabelReader(PORT_LABELS);

/**
 * The labels of a form whose values were typed on its rules, with no colon ("City Denver",
 * "Service address 1650 Wynkoop St"): for a PDF's lines, where each line is a field.
 */
export const readPortLabelsLoose = compileLabelReader(PORT_LABELS, { loose: true });

/**
 * Whether `text` is, as a whole, a request label ("Account #", "Service Address (street)"): not
 * merely a text with a label in it ("Salt Lake City" holds "City").
 */
export function isPortLabel(text: string): boolean {
  const label = text.trim().replace(/\s*:$/, '');
  if (!label || label.includes(':')) return false;
  const found = readPortLabels(`${label}: 1`)[0];
  return found !== undefined && found.start === 0;
}

/** How many different port-request fields a text carries; the classifier uses it. */
export function countPortFields(text: string): number {
  return new Set(readPortLabels(text).map((entry) => entry.key)).size;
}

/** "PON NW-88410", "PON# X-1": a PON written in a sentence or a subject rather than as a field. */
// The PON holds a digit: "Our PON for this request is …" names no PON "for".
const INLINE_PON_RE = /\b(?:PON|P\.O\.N\.?)[ \t]*[#:=-]?[ \t]*((?=[A-Z0-9-]{0,30}\d)[A-Z0-9][A-Z0-9-]{2,})/i;

export function findInlinePon(text: string): string | undefined {
  return INLINE_PON_RE.exec(text)?.[1];
}
