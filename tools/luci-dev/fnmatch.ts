// fnmatch(3) without FNM_PATHNAME/FNM_PERIOD, the way rpcd matches ACL patterns: `*` and `?` cross
// '/', `[...]` classes with `!`/`^` negation and ranges. rpcd passes FNM_NOESCAPE for objects and
// functions (a backslash is a plain character) but flags 0 for login group names (it escapes).

export interface FnmatchOptions {
  /** FNM_NOESCAPE: a backslash is literal. */
  noescape?: boolean;
}

const cache = new Map<string, RegExp>();

export function fnmatch(pattern: string, text: string, opts: FnmatchOptions = {}): boolean {
  const key = `${opts.noescape ? 1 : 0}${pattern}`;
  let re = cache.get(key);
  if (!re) {
    re = new RegExp(`^${translate(pattern, opts.noescape === true)}$`, 's');
    cache.set(key, re);
  }
  return re.test(text);
}

const escapeRe = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

function translate(p: string, noescape: boolean): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '\\' && !noescape && i + 1 < p.length) out += escapeRe(p[++i]!);
    else if (c === '[') {
      const cls = bracket(p, i, noescape);
      if (cls === null) out += '\\[';
      else {
        out += cls.re;
        i = cls.end;
      }
    } else out += escapeRe(c);
  }
  return out;
}

/** A `[...]` class starting at `start`, or null when it never closes (then '[' is literal). */
function bracket(p: string, start: number, noescape: boolean): { re: string; end: number } | null {
  let i = start + 1;
  let negate = false;
  if (p[i] === '!' || p[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  for (; i < p.length; i++) {
    let c = p[i]!;
    if (c === ']' && !first) return { re: `[${negate ? '^' : ''}${body}]`, end: i };
    first = false;
    if (c === '\\' && !noescape && i + 1 < p.length) c = p[++i]!;
    if (p[i + 1] === '-' && p[i + 2] !== undefined && p[i + 2] !== ']') {
      let hi = p[i + 2]!;
      i += 2;
      if (hi === '\\' && !noescape && i + 1 < p.length) hi = p[++i]!;
      body += `${escapeRe(c)}-${escapeRe(hi)}`;
    } else body += escapeRe(c);
  }
  return null;
}
