// Lab-only e-cash issuers (signers), never packaged: threshold keys as upstream's ttp_keygen makes them,
// verification of a withdrawal request as upstream's issuer does (request_verify + the withdrawal proof), and
// the blind signature (issue). Answers are in the shapes of upstream's credential-proxy / vpn-api models
// (nym-credential-proxy-requests api/v1/ticketbook/models.rs, camelCase), so upstream's WASM can unblind them.
// Ported from nym_offline_compact_ecash/src/scheme/keygen.rs (ttp_keygen), scheme/withdrawal.rs
// (request_verify, issue), proofs/proof_withdrawal.rs (WithdrawalReqProof::verify), utils.rs (Polynomial)
// at nymtech/nym daed9cd15bc0 (the same as the WASM's 2ca7c7a252a8 for these functions).
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { base58 } from '@scure/base';
import { BincodeWriter } from '../../../src/codec/bincode.js';
import { ecashUnixTimestamp, parseEcashDate, type EcashDate } from '../../../src/ecash/ecash-date.js';
import { EcashError } from '../../../src/ecash/errors.js';
import { G1, G2, g1FromBytes, g1ToBytes, scale, type G1Point } from '../../../src/ecash/group-elements.js';
import { ATTRIBUTES_LEN, TYPE_EXP, TYPE_IDX, dateScalar, groupParameters, typeScalar } from '../../../src/ecash/group-parameters.js';
import { hashG1 } from '../../../src/ecash/hash.js';
import { computeChallenge } from '../../../src/ecash/proof-challenge.js';
import { Fr, lagrangeCoefficientsAtOrigin, randomScalar } from '../../../src/ecash/scalar-field.js';
import { TICKETBOOK_SIZE, TICKET_TYPES, encodeTicketType, type TicketType } from '../../../src/ecash/ticket-type.js';
import { signatureJson } from '../../../src/ecash/signature-sets-json.js';
import { coinIndexSignatureBase, expirationSignatureBase, validSpendingTimestamps } from '../../../src/ecash/signature-sets.js';
import { verificationKeyToBs58, type VerificationKey } from '../../../src/ecash/verification-key.js';
import { withdrawalRequestFromBs58, type WithdrawalRequest } from '../../../src/ecash/withdrawal-request.js';

export interface LabIssuerKey {
  readonly index: bigint; // signer index, 1..count
  readonly x: bigint;
  readonly ys: readonly bigint[]; // ATTRIBUTES_LEN + 1 of them, as ttp_keygen makes
  readonly vk: VerificationKey;
}

export interface WalletShareJson {
  nodeIndex: number;
  bs58EncodedShare: string;
}

export interface LabIssuersOptions {
  threshold: number;
  count: number;
  epochId?: number;
  randomBytes?: (n: number) => Uint8Array;
}

function verificationKeyOf(x: bigint, ys: readonly bigint[]): VerificationKey {
  return {
    alpha: scale(G2.BASE, x),
    betaG1: ys.map((y) => scale(G1.BASE, y)),
    betaG2: ys.map((y) => scale(G2.BASE, y)),
  };
}

const evaluate = (coefficients: readonly bigint[], at: bigint): bigint =>
  coefficients.reduceRight((acc, c) => Fr.add(Fr.mul(acc, at), c), 0n);

export class LabIssuers {
  readonly epochId: number;
  readonly threshold: number;
  readonly issuers: readonly LabIssuerKey[];
  private readonly master: VerificationKey;
  private readonly random: (n: number) => Uint8Array;

  private constructor(o: LabIssuersOptions, issuers: LabIssuerKey[], master: VerificationKey) {
    this.epochId = o.epochId ?? 1;
    this.threshold = o.threshold;
    this.issuers = issuers;
    this.master = master;
    this.random = o.randomBytes ?? ((n) => new Uint8Array(nodeRandomBytes(n)));
  }

