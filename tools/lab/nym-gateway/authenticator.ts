// The lab's authenticator: what a Nym gateway's WireGuard authenticator answers (nymtech/nym
// gateway/src/node/wireguard/new_peer_registration/{mod,authenticator}.rs and
// gateway/src/node/internal_service_providers/authenticator/mixnet_listener.rs, commit daed9cd15bc0), in
// protocol v6, for tests and the lab. Initial → a registration already pending for that key is answered again
// as it was, a key already registered gets Registered at once, otherwise PendingRegistration (fresh IPs, a
// random nonce, its MAC made with the gateway's key); Final → the pending registration, the client's MAC and
// the offered IPs checked, the credential judged → Registered; QueryBandwidth → what is left. Upstream answers
// nothing at all when handling fails (nothing pending, a MAC that does not verify, no credential, a credential
// refused: the listener only logs the error), so neither does the lab by default: the client times out.
// Never packaged.
import { randomBytes } from 'node:crypto';
import type { BincodeReader } from '../../../src/codec/bincode.js';
import { clientMac, verifyClientMac } from '../../../src/authenticator/client-mac.js';
import type { IpPair } from '../../../src/authenticator/ip-pair.js';
import { decodeRequest, encodeResponse, type AuthenticatorResponse, type BandwidthCredential } from '../../../src/authenticator/messages-v6.js';
import type { TicketType } from '../../../src/zk-nym/ticket-type.js';
import { credentialSpendingDataBincode, readCredentialSpendingData } from '../../../src/ecash/credential-spending-data.js';
import { publicKeyFromPrivate } from '../../../src/wireguard/keys.js';

export interface LabAuthenticatorOptions {
  /** The gateway's WireGuard private key. */
  privateKey: Uint8Array;
  wgPort: number;
  /** The next free private IP pair. */
  allocate: () => IpPair;
  /** Reads one serde-bincode CredentialSpendingData from a Final or TopUp message (default: the real layout). */
  readCredential?: (r: BincodeReader) => Uint8Array;
  /** Judges a claim: true accepts it; false or an exception (its message journaled) refuses it. Default: any. */
  acceptClaim?: (claim: { credential: BandwidthCredential; ticketType: TicketType }) => boolean;
  /**
   * Not upstream: answer a refused claim with RemainingBandwidth instead of staying silent, for testing what a
   * client does with an unexpected answer to its Final message.
   */
  answerRefusedClaim?: boolean;
  upgradeMode?: boolean;
  /** Bandwidth a new registration gets (bytes). */
  bandwidth?: bigint;
  /** Called once a peer is registered (the lab adds it to its wireguard-go). */
  onRegistered?: (publicKey: Uint8Array, ips: IpPair) => void;
}

interface Pending {
  nonce: bigint;
  ips: IpPair;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export class LabAuthenticator {
  readonly publicKey: Uint8Array;
  readonly pending = new Map<string, Pending>();
  readonly registered = new Map<string, { ips: IpPair; bandwidth: bigint }>();
  /** What happened, for tests: one line per message handled. */
  readonly journal: string[] = [];
  /** Tests set this to send a PendingRegistration whose MAC does not verify. */
  corruptNextMac = false;

  constructor(private readonly o: LabAuthenticatorOptions) {
    this.publicKey = publicKeyFromPrivate(o.privateKey);
  }

  /** The answer to one message, or undefined when the gateway would stay silent. */
  handle(message: Uint8Array): Uint8Array | undefined {
    let req;
    try {
      req = decodeRequest(message, this.o.readCredential ?? ((r) => credentialSpendingDataBincode(readCredentialSpendingData(r))));
    } catch (e) {
      this.journal.push(`unreadable: ${(e as Error).message}`);
      return undefined;
    }
    const reply = (data: AuthenticatorResponse['data']) => encodeResponse({ requestId: req.requestId, upgradeModeEnabled: this.o.upgradeMode ?? false, data });
    const d = req.data;
    switch (d.type) {
      case 'initial': {
        const pending = this.pending.get(hex(d.pubKey));
        if (pending) {
          // The same nonce and IPs again (the MAC over them is deterministic): a client that retries its
          // Initial gets what it got the first time.
          this.journal.push('initial: pending again');
          const mac = clientMac(this.o.privateKey, this.publicKey, d.pubKey, pending.ips, pending.nonce);
          return reply({ type: 'pending-registration', nonce: pending.nonce, gatewayData: { pubKey: this.publicKey, privateIps: pending.ips, mac }, wgPort: this.o.wgPort });
        }
        const known = this.registered.get(hex(d.pubKey));
        if (known) {
          this.journal.push('initial: already registered');
          return reply({ type: 'registered', pubKey: this.publicKey, privateIps: known.ips, wgPort: this.o.wgPort });
        }
        const ips = this.o.allocate();
        const nonce = randomBytes(8).readBigUInt64BE();
        this.pending.set(hex(d.pubKey), { nonce, ips });
        const mac = clientMac(this.o.privateKey, this.publicKey, d.pubKey, ips, nonce);
        if (this.corruptNextMac) {
          mac[0]! ^= 1;
          this.corruptNextMac = false;
        }
        this.journal.push('initial: pending');
        return reply({ type: 'pending-registration', nonce, gatewayData: { pubKey: this.publicKey, privateIps: ips, mac }, wgPort: this.o.wgPort });
      }
      case 'final': {
        const client = d.gatewayClient;
        const p = this.pending.get(hex(client.pubKey));
        if (!p) { this.journal.push('final: nothing pending'); return undefined; }
        if (hex(client.privateIps.ipv4) !== hex(p.ips.ipv4) || hex(client.privateIps.ipv6) !== hex(p.ips.ipv6)) { this.journal.push('final: other IPs'); return undefined; }
        if (!verifyClientMac(this.o.privateKey, client.pubKey, p.ips, p.nonce, client.mac)) { this.journal.push('final: MAC refused'); return undefined; }
        if (!d.credential) { this.journal.push('final: no credential'); return undefined; }
        let refusal: string | undefined;
        try {
          if (!(this.o.acceptClaim ?? (() => true))(d.credential)) refusal = 'refused';
        } catch (e) {
          refusal = (e as Error).message;
        }
        if (refusal !== undefined) {
          // The pending registration stays (upstream removes it only after a successful registration).
          this.journal.push(`final: credential refused: ${refusal}`);
          return this.o.answerRefusedClaim ? reply({ type: 'remaining-bandwidth' }) : undefined;
        }
        this.pending.delete(hex(client.pubKey));
        this.registered.set(hex(client.pubKey), { ips: p.ips, bandwidth: this.o.bandwidth ?? 500_000_000n });
        this.o.onRegistered?.(client.pubKey, p.ips);
        this.journal.push(`final: registered (${d.credential.credential.kind}, ${d.credential.ticketType})`);
        return reply({ type: 'registered', pubKey: this.publicKey, privateIps: p.ips, wgPort: this.o.wgPort });
      }
      case 'query-bandwidth': {
        const r = this.registered.get(hex(d.pubKey));
        this.journal.push('query-bandwidth');
        return reply(r ? { type: 'remaining-bandwidth', availableBandwidth: r.bandwidth } : { type: 'remaining-bandwidth' });
      }
      default:
        this.journal.push(`${d.type}: not served by the lab`);
        return undefined;
    }
  }
}
