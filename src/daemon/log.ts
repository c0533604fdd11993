// The daemon's log: one line per event on stderr, which procd hands to syslog (logread).

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export class Logger {
  constructor(
    public level: LogLevel = 'info',
    private readonly write: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  ) {}

  private emit(level: LogLevel, msg: string): void {
    if (ORDER[level] <= ORDER[this.level]) this.write(`${level}: ${msg}`);
  }

  error(msg: string): void { this.emit('error', msg); }
  warn(msg: string): void { this.emit('warn', msg); }
  info(msg: string): void { this.emit('info', msg); }
  debug(msg: string): void { this.emit('debug', msg); }
}
