// Text from outside (config values, arguments, error messages of other programs) on its way into a log line or
// a reply: control characters escaped (a newline cannot forge a log line), and long values cut to an excerpt
// (a 3 MB value cannot blow up every later status reply).

/** Control characters (C0, DEL, C1, line/paragraph separators) as \n, \t, \xHH or \uHHHH. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    switch (c) {
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      default: {
        const code = c.charCodeAt(0);
        return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
      }
    }
  });
}

/** At most `max` characters of `text`, printable, with an ellipsis and the full length when cut. */
export function excerpt(text: string, max = 64): string {
  if (text.length <= max) return printable(text);
  return `${printable(text.slice(0, max))}… (${text.length} characters)`;
}
