// DNS while connected: dnsmasq (which answers the LAN) forwards to the configured servers, and its
// queries go through the tunnel like the rest of the router's traffic. We hand dnsmasq the servers
// by rewriting the resolv file it reads (OpenWrt: /tmp/resolv.conf.d/resolv.conf.auto; dnsmasq
// re-reads it when it changes), after saving what was there; disconnect puts the saved file back.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const RESOLV_FILE = 'resolv.conf.auto';
const MARK = '# written by nym-vpn';

export interface DnsPaths {
  /** The resolv file dnsmasq reads. */
  resolvFile: string;
  /** Where the original is kept while we are connected (survives a daemon crash). */
  backupFile: string;
}

export function dnsPaths(resolvConfDir: string, runDir: string): DnsPaths {
  return { resolvFile: join(resolvConfDir, RESOLV_FILE), backupFile: join(runDir, 'resolv.conf.auto.orig') };
}

export function renderResolv(servers: readonly string[]): string {
  return `${MARK}; the original comes back on disconnect\n${servers.map((s) => `nameserver ${s}`).join('\n')}\n`;
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.nym-vpn.tmp`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, path);
}

/** Points dnsmasq at `servers`. The first call saves the original; later calls only rewrite. */
export function applyDns(p: DnsPaths, servers: readonly string[]): void {
  const current = existsSync(p.resolvFile) ? readFileSync(p.resolvFile, 'utf8') : null;
  if (!existsSync(p.backupFile) && (current === null || !current.startsWith(MARK))) {
    writeAtomic(p.backupFile, current === null ? '' : current);
    if (current === null) writeFileSync(`${p.backupFile}.absent`, '');
  }
  writeAtomic(p.resolvFile, renderResolv(servers));
}

/** True when the resolv file is ours (netifd may rewrite it on a WAN renewal). */
export function dnsIsApplied(p: DnsPaths): boolean {
  return existsSync(p.resolvFile) && readFileSync(p.resolvFile, 'utf8').startsWith(MARK);
}

/** Puts the original resolv file back exactly as it was (or removes ours if there was none). */
export function restoreDns(p: DnsPaths): void {
  if (!existsSync(p.backupFile)) return;
  if (existsSync(`${p.backupFile}.absent`)) {
    rmSync(p.resolvFile, { force: true });
    rmSync(`${p.backupFile}.absent`, { force: true });
  } else {
    writeAtomic(p.resolvFile, readFileSync(p.backupFile, 'utf8'));
  }
  rmSync(p.backupFile, { force: true });
}
