/**
 * Finding and compiling the template files. Layout of a templates directory:
 *   <name>/subject.hbs, <name>/text.hbs, <name>/html.hbs   one folder per e-mail
 *   partials/<p>.text.hbs, partials/<p>.html.hbs            a partial for one kind of part
 *   partials/<p>.hbs                                        a partial for both
 * A file in the override directory (TEMPLATES_DIR) replaces the built-in file of the same path.
 *
 * Subjects and text parts are compiled in an environment with `noEscape`, because a text part
 * that showed `&amp;` for a carrier's "&" would be wrong; HTML parts in a separate, escaping
 * environment, so carrier-supplied text can never inject markup.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { TEMPLATE_NAMES } from '../../app/template-names.js';
import { registerHelpers } from './helpers.js';
import { TemplateError, errorText } from './template-error.js';

const TEMPLATE_PARTS = ['subject', 'text', 'html'] as const;
export type TemplatePart = (typeof TEMPLATE_PARTS)[number];

type Env = typeof Handlebars;

/** Keeps a name from reaching outside its directory (`../etc`). */
const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

export interface TemplateFiles {
  /** Runs one part of one template; TemplateError names the file when it is missing or fails. */
  run(name: string, part: TemplatePart, data: Record<string, unknown>): string;
  /** Problems found while registering partials, and override files no template reads. */
  problems(): string[];
}

/** `overrideDir` files win over `builtinDir` files of the same path, file by file. */
export function loadTemplateFiles(builtinDir: string, overrideDir?: string): TemplateFiles {
  const dirs = overrideDir ? [builtinDir, overrideDir] : [builtinDir];
  const textEnv = Handlebars.create();
  const htmlEnv = Handlebars.create();
  registerHelpers(textEnv);
  registerHelpers(htmlEnv);
  const partialProblems = registerPartials(dirs, textEnv, htmlEnv);
  const compiled = new Map<string, { fn: Handlebars.TemplateDelegate; file: string }>();

  function locate(name: string, part: TemplatePart): string | undefined {
    // Later directories win: the override is searched first.
    for (const dir of [...dirs].reverse()) {
      const file = path.join(dir, name, `${part}.hbs`);
      if (existsSync(file)) return file;
    }
    return undefined;
  }

  function load(name: string, part: TemplatePart): { fn: Handlebars.TemplateDelegate; file: string } {
    const key = `${name}/${part}`;
    const hit = compiled.get(key);
    if (hit) return hit;
    if (!NAME_PATTERN.test(name)) throw new TemplateError(`invalid template name "${name}"`, name);
    const file = locate(name, part);
    if (!file) {
      throw new TemplateError(`template "${name}" has no ${part}.hbs (looked in ${dirs.join(', ')})`, name, `${name}/${part}.hbs`);
    }
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch (err) {
      throw new TemplateError(`template "${name}": cannot read ${file}: ${errorText(err)}`, name, file, { cause: err });
    }
    const env = part === 'html' ? htmlEnv : textEnv;
    // Handlebars compiles lazily on first call; syntax errors surface in run() with the file named.
    const fn = env.compile(source, { noEscape: part !== 'html' });
    const entry = { fn, file };
    compiled.set(key, entry);
    return entry;
  }

  function run(name: string, part: TemplatePart, data: Record<string, unknown>): string {
    const { fn, file } = load(name, part);
    try {
      return fn(data);
    } catch (err) {
      throw new TemplateError(`template "${name}" failed in ${file}: ${errorText(err)}`, name, file, { cause: err });
    }
  }

  return {
    run,
    problems: () => [...partialProblems, ...(overrideDir ? findStrayOverrides(overrideDir) : [])],
  };
}

function registerPartials(dirs: string[], textEnv: Env, htmlEnv: Env): string[] {
  const problems: string[] = [];
  const forText = new Map<string, string>();
  const forHtml = new Map<string, string>();
  for (const dir of dirs) {
    const partialsDir = path.join(dir, 'partials');
    if (!isDirectory(partialsDir)) continue;
    // Shared files first, so a kind-specific file in the same directory wins over them.
    const files = readdirSync(partialsDir)
      .filter((f) => f.endsWith('.hbs'))
      .sort((a, b) => a.split('.').length - b.split('.').length || a.localeCompare(b));
    for (const file of files) {
      const m = /^([A-Za-z0-9_-]+)(?:\.(text|html))?\.hbs$/.exec(file);
      if (!m) {
        problems.push(`partial file ${path.join(partialsDir, file)}: name must be NAME.hbs, NAME.text.hbs or NAME.html.hbs`);
        continue;
      }
      const [, name, kind] = m as unknown as [string, string, 'text' | 'html' | undefined];
      const full = path.join(partialsDir, file);
      if (kind !== 'html') forText.set(name, full);
      if (kind !== 'text') forHtml.set(name, full);
    }
  }
  for (const [name, file] of forText) textEnv.registerPartial(name, readFileSync(file, 'utf8'));
  for (const [name, file] of forHtml) htmlEnv.registerPartial(name, readFileSync(file, 'utf8'));
  return problems;
}

/** Files in TEMPLATES_DIR that no template reads: most likely a typo the operator wants to hear of. */
function findStrayOverrides(dir: string): string[] {
  const problems: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (!isDirectory(full) || entry === 'partials') continue;
    if (!(TEMPLATE_NAMES as readonly string[]).includes(entry)) {
      problems.push(`${full}: not a template the desk sends (known: ${TEMPLATE_NAMES.join(', ')})`);
      continue;
    }
    for (const file of readdirSync(full)) {
      if (!TEMPLATE_PARTS.some((p) => file === `${p}.hbs`)) {
        problems.push(`${path.join(full, file)}: ignored (a template folder holds subject.hbs, text.hbs and html.hbs)`);
      }
    }
  }
  return problems;
}

export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
