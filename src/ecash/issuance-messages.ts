// The messages between issuance.ts and its worker (issuance-worker.ts). Plain data only: they cross a
// worker_threads MessagePort (structured clone).
import type { BookLabel } from './spendable-book.js';
import type { FullSerialisedNymIssuedTicketbook, MasterVerificationKeyResponse, PartialVerificationKeysResponse, WalletShare } from '@nymproject/nym-credential-proxy-lib-wasm/nym_credential_proxy_lib_wasm.js';

/** The shares a vpn-api zk-nym answer carries, in the shape the WASM deserialises (TicketbookWalletSharesResponse, camelCase). */
export interface WalletSharesInput {
  epochId: number;
  shares: WalletShare[];
  aggregatedCoinIndexSignatures?: unknown;
  aggregatedExpirationDateSignatures?: unknown;
}

export type ToWorker =
  | { op: 'request'; ticketbookType: string; userSecretKey?: string }
  | { op: 'unblind'; shares: WalletSharesInput; issuers: PartialVerificationKeysResponse; masterKey: MasterVerificationKeyResponse }
  | { op: 'check'; data: Uint8Array; label: BookLabel };

export type FromWorker =
  | { op: 'ready'; loadMs: number }
  | { op: 'request'; payload: string; withdrawalRequest: string; ecashPubkey: string }
  | { op: 'unblind'; ticketbook: FullSerialisedNymIssuedTicketbook }
  | { op: 'check' }
  | { op: 'log'; level: 'log' | 'warn' | 'error'; text: string }
  | { op: 'error'; message: string };
