// Every filesystem path the daemon touches, with OpenWrt's defaults; `--root DIR` prefixes them all
// so the lab and the tests run the daemon unchanged in a scratch tree.

import { join } from 'node:path';
import { UBUS_DEFAULT_SOCKET } from '../ubus/constants.js';

export interface DaemonPaths {
  root: string;
  /** UCI configs (/etc/config). */
  uciDir: string;
  /** Secrets: WireGuard private keys, the account mnemonic, device keys (0700). */
  stateDir: string;
  /** Runtime files: pid, gateway cache in RAM. */
  runDir: string;
  /** fw4's automatic nftables include folders. */
  nftablesDir: string;
  /** dnsmasq's per-interface resolv files (/tmp/resolv.conf.d). */
  resolvConfDir: string;
  socket: string;
}

export function resolvePaths(root = '/', socket?: string): DaemonPaths {
  const at = (p: string) => join(root, p);
  return {
    root,
    uciDir: at('/etc/config'),
    stateDir: at('/etc/nym-vpn'),
    runDir: at('/var/run/nym-vpn'),
    nftablesDir: at('/usr/share/nftables.d'),
    resolvConfDir: at('/tmp/resolv.conf.d'),
    socket: socket ?? process.env.UBUS_SOCKET ?? UBUS_DEFAULT_SOCKET,
  };
}
