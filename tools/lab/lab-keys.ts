// The lab's deterministic keys: every key a lab gateway publishes is derived from a name, so the processes
// that publish it (the directory, the lab nym-api, the gateway stand-in) agree without passing secrets around.
// labSecret is the one derivation (sha256("nym-vpn lab <seed>")); the directory's gateway identities
// (labIdentity) are the ed25519 public keys of labSecret(label), so the gateway stand-in holding
// labSecret(label) as its identity private key is the gateway the directory lists. Lab only: anyone who knows
// the seed knows the key, which is the point here and must never be so anywhere else. Never packaged.
import { createHash } from 'node:crypto';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { base58 } from '@scure/base';

/** 32 secret bytes named by seed: sha256("nym-vpn lab <seed>"). */
export function labSecret(seed: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`nym-vpn lab ${seed}`).digest());
}

/** A valid ed25519 identity derived from a name, so lab gateways have stable, upstream-valid ids. */
export function labIdentity(seed: string): string {
  return base58.encode(ed25519.getPublicKey(labSecret(seed)));
}

/** The private keys of a Nym client living on a gateway (its authenticator, its IPR): by gateway id and role. */
export function labClientSecrets(gatewayId: string, what: string): { identityPrivate: Uint8Array; encryptionPrivate: Uint8Array } {
  return { identityPrivate: labSecret(`${gatewayId} ${what}`), encryptionPrivate: labSecret(`${gatewayId} ${what} x25519`) };
}

/**
 * The Nym address `identity.encryption@gateway` (all bs58) of that client: what LabNymClient computes from the
 * same secrets, so the address the directory lists is the one the gateway stand-in's client answers on.
 */
export function labNymAddress(gatewayId: string, what: string): string {
  const s = labClientSecrets(gatewayId, what);
  return `${base58.encode(ed25519.getPublicKey(s.identityPrivate))}.${base58.encode(x25519.getPublicKey(s.encryptionPrivate))}@${gatewayId}`;
}

/** A gateway's x25519 sphinx private key (the lab nym-api lists its public half as `x25519_sphinx_pubkey`). */
export function labSphinxSecret(gatewayId: string): Uint8Array {
  return labSecret(`${gatewayId} sphinx`);
}
