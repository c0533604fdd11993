// The daemon's log: one line per event on stderr, which procd hands to syslog (logread).

import { excerpt } from '../text/printable.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** syslog lines beyond a few KiB are cut by logd anyway; ours stop here, saying how long they were. */
const MAX_LINE = 2000;

export class Logger {
  constructor(
    public level: LogLevel = 'info',
    private readonly write: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  ) {}

  /** One line per event, whatever the message holds: control characters escaped, long lines cut. */
  private emit(level: LogLevel, msg: string): void {
    if (ORDER[level] <= ORDER[this.level]) this.write(`${level}: ${excerpt(msg, MAX_LINE)}`);
  }

  error(msg: string): void { this.emit('error', msg); }
  warn(msg: string): void { this.emit('warn', msg); }
  info(msg: string): void { this.emit('info', msg); }
  debug(msg: string): void { this.emit('debug', msg); }
}