  /** ttp_keygen(threshold, count): one polynomial of degree threshold-1 for x and one per y (ATTRIBUTES_LEN + 1). */
  static create(o: LabIssuersOptions): LabIssuers {
    if (!Number.isInteger(o.threshold) || !Number.isInteger(o.count) || o.threshold < 1 || o.threshold > o.count) {
      throw new EcashError('value', 'lab issuers', `threshold ${o.threshold} of ${o.count}`);
    }
    const random = o.randomBytes ?? ((n: number) => new Uint8Array(nodeRandomBytes(n)));
    const poly = () => Array.from({ length: o.threshold }, () => randomScalar(random));
    const v = poly();
    const ws = Array.from({ length: ATTRIBUTES_LEN + 1 }, poly);
    const issuers = Array.from({ length: o.count }, (_, i) => {
      const index = BigInt(i + 1);
      const x = evaluate(v, index);
      const ys = ws.map((w) => evaluate(w, index));
      return { index, x, ys, vk: verificationKeyOf(x, ys) };
    });
    // The master secret is the polynomials at 0; its key is what aggregate_verification_keys recovers.
    const master = verificationKeyOf(v[0]!, ws.map((w) => w[0]!));
    return new LabIssuers({ ...o, randomBytes: random }, issuers, master);
  }

  partialVerificationKeys(): { epochId: number; keys: { nodeIndex: number; bs58EncodedKey: string }[] } {
    return { epochId: this.epochId, keys: this.issuers.map((k) => ({ nodeIndex: Number(k.index), bs58EncodedKey: verificationKeyToBs58(k.vk) })) };
  }

  masterVerificationKey(): { epochId: number; bs58EncodedKey: string } {
    return { epochId: this.epochId, bs58EncodedKey: verificationKeyToBs58(this.master) };
  }

  get masterKey(): VerificationKey {
    return this.master;
  }

  /**
   * The blinded shares of the issuers named in `signers` (default: the first `threshold`), after verifying the
   * request as each of upstream's issuers does. `ecashPubkey` is the bs58 PublicKeyUser from the request body.
   */
  blindSign(request: { withdrawalRequest: string; ecashPubkey: string; expirationDate: EcashDate; ticketType: TicketType }, signers?: readonly number[]): WalletShareJson[] {
    const req = withdrawalRequestFromBs58(request.withdrawalRequest);
    const pk = g1FromBytes(decodeBs58(request.ecashPubkey, 'ecash public key'), 'ecash public key');
    const expiration = ecashUnixTimestamp(request.expirationDate);
    const tType = encodeTicketType(request.ticketType);
    verifyWithdrawalRequest(req, pk, expiration, tType);
    const chosen = signers ?? this.issuers.slice(0, this.threshold).map((k) => Number(k.index));
    return chosen.map((nodeIndex) => {
      const key = this.issuers.find((k) => Number(k.index) === nodeIndex);
      if (!key) throw new EcashError('value', 'lab issuers', `no issuer ${nodeIndex}`);
      return { nodeIndex, bs58EncodedShare: base58.encode(issue(key, req, expiration, tType)) };
    });
  }

  /** The shares answer (TicketbookWalletSharesResponse) the WASM's unblindWalletShares takes. */
  walletSharesResponse(shares: WalletShareJson[]): { epochId: number; shares: WalletShareJson[] } {
    return { epochId: this.epochId, shares };
  }

