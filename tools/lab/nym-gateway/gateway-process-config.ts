// What the lab tells one Nym gateway stand-in process (gateway-main.ts) about its gateway, and the lines the
// process prints back: shared by the process and the lab side that starts it (nym-gateway-process.ts).
// Never packaged.
import { formatIp, parseIp } from '../../../src/net/ip-address.js';
import type { IpPair } from '../../../src/authenticator/ip-pair.js';
import type { NodeAddress } from './mix-packet.js';

/** Upstream's client websocket port (nym-node's default `entry.ws_port`, what the directory lists). */
export const NYM_WS_PORT = 9000;
/** Upstream's mix port (nym-node's default `mixnet.bind_address` port, the directory's `mix_port`). */
export const NYM_MIX_PORT = 1789;

/** The process's config file (JSON). */
export interface LabNymGatewayConfig {
  /** The gateway's label: its identity private key is labSecret(label) (lab-keys.ts). */
  label: string;
  /** Its identity as the directory lists it; the process checks that labSecret(label) gives it. */
  id: string;
  /** Its public IPv4: the websocket and the mix port listen there. */
  host: string;
  wsPort: number;
  mixPort: number;
  /** The other lab gateways' mix addresses (its routing filter lets packets be forwarded to these). */
  peers: NodeAddress[];
  /** The namespace's wireguard-go interface, which registered peers are `wg set` into. */
  wgInterface: string;
  /** wireguard-go's private key file (base64): the authenticator's MACs and answers use that key. */
  wgKeyFile: string;
  wgPort: number;
  /** The first client's tunnel addresses (the gateway's NAT and routes expect them); later ones follow. */
  ours: { v4: string; v6: string };
  /** Where the directory-server wrote the lab signers' master verification key (LabVerificationKeyFile). */
  verificationKeyFile: string;
}

/** One line on the process's stdout. */
export type LabNymGatewayEvent =
  | { event: 'ready'; identity: string; sphinxKey: string; wsPort: number; mixPort: number; authenticator: string; wgPublicKey: string }
  /** A peer registered (reused: a key that was registered already got its registration back). */
  | { event: 'registered'; key: string; ipv4: string; ipv6: string; reused: boolean }
  /** `wg set` failed; the registration stands in the authenticator (as a gateway whose kernel call failed). */
  | { event: 'wg-set-failed'; key: string; error: string }
  /** One line of the authenticator's journal (refusals show here). */
  | { event: 'authenticator'; line: string }
  /** A `set-bandwidth` command was carried out. */
  | { event: 'bandwidth-set'; client: string; bytes: string };

/** One line on the process's stdin. */
export type LabNymGatewayCommand =
  /** Sets the balance of the peer whose tunnel address is `client` (bytes as a decimal string), as metering would. */
  | { cmd: 'set-bandwidth'; client: string; bytes: string };

/**
 * The tunnel addresses a gateway hands out: `ours` first, then the next ones in the same /24 and /64
 * (the last IPv4 octet and the last IPv6 group counting up together).
 */
export function tunnelAllocator(ours: { v4: string; v6: string }): () => IpPair {
  const v4 = parseIp(ours.v4);
  const v6 = parseIp(ours.v6);
  let k = 0;
  return () => {
    const ipv4 = Uint8Array.from(v4);
    const ipv6 = Uint8Array.from(v6);
    const last = v4[3]! + k;
    const group = ((v6[14]! << 8) | v6[15]!) + k;
    if (last > 254 || group > 0xffff) throw new RangeError(`no tunnel addresses left after ${formatIp(v4)} + ${k}`);
    ipv4[3] = last;
    ipv6[14] = group >> 8;
    ipv6[15] = group & 0xff;
    k++;
    return { ipv4, ipv6 };
  };
}
