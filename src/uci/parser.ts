// UCI file → UciPackage, accepting and rejecting exactly what libuci does when `uci` loads a
// config file (uci_import with the config name given, file.c uci_parse_line & co).
// Statements: package/p, config/c, option/o, list/l; '#' comments; ';' between statements.
// A file with an error is refused whole (strict mode, uci's default); with strict off, uci
// reports the error, drops the rest of that line and goes on, and so do we.

import { UciError } from './errors.js';
import { expectEndOfStatement, nextArgument, parseError, skipWhitespace } from './lexer.js';
import {
  addAnonymousSection,
  addListValue,
  createPackage,
  findOption,
  findSection,
  setOption,
  setSection,
} from './model.js';
import type { UciPackage, UciSection } from './model.js';
import { isValidUciType } from './names.js';
import { ParseBuffer } from './parse-buffer.js';

export type ValueEncoding = 'utf8' | 'latin1';

export interface ParseOptions {
  /** Config name (the file name); a `package` line in the file does not change it. */
  readonly name: string;
  /** Stop at the first error (default, like `uci -s`); false is `uci -S`. */
  readonly strict?: boolean;
  /** With strict off: called for each error uci would print and skip. */
  readonly onError?: (error: UciError) => void;
  /**
   * How bytes become strings. 'utf8' (default) for programs; 'latin1' keeps every byte as one
   * code unit, for byte-exact output (the CLI).
   */
  readonly encoding?: ValueEncoding;
}

const SPACE = 0x20;
const TAB = 0x09;

const utf8Decoder = new TextDecoder('utf-8');
const textEncoder = new TextEncoder();

interface ParserState {
  readonly buf: ParseBuffer;
  readonly pkg: UciPackage;
  readonly strict: boolean;
  readonly decode: (start: number) => string;
  section: UciSection | undefined;
}

export function parseUci(source: Uint8Array | string, options: ParseOptions): UciPackage {
  const bytes = typeof source === 'string' ? textEncoder.encode(source) : source;
  const buf = new ParseBuffer(bytes);
  const encoding = options.encoding ?? 'utf8';
  const state: ParserState = {
    buf,
    pkg: createPackage(options.name),
    strict: options.strict ?? true,
    decode: encoding === 'latin1' ? (start) => buf.stringAt(start) : (start) => utf8Decoder.decode(buf.bytesAt(start)),
    section: undefined,
  };

  while (!buf.exhausted) {
    buf.pos = 0;
    buf.readLine(0);
    if (buf.at(0) === 0) continue;
    try {
      parseLine(state);
    } catch (error) {
      if (!(error instanceof UciError) || state.strict) throw error;
      options.onError?.(error);
    }
  }
  return state.pkg;
}

/**
 * One line, which may hold several statements split by ';'. The keyword is cut out the way C's
 * strtok(" \t") does it: only spaces and tabs end it, so "config\n" is not a keyword.
 */
function parseLine(state: ParserState): void {
  const { buf } = state;
  skipWhitespace(buf);
  for (;;) {
    let start = buf.pos;
    while (buf.at(start) === SPACE || buf.at(start) === TAB) start++;
    if (buf.at(start) === 0) return;
    let end = start;
    while (buf.at(end) !== 0 && buf.at(end) !== SPACE && buf.at(end) !== TAB) end++;
    if (buf.at(end) !== 0) buf.set(end, 0);
    const keyword = buf.stringAt(start);

    switch (keyword) {
      case 'p':
      case 'package':
        parsePackageStatement(state);
        break;
      case 'c':
      case 'config':
        parseConfigStatement(state);
        break;
      case 'o':
      case 'option':
        parseOptionStatement(state, false);
        break;
      case 'l':
      case 'list':
        parseOptionStatement(state, true);
        break;
      default:
        if (keyword.startsWith('#')) return;
        throw parseError(buf, 'invalid command');
    }
  }
}

/** Steps over the keyword and the NUL that ended it; fails if the line ends with the keyword. */
function skipKeyword(buf: ParseBuffer, reason: string): void {
  const step = buf.lengthAt(buf.pos) + 1;
  if (buf.pos + step > buf.filled) throw parseError(buf, reason);
  buf.pos += step;
}

/** `package <name>` is checked but ignored: the config is named after its file. */
function parsePackageStatement(state: ParserState): void {
  skipKeyword(state.buf, 'package without name');
  nextArgument(state.buf, true, 'package');
  expectEndOfStatement(state.buf, state.strict);
}

function parseConfigStatement(state: ParserState): void {
  const { buf, pkg } = state;
  skipKeyword(buf, 'config without name');
  const typeAt = nextArgument(buf, true, 'none');
  const type = buf.stringAt(typeAt);
  if (!isValidUciType(type)) throw parseError(buf, 'invalid character in type field');
  const nameAt = nextArgument(buf, false, 'name');
  expectEndOfStatement(buf, state.strict);
  const name = buf.stringAt(nameAt);

  if (name === '') {
    state.section = addAnonymousSection(pkg, type);
    return;
  }
  const existing = findSection(pkg, name);
  if (existing !== undefined && existing.type !== type && state.strict) {
    throw parseError(buf, 'section of different type overwrites prior section with same name');
  }
  state.section = setSection(pkg, name, type);
}

function parseOptionStatement(state: ParserState, isList: boolean): void {
  const { buf } = state;
  const section = state.section;
  if (section === undefined) throw parseError(buf, 'option/list command found before the first section');
  skipKeyword(buf, 'option without name');
  const nameAt = nextArgument(buf, true, 'name');
  const valueAt = nextArgument(buf, false, 'none');
  expectEndOfStatement(buf, state.strict);
  const name = buf.stringAt(nameAt);
  const value = state.decode(valueAt);

  if (isList) {
    addListValue(section, name, value);
    return;
  }
  // uci ignores an option with an empty value in a file: it neither sets nor deletes.
  if (value === '') return;
  const existing = findOption(section, name);
  if (existing?.type === 'string' && existing.value === value) return;
  setOption(section, name, value);
}
