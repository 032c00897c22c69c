/**
 * The names of the e-mails the desk sends, as a list to walk at run time (`portdesk check`
 * renders each one; an override folder with another name is a typo). The names and the data of
 * each template are declared once, in ports/renderer.ts; the compiler keeps this list equal to them.
 */
import type { TemplateName as EffectTemplateName } from '../domain/effects.js';
import type { TemplateName } from '../ports/renderer.js';

// The app's existing imports of DeskInfo from here keep working.
export type { DeskInfo } from '../ports/renderer.js';

export const TEMPLATE_NAMES = [
  'carrier-acknowledgement',
  'carrier-rejection',
  'carrier-approval',
  'carrier-cancellation',
  'customer-verification',
  'customer-reminder',
  'customer-unclear',
  'customer-decision',
  'preapproval-refusal',
  'already-rejected',
  'customer-completion',
  'customer-cancellation',
  'csr',
  'csr-received',
  'csr-needs-review',
  'support-alert',
  'daily-digest',
] as const satisfies readonly TemplateName[];

// A template added to the port but not to this list would never be checked by `portdesk check`;
// and domain/effects.ts still spells the names itself. Either drift fails to compile here.
type SameNames<A extends string, B extends string> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
type NamesAgree = [
  Assert<SameNames<(typeof TEMPLATE_NAMES)[number], TemplateName>>,
  Assert<SameNames<EffectTemplateName, TemplateName>>,
];
