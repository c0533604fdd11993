// Problems found in a config, worded so that a router owner can find the line to fix:
// "nym-vpn.main.mtu: '9000' is not an integer between 1280 and 1500". The path uses uci's
// own names (anonymous sections as @type[n]), the ones `uci show` prints.

import { excerpt } from '../text/printable.js';

export interface ConfigIssue {
  readonly config: string;
  /** Section as uci names it; undefined for problems with the file as a whole. */
  readonly section: string | undefined;
  readonly option: string | undefined;
  /** The offending value as written (list items joined by spaces). */
  readonly value: string | undefined;
  readonly problem: string;
  /** The whole line: path, quoted value, problem. */
  readonly message: string;
}

export function makeIssue(
  config: string,
  section: string | undefined,
  option: string | undefined,
  value: string | undefined,
  problem: string,
): ConfigIssue {
  const path = [config, section, option].filter((part) => part !== undefined).join('.');
  // The value is quoted as a short excerpt: the message goes into status replies and the log.
  const message = value === undefined ? `${path}: ${problem}` : `${path}: '${excerpt(value)}' ${problem}`;
  return { config, section, option, value, problem, message };
}

/** Thrown by loaders when a config cannot be used; carries every error found, not just the first. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map((issue) => issue.message).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export class IssueCollector {
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];

  constructor(private readonly config: string) {}

  error(section: string | undefined, option: string | undefined, value: string | undefined, problem: string): void {
    this.errors.push(makeIssue(this.config, section, option, value, problem));
  }

  warn(section: string | undefined, option: string | undefined, value: string | undefined, problem: string): void {
    this.warnings.push(makeIssue(this.config, section, option, value, problem));
  }
}
