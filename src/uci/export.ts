// A config in `uci export` form, which is also what `uci commit` writes (without the package
// line): every value in single quotes, a quote inside written as '\'' (file.c uci_escape and
// uci_export_package). Comments are not kept; uci does not keep them either.

import type { UciPackage } from './model.js';

export interface ExportOptions {
  /** Start with `package <name>` (uci export does, uci commit does not). Default true. */
  readonly header?: boolean;
  /** Write the generated names of anonymous sections (`uci -n export`). Default false. */
  readonly nameAnonymous?: boolean;
}

/** uci escapes every word it writes, also names and types, and quotes only values. */
export function escapeUciText(text: string): string {
  return text.replaceAll("'", "'\\''");
}

export function exportPackage(pkg: UciPackage, options: ExportOptions = {}): string {
  const lines: string[] = [];
  if (options.header ?? true) lines.push(`package ${escapeUciText(pkg.name)}\n`);
  for (const section of pkg.sections) {
    let head = `\nconfig ${escapeUciText(section.type)}`;
    if (!section.anonymous || options.nameAnonymous === true) head += ` '${escapeUciText(section.name)}'`;
    lines.push(`${head}\n`);
    for (const option of section.options) {
      const name = escapeUciText(option.name);
      if (option.type === 'string') {
        lines.push(`\toption ${name} '${escapeUciText(option.value)}'\n`);
      } else {
        for (const value of option.values) lines.push(`\tlist ${name} '${escapeUciText(value)}'\n`);
      }
    }
  }
  lines.push('\n');
  return lines.join('');
}
