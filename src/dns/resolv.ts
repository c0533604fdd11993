// DNS while connected: dnsmasq (which answers the LAN) forwards to the configured servers, and its
// queries go through the tunnel like the rest of the router's traffic. We hand dnsmasq the servers
// by rewriting the resolv file it reads (OpenWrt: /tmp/resolv.conf.d/resolv.conf.auto; dnsmasq
// re-reads it when it changes), after saving what was there; disconnect puts the saved file back.

import { join } from 'node:path';
import { readIfExists, removeIfExists, writeFileAtomic } from '../fs/atomic-file.js';

export const RESOLV_FILE = 'resolv.conf.auto';
const MARK = '# written by nym-vpn';
// First line of the backup: whether dnsmasq's resolv file existed before we wrote ours.
const PRESENT = 'present\n';
const ABSENT = 'absent\n';

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

/** Points dnsmasq at `servers`. The first call saves the original; later calls only rewrite. */
export async function applyDns(p: DnsPaths, servers: readonly string[]): Promise<void> {
  const current = await readIfExists(p.resolvFile);
  if ((await readIfExists(p.backupFile)) === undefined && (current === undefined || !current.startsWith(MARK))) {
    // The backup says whether there was a file at all, so that restoring can remove ours.
    await writeFileAtomic(p.backupFile, current === undefined ? ABSENT : `${PRESENT}${current}`);
  }
  await writeFileAtomic(p.resolvFile, renderResolv(servers));
}

/** True when the resolv file is ours (netifd may rewrite it on a WAN renewal). */
export async function dnsIsApplied(p: DnsPaths): Promise<boolean> {
  return (await readIfExists(p.resolvFile))?.startsWith(MARK) ?? false;
}

/** Puts the original resolv file back exactly as it was (or removes ours if there was none). */
export async function restoreDns(p: DnsPaths): Promise<void> {
  const backup = await readIfExists(p.backupFile);
  if (backup === undefined) return;
  if (backup.startsWith(PRESENT)) await writeFileAtomic(p.resolvFile, backup.slice(PRESENT.length));
  else await removeIfExists(p.resolvFile);
  await removeIfExists(p.backupFile);
}
