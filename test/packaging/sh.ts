// Running our OpenWrt shell scripts in tests: with busybox ash (what OpenWrt runs) when it is
// installed, and with dash (a strict POSIX sh) always, so that a bash-ism or an ash-only feature fails.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { openwrtParts } from '../helpers/openwrt-parts.js';
import { join } from 'node:path';
import { repoRoot } from '../helpers/bus.js';

export const SHIM_DIR = join(repoRoot, 'test/packaging/shim');
export const SHIPPED_CONFIG = join(repoRoot, 'files/etc/config/nym-vpn');
export const UCI_CLI = join(repoRoot, 'dist/tools/uci/cli.js');

export interface Shell { name: string; argv: string[] }

function works(argv: string[]): boolean {
  const r = spawnSync(argv[0]!, [...argv.slice(1), '-c', 'exit 0'], { stdio: 'ignore' });
  return r.status === 0;
}

/** The shells to run each script under: busybox ash first when present, then dash (or sh). */
export const SHELLS: Shell[] = [
  { name: 'busybox ash', argv: ['busybox', 'ash'] },
  { name: 'dash', argv: ['dash'] },
].filter((s) => works(s.argv));
if (SHELLS.length === 0) SHELLS.push({ name: 'sh', argv: ['/bin/sh'] });

export interface RunResult { code: number; stdout: string; stderr: string }

export function runShell(shell: Shell, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(shell.argv[0]!, [...shell.argv.slice(1), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** `sh -n`: the script parses. */
export function syntaxError(shell: Shell, file: string): string | null {
  const r = spawnSync(shell.argv[0]!, [...shell.argv.slice(1), '-n', file], { encoding: 'utf8' });
  return r.status === 0 ? null : `${r.stderr}${r.stdout}`.trim() || `exit ${r.status}`;
}

/** A scratch folder with etc/config/nym-vpn (the shipped file, edited by `edit`) and log files. */
export class ScratchRoot {
  readonly dir = mkdtempSync(join(tmpdir(), 'nym-pkgtest-'));
  readonly uciDir = join(this.dir, 'etc/config');
  readonly procdLog = join(this.dir, 'procd.jsonl');
  readonly ubusLog = join(this.dir, 'ubus.jsonl');

  constructor(edit: (text: string) => string = (t) => t) {
    mkdirSync(this.uciDir, { recursive: true });
    copyFileSync(SHIPPED_CONFIG, join(this.uciDir, 'nym-vpn'));
    this.editConfig(edit);
  }

  editConfig(edit: (text: string) => string): void {
    const file = join(this.uciDir, 'nym-vpn');
    writeFileSync(file, edit(readFileSync(file, 'utf8')));
  }

  /** The environment our shims read; PATH puts the fake ubus first. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      PATH: `${join(SHIM_DIR, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      SHIM_DIR,
      PROCD_SHIM_LOG: this.procdLog,
      NYM_SHIM_UBUS_LOG: this.ubusLog,
      NYM_SHIM_UBUS_SOCKET: join(this.dir, 'no-bus.sock'),
      NYM_SHIM_NODE: process.execPath,
      NYM_SHIM_UCI: UCI_CLI,
      UCI_CONFIG_DIR: this.uciDir,
      LC_ALL: 'C',
      ...extra,
    };
  }

  ubusEntries(): Record<string, unknown>[] {
    try {
      return readFileSync(this.ubusLog, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch {
      return [];
    }
  }

  /** The argv of each ubus run, in order. */
  ubusArgv(): string[][] {
    return this.ubusEntries().filter((e) => Array.isArray(e.argv)).map((e) => e.argv as string[]);
  }

  clearLogs(): void {
    rmSync(this.procdLog, { force: true });
    rmSync(this.ubusLog, { force: true });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The upstream ubus CLI: built from ../shared/openwrt into build/openwrt-host (test/helpers/openwrt-parts.ts), or
 * NYM_UPSTREAM_UBUS's prefix; null, with why, where neither is here (a clone without ../shared).
 */
export async function upstreamUbus(): Promise<{ bin: string; env: NodeJS.ProcessEnv } | { skip: string }> {
  let prefix = process.env.NYM_UPSTREAM_UBUS;
  if (prefix === undefined) {
    const parts = await openwrtParts();
    if ('skip' in parts) return parts;
    prefix = parts.prefix;
  }
  const bin = join(prefix, 'bin/ubus');
  const r = spawnSync(bin, ['-h'], { env: { LD_LIBRARY_PATH: join(prefix, 'lib') }, stdio: 'ignore' });
  if (r.error) return { skip: `${bin} does not run: ${r.error.message}` };
  return { bin, env: { LD_LIBRARY_PATH: join(prefix, 'lib') } };
}
