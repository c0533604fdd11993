// Which strings uci accepts as names, types and config names (libuci uci_validate_str).
// Checks run on code units; callers that work on bytes pass latin1 strings, so every byte
// above 0x7e fails exactly as it does in C (isalnum is ASCII-only in the C locale).

function isAsciiAlnum(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function isPrintableNonSpace(code: number): boolean {
  return code >= 33 && code <= 126;
}

/** Section and option names: [A-Za-z0-9_]+ (shell-safe). */
export function isValidUciName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (!isAsciiAlnum(code) && code !== 0x5f) return false;
  }
  return true;
}

/** The name after a `package` statement: like a section name, plus '-'. */
export function isValidPackageStatementName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (!isAsciiAlnum(code) && code !== 0x5f && code !== 0x2d) return false;
  }
  return true;
}

/** Section types and config (file) names: any printable ASCII except space. */
export function isValidUciType(type: string): boolean {
  if (type.length === 0) return false;
  for (let i = 0; i < type.length; i++) {
    if (!isPrintableNonSpace(type.charCodeAt(i))) return false;
  }
  return true;
}

/** Config names follow the type rule (uci_validate_package). */
export const isValidConfigName = isValidUciType;

/** Values given on the command line (uci_validate_text): no control characters but tab/CR/LF. */
export function isValidUciText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 32 && code !== 9 && code !== 10 && code !== 13) return false;
  }
  return true;
}
