// Reads typed options out of one UCI section, reporting each bad value against its path and
// warning about options nobody asked for (they are ignored, not errors: a newer config should
// still load in an older daemon).

import { parseIntInRange, parseUciBool } from './config-values.js';
import type { IssueCollector } from './config-issues.js';
import type { UciOption, UciSection } from './model.js';

/** A kind of value: how to read it, and what to say when the text is not one. */
export interface ValueKind<T> {
  readonly read: (text: string) => T | undefined;
  readonly problem: string;
}

export function intBetween(min: number, max: number): ValueKind<number> {
  return { read: (text) => parseIntInRange(text, min, max), problem: `is not an integer between ${min} and ${max}` };
}

const BOOLEAN: ValueKind<boolean> = {
  read: parseUciBool,
  problem: 'is not a boolean (1/0, yes/no, on/off, true/false, enabled/disabled)',
};

export class SectionReader {
  private readonly asked = new Set<string>();

  constructor(
    private readonly section: UciSection,
    /** The section as uci names it in messages (name or @type[n]). */
    readonly ref: string,
    private readonly issues: IssueCollector,
  ) {}

  private option(name: string): UciOption | undefined {
    this.asked.add(name);
    return this.section.options.find((o) => o.name === name);
  }

  error(option: string | undefined, value: string | undefined, problem: string): void {
    this.issues.error(this.ref, option, value, problem);
  }

  warn(option: string | undefined, value: string | undefined, problem: string): void {
    this.issues.warn(this.ref, option, value, problem);
  }

  /** The option is set at all (valid or not). */
  has(name: string): boolean {
    return this.option(name) !== undefined;
  }

  /** A single value; a list where one value belongs is an error. */
  string(name: string): string | undefined {
    const option = this.option(name);
    if (option === undefined) return undefined;
    if (option.type === 'list') {
      this.error(name, option.values.join(' '), 'must be a single value, not a list');
      return undefined;
    }
    return option.value;
  }

  /** `list name …` lines, or one `option name '…'` holding items separated by blanks. */
  list(name: string): string[] | undefined {
    const option = this.option(name);
    if (option === undefined) return undefined;
    if (option.type === 'list') return option.values;
    return option.value.split(/\s+/).filter((item) => item !== '');
  }

  /** A single value of the given kind; undefined (and an error) when the text is not one. */
  value<T>(name: string, kind: ValueKind<T>): T | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = kind.read(text);
    if (value === undefined) this.error(name, text, kind.problem);
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    return this.value(name, BOOLEAN) ?? fallback;
  }

  int(name: string, min: number, max: number, fallback: number): number {
    return this.value(name, intBetween(min, max)) ?? fallback;
  }

  /** One of `allowed`, or undefined (with an error if the option is there but something else). */
  word<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const read = (text: string): T | undefined => allowed.find((word) => word === text);
    return this.value(name, { read, problem: `is not one of ${allowed.join(', ')}` });
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    return this.word(name, allowed) ?? fallback;
  }

  /** A list whose every item is of the given kind; bad items are reported one by one. */
  listOf(name: string, kind: ValueKind<unknown>): string[] | undefined {
    const items = this.list(name);
    if (items === undefined) return undefined;
    const bad = items.filter((item) => kind.read(item) === undefined);
    for (const item of bad) this.error(name, item, kind.problem);
    return bad.length === 0 ? items : undefined;
  }

  /** Warns about every option that no reader asked for. */
  warnUnknown(): void {
    for (const option of this.section.options) {
      if (!this.asked.has(option.name)) this.warn(option.name, undefined, 'unknown option, ignored');
    }
  }
}
