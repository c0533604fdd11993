#!/usr/bin/env node
// Writes po/templates/nym-vpn.pot from the LuCI app, as LuCI's build/i18n-scan.pl does for its apps: every
// string in _('…') and N_(n, '…', '…') of the views' JavaScript, and the menu titles of menu.d, each once,
// sorted, with the places it comes from. luci.mk turns po/<lang>/nym-vpn.po into the luci-i18n-nym-vpn-<lang>
// packages (openwrt/luci-app-nym-vpn/po is a link to this folder).
//   node scripts/i18n-scan.mjs           write the template
//   node scripts/i18n-scan.mjs --check   exit 1 when the template is not what the views give
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
export const APP = join(repo, 'luci-app');
export const POT_PATH = join(repo, 'po/templates/nym-vpn.pot');

function files(dir, ext) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name), ext) : e.name.endsWith(ext) ? [join(dir, e.name)] : []));
}

/** A JavaScript string literal's value ('…' or "…", the escapes the views use). */
function unquote(lit) {
  return lit.slice(1, -1).replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_m, c) => {
    if (c[0] === 'u' || c[0] === 'x') return String.fromCharCode(parseInt(c.slice(1), 16));
    return { n: '\n', t: '\t', r: '\r' }[c] ?? c;
  });
}

const STR = String.raw`('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")`;
const SINGULAR = new RegExp(String.raw`(?<![\w$.])_\(\s*${STR}\s*[,)]`, 'g');
const PLURAL = new RegExp(String.raw`(?<![\w$.])N_\(\s*[^,]+,\s*${STR}\s*,\s*${STR}`, 'g');

/** [{ msgid, msgid_plural?, refs: ['path:line'] }] of one file's text. */
export function scanJs(text, path) {
  const out = [];
  const lineOf = (i) => text.slice(0, i).split('\n').length;
  for (const m of text.matchAll(SINGULAR)) out.push({ msgid: unquote(m[1]), ref: `${path}:${lineOf(m.index)}` });
  for (const m of text.matchAll(PLURAL)) out.push({ msgid: unquote(m[1]), plural: unquote(m[2]), ref: `${path}:${lineOf(m.index)}` });
  return out;
}

export function scanMenu(text, path) {
  const lines = text.split('\n');
  return Object.values(JSON.parse(text)).filter((n) => typeof n.title === 'string').map((n) => {
    const line = lines.findIndex((l) => l.includes(`"title": ${JSON.stringify(n.title)}`)) + 1;
    return { msgid: n.title, ref: `${path}:${line}` };
  });
}

const poString = (s) => {
  const esc = s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
  return `"${esc}"`;
};

export function potText(found) {
  const byId = new Map();
  for (const f of found) {
    const key = f.plural ? `${f.msgid}\u0000${f.plural}` : f.msgid;
    const e = byId.get(key) ?? { msgid: f.msgid, plural: f.plural, refs: [] };
    if (!e.refs.includes(f.ref)) e.refs.push(f.ref);
    byId.set(key, e);
  }
  const entries = [...byId.values()].sort((a, b) => (a.msgid < b.msgid ? -1 : a.msgid > b.msgid ? 1 : 0));
  const out = ['msgid ""', 'msgstr "Content-Type: text/plain; charset=UTF-8"', ''];
  for (const e of entries) {
    out.push(...e.refs.map((r) => `#: ${r}`));
    out.push(`msgid ${poString(e.msgid)}`);
    if (e.plural) out.push(`msgid_plural ${poString(e.plural)}`, 'msgstr[0] ""', 'msgstr[1] ""');
    else out.push('msgstr ""');
    out.push('');
  }
  return out.join('\n');
}

export function generate() {
  const found = [];
  for (const f of files(join(APP, 'htdocs'), '.js').sort()) found.push(...scanJs(readFileSync(f, 'utf8'), relative(repo, f)));
  for (const f of files(join(APP, 'root/usr/share/luci/menu.d'), '.json').sort()) found.push(...scanMenu(readFileSync(f, 'utf8'), relative(repo, f)));
  return potText(found);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = generate();
  if (process.argv.includes('--check')) {
    let current = '';
    try { current = readFileSync(POT_PATH, 'utf8'); } catch { /* absent */ }
    if (current !== text) {
      process.stderr.write(`${relative(repo, POT_PATH)} is out of date: run node scripts/i18n-scan.mjs\n`);
      process.exit(1);
    }
  }
  else {
    mkdirSync(join(repo, 'po/templates'), { recursive: true });
    writeFileSync(POT_PATH, text);
    process.stdout.write(`wrote ${POT_PATH}\n`);
  }
}
