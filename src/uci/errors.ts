// Errors with the codes and words of libuci, so that the CLI can print what `uci` prints
// ("uci: Entry not found", "uci: Parse error (…) at line N, byte M").

export type UciErrorCode = 'MEM' | 'INVAL' | 'NOTFOUND' | 'IO' | 'PARSE' | 'DUPLICATE' | 'UNKNOWN';

/** libuci's text for each error code (uci_perror). */
export const UCI_ERROR_TEXT: Readonly<Record<UciErrorCode, string>> = {
  MEM: 'Out of memory',
  INVAL: 'Invalid argument',
  NOTFOUND: 'Entry not found',
  IO: 'I/O error',
  PARSE: 'Parse error',
  DUPLICATE: 'Duplicate entry',
  UNKNOWN: 'Unknown error',
};

/** Where a file parse failed: uci reports the reason, the lines read so far and the buffer offset. */
export interface UciParsePosition {
  readonly reason: string;
  readonly line: number;
  readonly byte: number;
}

export class UciError extends Error {
  readonly code: UciErrorCode;
  /** Only for PARSE errors raised while reading a file; pointer syntax errors carry none. */
  readonly position: UciParsePosition | undefined;

  constructor(code: UciErrorCode, position?: UciParsePosition, detail?: string) {
    super(detail ?? describeUciError(code, position));
    this.name = 'UciError';
    this.code = code;
    this.position = position;
  }
}

/** The text uci_perror writes after its prefix, without the newline. */
export function describeUciError(code: UciErrorCode, position?: UciParsePosition): string {
  const text = UCI_ERROR_TEXT[code];
  if (code !== 'PARSE' || position === undefined) return text;
  return `${text} (${position.reason}) at line ${position.line}, byte ${position.byte}`;
}

/** `uci: <text>` as the CLI prints it (prefix omitted when uci prints none, e.g. -S warnings). */
export function formatUciError(error: UciError, prefix?: string): string {
  const text = describeUciError(error.code, error.position);
  return prefix === undefined ? text : `${prefix}: ${text}`;
}
