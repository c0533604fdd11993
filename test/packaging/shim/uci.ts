// Test stand-in for OpenWrt's `uci` CLI, for the scripts that write UCI (uci-defaults, prerm):
// `uci [-q] [-c DIR] get|set|delete|commit ARG` and `uci [-q] batch` (those commands on stdin).
// Like the real one, set and delete are kept as pending changes (in $NYM_SHIM_UCI_SAVEDIR, as
// /tmp/.uci holds them on a router) until `commit CONFIG` writes the file, and get sees them;
// a script that forgets to commit changes nothing. Reading and writing go through src/uci.
// The config folder is -c, else $UCI_CONFIG_DIR.
import { appendFileSync, existsSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  UciError, deleteOption, deleteSection, findOption, loadUciConfig, parseUciPath, resolveSection, setOption, setSection,
  writeUciConfig, type UciPackage,
} from '../../../src/uci/index.js';

interface Change { op: 'set' | 'delete'; path: string }

let quiet = false;
let configDir = process.env.UCI_CONFIG_DIR ?? '/etc/config';
const saveDir = process.env.NYM_SHIM_UCI_SAVEDIR ?? join(configDir, '..', '.uci-shim');

function fail(msg: string): number {
  if (!quiet) process.stderr.write(`uci: ${msg}\n`);
  return 1;
}

function pendingFile(config: string): string {
  return join(saveDir, config);
}

function pending(config: string): Change[] {
  const f = pendingFile(config);
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l) as Change) : [];
}

async function load(config: string): Promise<UciPackage> {
  let pkg: UciPackage;
  try {
    pkg = await loadUciConfig(configDir, config);
  } catch (e) {
    if (!(e instanceof UciError && e.code === 'NOTFOUND')) throw e;
    pkg = { name: config, sections: [], sectionCounter: 0 };
  }
  for (const c of pending(config)) apply(pkg, c);
  return pkg;
}

function apply(pkg: UciPackage, c: Change): void {
  const p = parseUciPath(c.path);
  if (p.section === undefined) throw new UciError('INVAL');
  if (c.op === 'set') {
    if (p.value === undefined) throw new UciError('INVAL');
    if (p.option === undefined) { setSection(pkg, p.section, p.value); return; }
    const s = resolveSection(pkg, p.section);
    if (!s) throw new UciError('NOTFOUND');
    setOption(s, p.option, p.value);
  } else {
    const s = resolveSection(pkg, p.section);
    if (!s) throw new UciError('NOTFOUND');
    if (p.option === undefined) deleteSection(pkg, s.name);
    else if (!deleteOption(s, p.option)) throw new UciError('NOTFOUND');
  }
}

/** One word of a batch line: quotes removed as the shell-like reader of `uci batch` does. */
function unquote(s: string): string {
  return s.replace(/'([^']*)'|"([^"]*)"/g, (_m, a: string | undefined, b: string | undefined) => a ?? b ?? '');
}

async function run(cmd: string, arg: string | undefined): Promise<number> {
  if (arg === undefined) return fail(`${cmd}: missing argument`);
  const config = arg.split('.')[0]!.split('=')[0]!;
  try {
    switch (cmd) {
      case 'get': {
        const pkg = await load(config);
        const p = parseUciPath(arg);
        const s = p.section === undefined ? undefined : resolveSection(pkg, p.section);
        if (!s) return fail('Entry not found');
        if (p.option === undefined) { process.stdout.write(`${s.type}\n`); return 0; }
        const o = findOption(s, p.option);
        if (!o) return fail('Entry not found');
        process.stdout.write(`${o.type === 'string' ? o.value : o.values.join(' ')}\n`);
        return 0;
      }
      case 'set':
      case 'delete': {
        const change: Change = { op: cmd, path: arg };
        apply(await load(config), change); // refuses what the real uci refuses, before saving it
        mkdirSync(saveDir, { recursive: true });
        appendFileSync(pendingFile(config), JSON.stringify(change) + '\n');
        return 0;
      }
      case 'commit': {
        const pkg = await load(config);
        await writeUciConfig(configDir, pkg);
        rmSync(pendingFile(config), { force: true });
        return 0;
      }
      default:
        return fail(`unknown command ${cmd}`);
    }
  } catch (e) {
    return fail(e instanceof UciError ? (e.code === 'NOTFOUND' ? 'Entry not found' : 'Invalid argument') : (e as Error).message);
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  while (argv[0]?.startsWith('-')) {
    const o = argv.shift()!;
    if (o === '-q') quiet = true;
    else if (o === '-c') configDir = argv.shift() ?? configDir;
    else return fail(`unknown option ${o}`);
  }
  const [cmd, arg] = argv;
  if (cmd !== 'batch') return run(cmd ?? '', arg === undefined ? undefined : unquote(arg));
  for (const line of readFileSync(0, 'utf8').split('\n')) {
    const m = /^\s*(\S+)\s+(.*?)\s*$/.exec(line);
    if (!m) continue;
    const rc = await run(m[1]!, unquote(m[2]!));
    if (rc !== 0) return rc;
  }
  return 0;
}

main().then((rc) => process.exit(rc), (e: Error) => { process.stderr.write(`uci: ${e.message}\n`); process.exit(1); });
