// The in-memory form of one UCI config ("package" in libuci), and the edits libuci makes to it.
// Edits follow current libuci (list.c): changing an option keeps its place among the options,
// an option that gains a `list` value turns into a list in the same place, and re-declaring a
// named section reopens it.

import { anonymousSectionName } from './anonymous-name.js';
import { isValidUciName, isValidUciType } from './names.js';

export interface UciStringOption {
  readonly type: 'string';
  readonly name: string;
  value: string;
}

export interface UciListOption {
  readonly type: 'list';
  readonly name: string;
  values: string[];
}

export type UciOption = UciStringOption | UciListOption;

export interface UciSection {
  type: string;
  name: string;
  /** Declared without a name; `name` is then the generated cfgXXYYYY. */
  anonymous: boolean;
  options: UciOption[];
}

export interface UciPackage {
  name: string;
  sections: UciSection[];
  /** libuci's n_section: sections ever added; numbers the next anonymous name. */
  sectionCounter: number;
}

export function createPackage(name: string): UciPackage {
  return { name, sections: [], sectionCounter: 0 };
}

export function findSection(pkg: UciPackage, name: string): UciSection | undefined {
  return pkg.sections.find((s) => s.name === name);
}

export function findOption(section: UciSection, name: string): UciOption | undefined {
  return section.options.find((o) => o.name === name);
}

function assertName(what: string, name: string): void {
  if (!isValidUciName(name)) throw new RangeError(`invalid UCI ${what} name '${name}' (allowed: A-Z a-z 0-9 _)`);
}

function assertType(type: string): void {
  if (!isValidUciType(type)) throw new RangeError(`invalid UCI section type '${type}' (printable ASCII, no spaces)`);
}

/** `config <type>` without a name (uci_add_section). */
export function addAnonymousSection(pkg: UciPackage, type: string): UciSection {
  assertType(type);
  pkg.sectionCounter += 1;
  const section: UciSection = {
    type,
    name: anonymousSectionName(pkg.sectionCounter, type),
    anonymous: true,
    options: [],
  };
  pkg.sections.push(section);
  return section;
}

/**
 * `config <type> '<name>'` / `uci set pkg.name=type`: creates the section at the end, or changes
 * the type of an existing one in place (its options stay).
 */
export function setSection(pkg: UciPackage, name: string, type: string): UciSection {
  assertName('section', name);
  assertType(type);
  const existing = findSection(pkg, name);
  if (existing !== undefined) {
    existing.type = type;
    return existing;
  }
  pkg.sectionCounter += 1;
  const section: UciSection = { type, name, anonymous: false, options: [] };
  pkg.sections.push(section);
  return section;
}

export function deleteSection(pkg: UciPackage, name: string): boolean {
  const index = pkg.sections.findIndex((s) => s.name === name);
  if (index < 0) return false;
  pkg.sections.splice(index, 1);
  return true;
}

/**
 * `option <name> <value>` / `uci set`: replaces a string or list in place, appends a new option.
 * An empty value deletes the option, as `uci set pkg.sec.opt=''` does. (The file parser never
 * gets here with an empty value: uci ignores `option x ''` in files.)
 */
export function setOption(section: UciSection, name: string, value: string): void {
  assertName('option', name);
  if (value === '') {
    deleteOption(section, name);
    return;
  }
  const index = section.options.findIndex((o) => o.name === name);
  const option: UciStringOption = { type: 'string', name, value };
  if (index < 0) section.options.push(option);
  else section.options[index] = option;
}

/** `list <name> <value>` / `uci add_list`: appends; a string option becomes a list in place. */
export function addListValue(section: UciSection, name: string, value: string): void {
  assertName('option', name);
  const index = section.options.findIndex((o) => o.name === name);
  if (index < 0) {
    section.options.push({ type: 'list', name, values: [value] });
    return;
  }
  const existing = section.options[index]!;
  if (existing.type === 'list') existing.values.push(value);
  else section.options[index] = { type: 'list', name, values: [existing.value, value] };
}

/** Replaces an option by a list with exactly these values (in place); no values deletes it. */
export function setListValues(section: UciSection, name: string, values: readonly string[]): void {
  assertName('option', name);
  if (values.length === 0) {
    deleteOption(section, name);
    return;
  }
  const index = section.options.findIndex((o) => o.name === name);
  const option: UciListOption = { type: 'list', name, values: [...values] };
  if (index < 0) section.options.push(option);
  else section.options[index] = option;
}

export function deleteOption(section: UciSection, name: string): boolean {
  const index = section.options.findIndex((o) => o.name === name);
  if (index < 0) return false;
  section.options.splice(index, 1);
  return true;
}

/** A deep copy, so that a caller can edit without touching a config others hold. */
export function clonePackage(pkg: UciPackage): UciPackage {
  return {
    name: pkg.name,
    sectionCounter: pkg.sectionCounter,
    sections: pkg.sections.map((s) => ({
      type: s.type,
      name: s.name,
      anonymous: s.anonymous,
      options: s.options.map((o): UciOption => (o.type === 'list' ? { ...o, values: [...o.values] } : { ...o })),
    })),
  };
}
