/**
 * The console's pages: Handlebars templates under templates/web/ (a page, set inside layout.hbs),
 * rendered on the server. Handlebars escapes every `{{value}}`, so what a carrier wrote is shown
 * as text on every page; no template here uses the unescaped `{{{…}}}` form except the layout's
 * body, which is a page this module rendered.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { DateTime } from 'luxon';
import { BUILTIN_TEMPLATES_DIR } from '../../config.js';
import { formatNumber } from '../../domain/phone.js';

export const WEB_TEMPLATES_DIR = path.join(BUILTIN_TEMPLATES_DIR, 'web');

export interface Views {
  /** A whole page: `page` inside the layout, with the layout's fields (title, user, csrf…). */
  page(page: string, data: Record<string, unknown>): string;
}

export function createViews({ timezone }: { timezone: string }): Views {
  const hb = Handlebars.create();
  const when = (iso: unknown, format: string) => {
    if (typeof iso !== 'string' || !iso) return '';
    const d = DateTime.fromISO(iso, { zone: timezone });
    return d.isValid ? d.toFormat(format) : iso;
  };
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('when', (iso: unknown) => when(iso, 'yyyy-LL-dd HH:mm'));
  hb.registerHelper('day', (iso: unknown) => when(iso, 'ccc d LLL yyyy'));
  hb.registerHelper('number', (e164: unknown) => (typeof e164 === 'string' ? formatNumber(e164) : ''));
  hb.registerHelper('words', (code: unknown) => (typeof code === 'string' ? code.replace(/[_-]/g, ' ') : ''));
  hb.registerHelper('whenZone', (iso: unknown) => when(iso, 'ccc d LLL yyyy, HH:mm ZZZZ'));
  hb.registerHelper('plural', (n: unknown, one: string, many: string) => (n === 1 ? one : many));

  for (const file of readdirSync(path.join(WEB_TEMPLATES_DIR, 'partials'))) {
    if (file.endsWith('.hbs')) hb.registerPartial(file.slice(0, -4), readFileSync(path.join(WEB_TEMPLATES_DIR, 'partials', file), 'utf8'));
  }
  const compiled = new Map<string, Handlebars.TemplateDelegate>();
  const template = (name: string) => {
    let t = compiled.get(name);
    if (!t) {
      t = hb.compile(readFileSync(path.join(WEB_TEMPLATES_DIR, `${name}.hbs`), 'utf8'), { strict: false, preventIndent: true });
      compiled.set(name, t);
    }
    return t;
  };
  return {
    page(name, data) {
      const body = template(name)(data);
      return template('layout')({ ...data, body: new hb.SafeString(body) });
    },
  };
}
