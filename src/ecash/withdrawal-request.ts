// WithdrawalRequest as the WASM hands it out (bs58 of its bincode), decoded for checks and for the lab
// issuers. Ported from nym_offline_compact_ecash/src/scheme/withdrawal.rs (struct WithdrawalRequest) and
// proofs/proof_withdrawal.rs (struct WithdrawalReqProof), nymtech/nym 2ca7c7a252a8 = daed9cd15bc0 for these
// structs; serde/bincode as in payment.ts (binary_serialiser: big-endian, varint, byte-string elements).
import { base58 } from '@scure/base';
import { BincodeReader } from '../codec/bincode.js';
import { EcashError } from './errors.js';
import { G1_BYTES, SCALAR_BYTES, g1FromBytes, scalarFromBytes, type G1Point } from './group-elements.js';
import { asEcashError } from './payment.js';

export interface WithdrawalRequest {
  readonly joinedCommitmentHash: G1Point;
  readonly joinedCommitment: G1Point;
  readonly privateAttributesCommitments: readonly G1Point[];
  readonly zkProof: {
    readonly challenge: bigint;
    readonly responseOpening: bigint;
    readonly responseOpenings: readonly bigint[];
    readonly responseAttributes: readonly bigint[];
  };
}

// Two private attributes (the user's key and the wallet secret; constants.rs PRIVATE_ATTRIBUTES_LEN); a
// little slack is harmless, an unbounded count is not.
const MAX_ATTRIBUTES = 4;

function exact(r: BincodeReader, size: number, what: string): Uint8Array {
  const b = r.bytes(r.remaining, what);
  if (b.length !== size) throw new EcashError('length', what, `${b.length} bytes, wants ${size}`);
  return b;
}

export function withdrawalRequestFromBytes(bytes: Uint8Array): WithdrawalRequest {
  const r = new BincodeReader(bytes);
  return asEcashError(() => {
    const g1 = (what: string) => g1FromBytes(exact(r, G1_BYTES, what), what);
    const scalar = (what: string) => scalarFromBytes(exact(r, SCALAR_BYTES, what), what);
    const scalars = (what: string) => r.seq(MAX_ATTRIBUTES, () => scalar(what), what);
    const out: WithdrawalRequest = {
      joinedCommitmentHash: g1('withdrawal_request.joined_commitment_hash'),
      joinedCommitment: g1('withdrawal_request.joined_commitment'),
      privateAttributesCommitments: r.seq(MAX_ATTRIBUTES, () => g1('withdrawal_request.private_attributes_commitments'), 'withdrawal_request.private_attributes_commitments'),
      zkProof: {
        challenge: scalar('withdrawal_request.zk_proof.challenge'),
        responseOpening: scalar('withdrawal_request.zk_proof.response_opening'),
        responseOpenings: scalars('withdrawal_request.zk_proof.response_openings'),
        responseAttributes: scalars('withdrawal_request.zk_proof.response_attributes'),
      },
    };
    r.end('withdrawal request');
    return out;
  });
}

export function withdrawalRequestFromBs58(s: string): WithdrawalRequest {
  let bytes: Uint8Array;
  try {
    bytes = base58.decode(s);
  } catch (e) {
    throw new EcashError('format', 'withdrawal request', `not base58: ${(e as Error).message}`);
  }
  return withdrawalRequestFromBytes(bytes);
}
