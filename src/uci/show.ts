// `uci show` and `uci get` output (cli.c). show writes `config.section.option='value'` lines;
// in a whole-config listing anonymous sections are written as @type[n], n counting every
// section of that type so far, named ones included (unless extended names are turned off, -X).

import type { UciOption, UciPackage, UciSection } from './model.js';

export interface ShowOptions {
  /** Refer to anonymous sections as @type[n] (uci's default; -X turns it off). */
  readonly extended?: boolean;
  /** Between list items (uci -d); default one space. */
  readonly delimiter?: string;
}

/** 'value' with each ' written as '\'' (uci_print_value). */
export function quoteUciValue(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

const LIST_ITEM_NEEDS_QUOTES = /[ \t\r\n]/;

/**
 * The value part of a show/get line, without newline. `quote` is show's style; get prints a
 * string raw and quotes only list items with blanks in them.
 */
export function formatOptionValue(option: UciOption, quote: boolean, delimiter = ' '): string {
  if (option.type === 'string') return quote ? quoteUciValue(option.value) : option.value;
  return option.values
    .map((item) => (quote || LIST_ITEM_NEEDS_QUOTES.test(item) ? quoteUciValue(item) : item))
    .join(delimiter);
}

export function showOption(pkg: UciPackage, sectionRef: string, option: UciOption, delimiter = ' '): string {
  return `${pkg.name}.${sectionRef}.${option.name}=${formatOptionValue(option, true, delimiter)}\n`;
}

export function showSection(pkg: UciPackage, section: UciSection, sectionRef = section.name, delimiter = ' '): string {
  let text = `${pkg.name}.${sectionRef}=${section.type}\n`;
  for (const option of section.options) text += showOption(pkg, sectionRef, option, delimiter);
  return text;
}

export function showPackage(pkg: UciPackage, options: ShowOptions = {}): string {
  const extended = options.extended ?? true;
  const delimiter = options.delimiter ?? ' ';
  const seenPerType = new Map<string, number>();
  let text = '';
  for (const section of pkg.sections) {
    const index = seenPerType.get(section.type) ?? 0;
    seenPerType.set(section.type, index + 1);
    const ref = extended && section.anonymous ? `@${section.type}[${index}]` : section.name;
    text += showSection(pkg, section, ref, delimiter);
  }
  return text;
}
