// Every file the firewall part reads or writes, with OpenWrt's locations under a root prefix, so the
// lab and the tests use the same code in a scratch tree.
import { join } from 'node:path';

export interface FirewallPaths {
  root: string;
  fw4: string;
  fw3: string;
  /** The locks /sbin/fw4 (flock) and fw3 (flock()) hold while they build and load their rules. */
  fw4Lock: string;
  fw3Lock: string;
  /** Static, shipped: fw4 includes it in its own transaction at every start and reload. */
  fw4Include: string;
  /** Persistent (flash): present while the owner has the kill switch on. */
  bootGuardDir: string;
  bootGuardNft: string;
  bootGuardV4: string;
  bootGuardV6: string;
  /** RAM (gone at boot): what nym-vpnd last put in the kernel, for fw4 and fw3 to put back. */
  runtimeDir: string;
  runtimeNft: string;
  runtimeV4: string;
  runtimeV6: string;
  /** fw3 only: 'kill-switch' or 'lifted'. */
  runtimeState: string;
  /** Static, shipped: the fw3 include script. */
  fw3Include: string;
}

export function firewallPaths(root = '/'): FirewallPaths {
  // The paths end up inside nft `include "…"` lines and a shell script's variables.
  if (/["'\\\s$`]/.test(root)) throw new TypeError(`firewall root path must not contain quotes, spaces, $ or backslashes: ${root}`);
  const at = (p: string) => join(root, p);
  const bootGuardDir = at('/etc/nym-vpn/boot-guard');
  const runtimeDir = at('/var/run/nym-vpn/firewall');
  return {
    root,
    fw4: at('/sbin/fw4'),
    fw3: at('/sbin/fw3'),
    fw4Lock: at('/var/run/fw4.lock'),
    fw3Lock: at('/var/run/fw3.lock'),
    fw4Include: at('/usr/share/nftables.d/ruleset-post/20-nym-vpn.nft'),
    bootGuardDir,
    bootGuardNft: join(bootGuardDir, 'boot-guard.nft'),
    bootGuardV4: join(bootGuardDir, 'boot-guard.v4.rules'),
    bootGuardV6: join(bootGuardDir, 'boot-guard.v6.rules'),
    runtimeDir,
    runtimeNft: join(runtimeDir, 'ruleset.nft'),
    runtimeV4: join(runtimeDir, 'kill-switch.v4.rules'),
    runtimeV6: join(runtimeDir, 'kill-switch.v6.rules'),
    runtimeState: join(runtimeDir, 'fw3.state'),
    fw3Include: at('/usr/lib/nym-vpn/fw3-include.sh'),
  };
}
