// One gateway namespace: an uplink on the ISP's gateway bridge, wireguard-go with a fresh key pair and
// OUR public key (of its role) as its only peer (in the lab's mixnet registration mode: no peer; its Nym
// gateway stand-in process `wg set`s each registered one), forwarding on, and masquerade of tunnel traffic out
// of the uplink (IPv4 and NAT66). An entry gateway thereby forwards our inner UDP to an exit's public
// address; an exit forwards our inner traffic to the internet (inet sees the exit's address).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADDR, ENTRY_MTU, IF, type GatewayPlan } from './addresses.js';
import type { Lab, Netns } from './netns.js';
import { WireguardGo, wireguardName, type WgShow } from './wireguard-go.js';
import type { LabRegistration, NymGatewayProcess } from './nym-gateway-process.js';
import { generatePrivateKey, keyToBase64, publicKeyFromPrivate } from '../../src/wireguard/keys.js';

export interface GatewayKeys {
  privateKey: string;
  publicKey: string;
}

/** A fresh X25519 key pair in wg's base64 form. */
export function makeKeyPair(): GatewayKeys {
  const priv = generatePrivateKey();
  return { privateKey: keyToBase64(priv), publicKey: keyToBase64(publicKeyFromPrivate(priv)) };
}

/** The nft ruleset of a gateway: masquerade what comes out of the tunnel subnet and leaves by the uplink. */
export function gatewayRuleset(plan: GatewayPlan): string {
  const net4 = plan.tunnel.v4.replace(/\.1\/24$/, '.0/24');
  const net6 = plan.tunnel.v6.replace(/::1\/64$/, '::/64');
  return `table inet lab_gateway {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${IF.uplink}" ip saddr ${net4} masquerade
    oifname "${IF.uplink}" ip6 saddr ${net6} masquerade
  }
}
`;
}

export class Gateway {
  keys: GatewayKeys;
  readonly wg: WireguardGo;
  /** The ISP-side name of this gateway's port on the bridge. */
  readonly ispPort: string;
  /** Its Nym gateway stand-in process (the lab's mixnet registration mode only). */
  nym: NymGatewayProcess | undefined;

  private constructor(
    readonly plan: GatewayPlan,
    readonly ns: Netns,
    keys: GatewayKeys,
    wg: WireguardGo,
    /** wireguard-go's private key file (the Nym gateway stand-in reads it too). */
    readonly keyFile: string,
  ) {
    this.keys = keys;
    this.wg = wg;
    this.ispPort = `gw${plan.index}`;
  }

  get id(): string {
    return this.plan.id;
  }

  get label(): string {
    return this.plan.label;
  }

  /**
   * Wires a gateway namespace to the ISP's bridge and starts its wireguard-go.
   * ourPublicKey: our key for this gateway's role, its only peer (undefined: no peer, peers come by
   * registration); keys: the gateway's own; workDir: for its key file and log.
   */
  static async create(lab: Lab, isp: Netns, ns: Netns, plan: GatewayPlan, ourPublicKey: string | undefined, keys: GatewayKeys, workDir: string): Promise<Gateway> {
    const ispPort = `gw${plan.index}`;
    await lab.veth(
      { ns: isp, name: ispPort },
      { ns, name: IF.uplink, addresses: [`${plan.ip}/24`, `${plan.ip6}/64`] },
    );
    await isp.ip(['link', 'set', 'dev', ispPort, 'master', IF.ispGatewayBridge]);
    await ns.ipBatch([
      `route replace default via ${ADDR.ispGateways.v4}`,
      `route replace ::/0 via ${ADDR.ispGateways.v6}`,
    ]);
    await ns.exec('nft', ['-f', '-'], { input: gatewayRuleset(plan) });
    const keyFile = join(workDir, `gateway-${plan.label}.key`);
    writeFileSync(keyFile, `${keys.privateKey}\n`, { mode: 0o600 });
    const wg = new WireguardGo(ns, wireguardName(), {
      privateKeyFile: keyFile,
      listenPort: plan.port,
      peers: ourPublicKey === undefined ? [] : [{ publicKey: ourPublicKey, allowedIps: [`${plan.ours.v4}/32`, `${plan.ours.v6}/128`] }],
      addresses: [plan.tunnel.v4, plan.tunnel.v6],
      mtu: ENTRY_MTU,
    }, join(workDir, `gateway-${plan.label}.log`));
    await wg.start();
    return new Gateway(plan, ns, keys, wg, keyFile);
  }

  /** Kills its wireguard-go (SIGTERM: clean exit; SIGKILL: as a crash). The namespace and its routes stay. */
  async kill(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    await this.wg.stop(signal);
  }

  /** Starts wireguard-go again with the same name, key, peer and addresses (sessions are new). */
  async restart(): Promise<void> {
    await this.wg.stop();
    await this.wg.start();
  }

  /** Starts wireguard-go again with a new key pair (as a gateway reinstalled); returns the new public key. */
  async restartWithNewKey(): Promise<string> {
    await this.wg.stop();
    this.keys = makeKeyPair();
    writeFileSync(this.keyFile, `${this.keys.privateKey}\n`, { mode: 0o600 });
    await this.wg.start();
    return this.keys.publicKey;
  }

  /** Takes its uplink down or up (as a gateway falling off the network while its process lives). */
  async setLink(state: 'up' | 'down'): Promise<void> {
    await this.ns.ip(['link', 'set', 'dev', IF.uplink, state]);
    if (state === 'up') {
      // Admin-down drops the IPv6 addresses and both default routes; put them back.
      await this.ns.ipBatch([
        `addr replace ${this.plan.ip}/24 dev ${IF.uplink}`,
        `addr replace ${this.plan.ip6}/64 dev ${IF.uplink} nodad`,
        `route replace default via ${ADDR.ispGateways.v4}`,
        `route replace ::/0 via ${ADDR.ispGateways.v6}`,
      ]);
    }
  }

  /** The registrations its authenticator made, in order (none outside the mixnet registration mode). */
  registrations(): LabRegistration[] {
    return this.nym?.registrations() ?? [];
  }

  /** `wg show` of its interface. */
  show(): Promise<WgShow> {
    return this.wg.show();
  }
}
