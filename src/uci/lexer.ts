// Token scanning over the in-place parse buffer, with uci's rules (file.c parse_str & co):
// - single quotes are literal; in double quotes and bare words a backslash takes the next
//   character as is, and a backslash at the end of a line joins the next line;
// - quoted and bare pieces glued together form one token (`a"b c"'d'` is `ab cd`);
// - an unquoted '#' ends the line, an unquoted ';' ends the statement;
// - a quote left open reads on into the next lines and fails at end of input.
// Tokens are unquoted in place (a "target" offset trails the scan position) and NUL-terminated.

import { UciError } from './errors.js';
import type { ParseBuffer } from './parse-buffer.js';
import { isValidPackageStatementName, isValidUciName } from './names.js';

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const DQUOTE = 0x22;
const HASH = 0x23;
const SQUOTE = 0x27;
const SEMICOLON = 0x3b;
const BACKSLASH = 0x5c;

/** isspace() in the C locale. */
export function isCSpace(byte: number): boolean {
  return byte === SPACE || (byte >= TAB && byte <= CR);
}

export function parseError(buf: ParseBuffer, reason: string): UciError {
  return new UciError('PARSE', { reason, line: buf.line, byte: buf.pos });
}

export function skipWhitespace(buf: ParseBuffer): void {
  while (buf.current !== 0 && isCSpace(buf.current)) buf.pos++;
}

/** Where the unquoted text of the token being scanned is written. */
interface Target {
  at: number;
}

function copyCurrent(buf: ParseBuffer, target: Target): void {
  buf.set(target.at, buf.current);
  target.at++;
  buf.pos++;
}

/**
 * Consumes a backslash. At the end of a line (also before a final CRLF) the next line is read
 * in its place and false is returned: nothing to copy. Otherwise the escaped byte is to be taken.
 */
function consumeBackslash(buf: ParseBuffer): boolean {
  buf.pos++;
  const c = buf.current;
  const endOfLine = c === 0 || c === LF || (c === CR && buf.at(buf.pos + 1) === LF && buf.at(buf.pos + 2) === 0);
  if (endOfLine) {
    buf.readLine(buf.pos);
    return false;
  }
  return true;
}

function scanDoubleQuoted(buf: ParseBuffer, target: Target): void {
  buf.pos++;
  for (;;) {
    const c = buf.current;
    if (c === DQUOTE) {
      buf.pos++;
      return;
    }
    if (c === 0) {
      buf.readLine(buf.pos);
      if (buf.current === 0) throw parseError(buf, 'EOF with unterminated "');
      continue;
    }
    if (c === BACKSLASH && !consumeBackslash(buf)) continue;
    copyCurrent(buf, target);
  }
}

function scanSingleQuoted(buf: ParseBuffer, target: Target): void {
  buf.pos++;
  for (;;) {
    const c = buf.current;
    if (c === SQUOTE) {
      buf.pos++;
      return;
    }
    if (c === 0) {
      buf.readLine(buf.pos);
      if (buf.current === 0) throw parseError(buf, "EOF with unterminated '");
      continue;
    }
    copyCurrent(buf, target);
  }
}

/**
 * One token, quoted pieces and all. Stops at unquoted whitespace (consumed), ';' (left for the
 * statement splitter) or '#'/end of line. Note what C does when nothing was unquoted before a
 * glued ';': the terminating NUL lands on the ';' itself, and the rest of the line is lost.
 */
function scanToken(buf: ParseBuffer, target: Target): void {
  let advance = true;
  scan: do {
    const c = buf.current;
    switch (c) {
      case SQUOTE:
        scanSingleQuoted(buf, target);
        break;
      case DQUOTE:
        scanDoubleQuoted(buf, target);
        break;
      case HASH:
        buf.set(buf.pos, 0);
        break scan;
      case 0:
        break scan;
      case SEMICOLON:
        advance = false;
        break scan;
      case BACKSLASH:
        if (!consumeBackslash(buf)) continue scan;
        copyCurrent(buf, target);
        break;
      default:
        copyCurrent(buf, target);
        break;
    }
  } while (buf.current !== 0 && !isCSpace(buf.current));

  if (buf.current !== 0 && advance) buf.pos++;
  buf.set(target.at, 0);
}

export type NameRule = 'none' | 'name' | 'package';

/**
 * The next argument of a statement (next_arg): returns the buffer offset of its text, which is
 * empty when the statement has no more arguments. A lone ';' ends the statement and is eaten.
 */
export function nextArgument(buf: ParseBuffer, required: boolean, rule: NameRule): number {
  skipWhitespace(buf);
  const start = buf.pos;
  if (buf.current === SEMICOLON) {
    buf.set(buf.pos, 0);
    buf.pos++;
  } else {
    scanToken(buf, { at: start });
  }
  if (buf.at(start) === 0) {
    if (required) throw parseError(buf, 'insufficient arguments');
    return start;
  }
  if (rule !== 'none') {
    const text = buf.stringAt(start);
    const valid = rule === 'package' ? isValidPackageStatementName(text) : isValidUciName(text);
    if (!valid) throw parseError(buf, 'invalid character in name field');
  }
  return start;
}

/** After the last argument: anything more is an error in strict mode, ignored otherwise. */
export function expectEndOfStatement(buf: ParseBuffer, strict: boolean): void {
  skipWhitespace(buf);
  const extra = nextArgument(buf, false, 'none');
  if (buf.at(extra) !== 0 && strict) throw parseError(buf, 'too many arguments');
}
