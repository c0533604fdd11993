// `config[.section[.option]][=value]` paths, with uci's extended section syntax @type[n]
// (util.c uci_parse_ptr, list.c uci_lookup_ptr / uci_lookup_ext_section).
// n counts the sections of that type, named ones too; negative n counts from the end; @[n]
// counts sections of any type.

import { UciError } from './errors.js';
import type { UciOption, UciPackage, UciSection } from './model.js';
import { findOption, findSection } from './model.js';
import { isValidConfigName, isValidUciName, isValidUciText, isValidUciType } from './names.js';

export interface UciPath {
  readonly config: string;
  readonly section?: string;
  readonly option?: string;
  /** Text after '=' (set/rename values); get refuses it. */
  readonly value?: string;
}

/** Splits a path. Throws UciError PARSE where uci_parse_ptr fails. */
export function parseUciPath(text: string): UciPath {
  let rest = text;
  let value: string | undefined;
  const eq = rest.indexOf('=');
  if (eq >= 0) {
    value = rest.slice(eq + 1);
    rest = rest.slice(0, eq);
  }
  const parts = rest.split('.');
  if (parts.length > 3) throw new UciError('PARSE');
  const [config, section, option] = parts as [string, string | undefined, string | undefined];

  if (!isValidConfigName(config)) throw new UciError('PARSE');
  if (option !== undefined && !isValidUciName(option)) throw new UciError('PARSE');
  if (value !== undefined && !isValidUciText(value)) throw new UciError('PARSE');
  return {
    config,
    ...(section !== undefined ? { section } : {}),
    ...(option !== undefined ? { option } : {}),
    ...(value !== undefined ? { value } : {}),
  };
}

const LONG_MAX = 2n ** 63n - 1n;
const LONG_MIN = -(2n ** 63n);

/**
 * strtol(text, &end, 10) on a 64-bit libc, then stored in an int: returns the int, or undefined
 * when characters are left over (uci rejects those). An empty index reads as 0, as in C.
 */
function parseSectionIndex(text: string): number | undefined {
  const match = /^[\t\n\v\f\r ]*([+-]?)(\d+)/.exec(text);
  if (match === null) return text === '' ? 0 : undefined;
  if (match[0].length !== text.length) return undefined;
  let value = BigInt(match[2]!);
  if (match[1] === '-') value = -value;
  if (value > LONG_MAX) value = LONG_MAX;
  if (value < LONG_MIN) value = LONG_MIN;
  return Number(BigInt.asIntN(32, value));
}

/**
 * Resolves a section reference: a plain name, or @type[n]. Returns undefined when there is no
 * such section; throws UciError INVAL when the reference is neither a name nor valid @ syntax.
 */
export function resolveSection(pkg: UciPackage, ref: string): UciSection | undefined {
  if (isValidUciName(ref)) return findSection(pkg, ref);

  const syntax = /^@([^[]*)\[([^\]]*)\]$/.exec(ref);
  if (syntax === null) throw new UciError('INVAL');
  const type = syntax[1]!;
  const parsedIndex = parseSectionIndex(syntax[2]!);
  if (parsedIndex === undefined) throw new UciError('INVAL');
  if (type !== '' && !isValidUciType(type)) throw new UciError('INVAL');

  const candidates = type === '' ? pkg.sections : pkg.sections.filter((s) => s.type === type);
  const index = parsedIndex < 0 ? parsedIndex + candidates.length : parsedIndex;
  return candidates[index];
}

export interface UciLookup {
  readonly section?: UciSection;
  readonly option?: UciOption;
  /** Everything the path names exists. */
  readonly complete: boolean;
}

export function lookupUciPath(pkg: UciPackage, path: UciPath): UciLookup {
  if (path.section === undefined) return { complete: true };
  const section = resolveSection(pkg, path.section);
  if (section === undefined) return { complete: false };
  if (path.option === undefined) return { section, complete: true };
  const option = findOption(section, path.option);
  if (option === undefined) return { section, complete: false };
  return { section, option, complete: true };
}
