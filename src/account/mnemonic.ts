// The account mnemonic: BIP39, English wordlist, 12 or 24 words. Parsing follows upstream's
// bip39 crate (Mnemonic::parse: Unicode NFKD, words split on any whitespace, every word in the
// list, checksum verified) and additionally folds case, since the English list is all lower case
// and a phone keyboard capitalises the first word.
//
// The phrase is a secret: the Mnemonic holder never shows it — not in errors (they name word
// positions and counts, never words), not in toString, JSON.stringify or util.inspect. Only
// reveal() gives it, for the store to write it.

import { pbkdf2Sync } from 'node:crypto';
import { inspect } from 'node:util';
import { mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';

export type MnemonicProblem = 'NotText' | 'WordCount' | 'UnknownWord' | 'Checksum';

export class MnemonicError extends Error {
  override name = 'MnemonicError';
  constructor(
    readonly problem: MnemonicProblem,
    message: string,
  ) {
    super(message);
  }
}

/** NymVPN accounts use 24 words; 12-word phrases are accepted too. */
export const MNEMONIC_WORD_COUNTS = [12, 24] as const;

const WORDS = new Set(wordlist);
const MAX_INPUT_CHARS = 4096;
const REDACTED = 'Mnemonic <redacted>';

export class Mnemonic {
  readonly #phrase: string;
  readonly wordCount: number;

  private constructor(phrase: string, wordCount: number) {
    this.#phrase = phrase;
    this.wordCount = wordCount;
  }

  /** Parses and checks a phrase; throws MnemonicError, whose message never contains a word. */
  static parse(input: unknown): Mnemonic {
    if (typeof input !== 'string') throw new MnemonicError('NotText', 'the mnemonic must be text');
    // 24 words of at most 8 letters fit many times over; more is not a mnemonic (and not worth scanning).
    if (input.length > MAX_INPUT_CHARS) throw new MnemonicError('WordCount', `the mnemonic is longer than ${MAX_INPUT_CHARS} characters; it must have 12 or 24 words`);
    const words = input.normalize('NFKD').toLowerCase().split(/\s+/u).filter((w) => w !== '');
    if (!(MNEMONIC_WORD_COUNTS as readonly number[]).includes(words.length)) {
      throw new MnemonicError('WordCount', `the mnemonic has ${words.length} word${words.length === 1 ? '' : 's'}; it must have 12 or 24`);
    }
    const unknown = words.flatMap((w, i) => (WORDS.has(w) ? [] : [i + 1]));
    if (unknown.length > 0) {
      const which = unknown.length === 1 ? `word ${unknown[0]} is` : `words ${unknown.join(', ')} are`;
      throw new MnemonicError('UnknownWord', `${which} not in the BIP39 English wordlist`);
    }
    const phrase = words.join(' ');
    try {
      mnemonicToEntropy(phrase, wordlist);
    } catch {
      throw new MnemonicError('Checksum', 'the mnemonic\'s checksum does not match: a word is wrong or out of order');
    }
    return new Mnemonic(phrase, words.length);
  }

  /** The canonical phrase (lower case, single spaces). Handle as a secret. */
  reveal(): string {
    return this.#phrase;
  }

  /** The BIP39 seed with the empty passphrase (PBKDF2-HMAC-SHA512, 2048 rounds, salt "mnemonic"). */
  seed(): Uint8Array {
    // node:crypto's native PBKDF2: the pure-JS one takes seconds on a router's CPU.
    return new Uint8Array(pbkdf2Sync(Buffer.from(this.#phrase, 'utf8'), Buffer.from('mnemonic', 'utf8'), 2048, 64, 'sha512'));
  }

  /** The entropy the words encode (16 or 32 bytes). */
  entropy(): Uint8Array {
    return mnemonicToEntropy(this.#phrase, wordlist);
  }

  equals(other: Mnemonic): boolean {
    return this.#phrase === other.#phrase;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