  /**
   * A hook for the lab vpn-api stand-in (tools/lab/vpn-api LabIssuer): takes the zk-nym request body as the
   * router sends it (RequestZkNymRequestBody) and answers the blinded shares in the shape the vpn-api puts in
   * NymVpnZkNym.blinded_shares (TicketbookWalletSharesResponse, camelCase), with the master key and both
   * aggregated signature sets included (their JSON: see src/ecash/signature-sets-json.ts).
   */
  vpnApiIssuer(): (request: { withdrawalRequest: string; ecashPubkey: string; expirationDate: string; ticketbookType: string }) => Promise<{
    epochId: number;
    shares: WalletShareJson[];
    masterVerificationKey: { epochId: number; bs58EncodedKey: string };
    aggregatedCoinIndexSignatures: { signatures: { epoch_id: number; signatures: { signature: { h: string; s: string }; index: number }[] } };
    aggregatedExpirationDateSignatures: {
      signatures: { epoch_id: number; expiration_date: string; signatures: { signature: { h: string; s: string }; expiration_timestamp: number; spending_timestamp: number }[] };
    };
  }> {
    return async (request) => {
      const ticketType = TICKET_TYPES.find((t) => t === request.ticketbookType);
      if (!ticketType) throw new EcashError('format', 'zk-nym request', `ticketbook type ${JSON.stringify(request.ticketbookType)}`);
      const expirationDate = parseEcashDate(request.expirationDate, 'zk-nym request expiration date');
      const shares = this.blindSign({ withdrawalRequest: request.withdrawalRequest, ecashPubkey: request.ecashPubkey, expirationDate, ticketType });
      const exp = ecashUnixTimestamp(expirationDate);
      const days = validSpendingTimestamps(exp);
      return {
        epochId: this.epochId,
        shares,
        masterVerificationKey: this.masterVerificationKey(),
        aggregatedCoinIndexSignatures: { signatures: { epoch_id: this.epochId, signatures: coinIndexSignatures(this).map((sig, index) => ({ signature: signatureJson(sig), index })) } },
        aggregatedExpirationDateSignatures: {
          signatures: {
            epoch_id: this.epochId,
            expiration_date: request.expirationDate,
            signatures: expirationDateSignatures(this, expirationDate).map((sig, i) => ({ signature: signatureJson(sig), expiration_timestamp: exp, spending_timestamp: days[i]! })),
          },
        },
      };
    };
  }

  /** For tests that need fresh randomness from the same source. */
  randomScalar(): bigint {
    return randomScalar(this.random);
  }
}

function decodeBs58(s: string, what: string): Uint8Array {
  try {
    return base58.decode(s);
  } catch (e) {
    throw new EcashError('format', what, `not base58: ${(e as Error).message}`);
  }
}

/** request_verify: the commitment hash is the one the public attributes give, and the proof holds. */
export function verifyWithdrawalRequest(req: WithdrawalRequest, pkUser: G1Point, expirationTimestamp: number, tType: number): void {
  const { g1, gammas } = groupParameters();
  if (req.joinedCommitmentHash.is0()) throw new EcashError('value', 'withdrawal request', 'commitment hash is the identity');
  const expected = hashG1(req.joinedCommitment.add(scale(gammas[2]!, dateScalar(expirationTimestamp))).add(scale(gammas[3]!, typeScalar(tType))).toBytes(true));
  if (!expected.equals(req.joinedCommitmentHash)) throw new EcashError('value', 'withdrawal request', 'commitment hash does not match the expiration date and type');

  const p = req.zkProof;
  const n = req.privateAttributesCommitments.length;
  if (n !== 2 || p.responseOpenings.length !== n || p.responseAttributes.length !== n) {
    throw new EcashError('value', 'withdrawal request', 'wants two private attributes with their responses');
  }
  const c = p.challenge;
  let zkcmCom = scale(req.joinedCommitment, c).add(scale(g1, p.responseOpening));
  p.responseAttributes.forEach((m, i) => (zkcmCom = zkcmCom.add(scale(gammas[i]!, m))));
  const zkcmPedcom = req.privateAttributesCommitments.map((cm, j) =>
    scale(cm, c).add(scale(g1, p.responseOpenings[j]!)).add(scale(req.joinedCommitmentHash, p.responseAttributes[j]!)),
  );
  const zkcmUserSk = scale(pkUser, c).add(scale(g1, p.responseAttributes[0]!));

  // WithdrawalReqInstance::to_bytes: bincode of {joined_commitment, joined_commitment_hash,
  // private_attributes_commitments, pk_user} with the byte-string element encoding.
  const instance = new BincodeWriter()
    .bytes(g1ToBytes(req.joinedCommitment))
    .bytes(g1ToBytes(req.joinedCommitmentHash))
    .seq(req.privateAttributesCommitments, (w, cm) => w.bytes(g1ToBytes(cm)))
    .bytes(g1ToBytes(pkUser))
    .finish();
  const challenge = computeChallenge([
    g1ToBytes(g1),
    ...gammas.map(g1ToBytes),
    instance,
    g1ToBytes(zkcmCom),
    ...zkcmPedcom.map(g1ToBytes),
    g1ToBytes(zkcmUserSk),
  ]);
  if (challenge !== c) throw new EcashError('value', 'withdrawal request', 'the proof does not verify');
}

