// The line buffer libuci parses in place (struct uci_parse_context). uci reads a line at a
// time with fgets, but a quoted string or a trailing backslash pulls the next line into the
// same buffer, right where parsing stands; tokens are then unquoted in place and cut with NUL
// bytes. Error positions ("byte N") are offsets into this buffer and "line N" counts the lines
// read so far, so we keep the same buffer, offsets and counters to report the same numbers.

const NEWLINE = 0x0a;

export class ParseBuffer {
  /** Buffer contents; bytes past `filled` may be stale, as in C, and are never relied upon. */
  private bytes = new Uint8Array(256);
  private readonly source: Uint8Array;
  private sourcePos = 0;

  /** Offset of the end of the data read (buf_filled). */
  filled = 0;
  /** Parse position (pos). */
  pos = 0;
  /** Lines read that ended with a newline (line). */
  line = 0;

  constructor(source: Uint8Array) {
    this.source = source;
  }

  /** No more input to read (what feof() says once a read has hit the end). */
  get exhausted(): boolean {
    return this.sourcePos >= this.source.length;
  }

  at(index: number): number {
    return index < this.bytes.length ? this.bytes[index]! : 0;
  }

  set(index: number, value: number): void {
    this.ensureCapacity(index + 1);
    this.bytes[index] = value;
  }

  get current(): number {
    return this.at(this.pos);
  }

  /** The NUL-terminated string starting at `start`, bytes as latin1 code units. */
  stringAt(start: number): string {
    let end = start;
    while (this.at(end) !== 0) end++;
    return this.latin1(start, end);
  }

  /** Length of the NUL-terminated string at `start` (strlen). */
  lengthAt(start: number): number {
    let end = start;
    while (this.at(end) !== 0) end++;
    return end - start;
  }

  /** Raw bytes of the NUL-terminated string at `start`. */
  bytesAt(start: number): Uint8Array {
    return this.bytes.slice(start, start + this.lengthAt(start));
  }

  /**
   * Reads the next line into the buffer at `offset` (uci_getln): fgets semantics, so the line
   * keeps its newline, a NUL is written after it, and at end of input only that NUL is written.
   * A NUL byte inside a line ends what C's strlen sees: uci then reads on into the next line and
   * the rest of the line after the NUL is lost (exact while lines fit fgets' chunk).
   */
  readLine(offset: number): void {
    let ofs = offset;
    for (;;) {
      this.set(ofs, 0);
      if (this.exhausted) return;
      const lineEnd = this.endOfSourceLine();
      if (this.source[this.sourcePos] === 0) {
        this.sourcePos = lineEnd;
        return;
      }
      let copied = 0;
      while (this.sourcePos + copied < lineEnd && this.source[this.sourcePos + copied] !== 0) copied++;
      this.ensureCapacity(ofs + copied + 1);
      this.bytes.set(this.source.subarray(this.sourcePos, this.sourcePos + copied), ofs);
      this.sourcePos = lineEnd;
      ofs += copied;
      this.bytes[ofs] = 0;
      this.filled = ofs;
      if (this.bytes[ofs - 1] === NEWLINE) {
        this.line++;
        return;
      }
    }
  }

  private endOfSourceLine(): number {
    const newline = this.source.indexOf(NEWLINE, this.sourcePos);
    return newline < 0 ? this.source.length : newline + 1;
  }

  private ensureCapacity(size: number): void {
    if (size <= this.bytes.length) return;
    let capacity = this.bytes.length;
    while (capacity < size) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes);
    this.bytes = grown;
  }

  private latin1(start: number, end: number): string {
    let text = '';
    for (let i = start; i < end; i += 8192) {
      text += String.fromCharCode(...this.bytes.subarray(i, Math.min(end, i + 8192)));
    }
    return text;
  }
}