/** issue(): c = Σ cm_j·y_j (private attributes) + h·x + h·(y_2·expiration) + h·(y_3·type); answer h ‖ c. */
function issue(key: LabIssuerKey, req: WithdrawalRequest, expirationTimestamp: number, tType: number): Uint8Array {
  const h = req.joinedCommitmentHash;
  let c = scale(h, key.x)
    .add(scale(h, Fr.mul(key.ys[2]!, dateScalar(expirationTimestamp))))
    .add(scale(h, Fr.mul(key.ys[3]!, typeScalar(tType))));
  req.privateAttributesCommitments.forEach((cm, j) => (c = c.add(scale(cm, key.ys[j]!))));
  const out = new Uint8Array(96);
  out.set(g1ToBytes(h), 0);
  out.set(g1ToBytes(c), 48);
  return out;
}

// --- expiration-date and coin-index signatures ----------------------------------------------------------
// Ported from scheme/expiration_date_signatures.rs (sign_expiration_date, aggregate) and
// scheme/coin_indices_signatures.rs (sign_coin_indices, aggregate): each issuer signs, the shares of the
// first `threshold` issuers are combined by Lagrange interpolation of the s parts (h is common).

function aggregateShares(indices: readonly bigint[], hs: readonly G1Point[], sharesS: readonly (readonly G1Point[])[]): { h: G1Point; s: G1Point }[] {
  const l = lagrangeCoefficientsAtOrigin(indices);
  return hs.map((h, j) => ({ h, s: sharesS.reduce((acc, shares, i) => acc.add(scale(shares[j]!, l[i]!)), scale(h, 0n)) }));
}

/** The 7 signatures on (expiration date, each valid spending date), aggregated; index i = expiration − (6 − i) days. */
export function expirationDateSignatures(lab: LabIssuers, expiration: EcashDate): { h: G1Point; s: G1Point }[] {
  const exp = ecashUnixTimestamp(expiration);
  const m0 = dateScalar(exp);
  const days = validSpendingTimestamps(exp);
  const hs = days.map((d) => expirationSignatureBase(exp, d));
  const signers = lab.issuers.slice(0, lab.threshold);
  const shares = signers.map((k) => {
    const partial = Fr.add(Fr.add(k.x, Fr.mul(k.ys[0]!, m0)), Fr.mul(k.ys[2]!, TYPE_EXP));
    return days.map((d, i) => scale(hs[i]!, Fr.add(partial, Fr.mul(k.ys[1]!, dateScalar(d)))));
  });
  return aggregateShares(signers.map((k) => k.index), hs, shares);
}

/** The TICKETBOOK_SIZE signatures on the coin indices, aggregated; h = hash_g1(master vk bytes ‖ index u64 LE). */
export function coinIndexSignatures(lab: LabIssuers): { h: G1Point; s: G1Point }[] {
  const hs = Array.from({ length: TICKETBOOK_SIZE }, (_, i) => coinIndexSignatureBase(lab.masterKey, i));
  const signers = lab.issuers.slice(0, lab.threshold);
  const shares = signers.map((k) => {
    const partial = Fr.add(Fr.add(k.x, Fr.mul(k.ys[1]!, TYPE_IDX)), Fr.mul(k.ys[2]!, TYPE_IDX));
    return hs.map((h, i) => scale(h, Fr.add(partial, Fr.mul(k.ys[0]!, BigInt(i)))));
  });
  return aggregateShares(signers.map((k) => k.index), hs, shares);
}
