// Lab-only: how a gateway judges one zk-nym ticket a client pays with (nymtech/nym daed9cd15bc0
// common/credential-verification/src/lib.rs CredentialVerifier::verify, then ecash/mod.rs
// EcashManager::check_payment and verify_pay_info), in upstream's order:
//   the ticket type decodes; exactly one ticket (spend_value 1); spent today (UTC); its serial number not seen
//   before at this gateway; the epoch's verification key known; the pay info names this gateway's identity key,
//   is within 30 s of now and was not used before; then the payment itself verifies (verifier.ts,
//   Payment::spend_verify) and its serial number is recorded. The first failed check names the refusal.
// Upstream also stores the ticket and later redeems it with the issuers; the lab only remembers it.
import type { BandwidthCredential } from '../../../src/authenticator/messages-v6.js';
import { credentialSpendingDataFromBincode, type CredentialSpendingData } from '../../../src/ecash/credential-spending-data.js';
import { formatEcashDate } from '../../../src/ecash/ecash-date.js';
import { parsePayInfo } from '../../../src/ecash/pay-info.js';
import { encodedSerialNumber } from '../../../src/ecash/payment.js';
import { decodeTicketType, type TicketType } from '../../../src/ecash/ticket-type.js';
import type { VerificationKey } from '../../../src/ecash/verification-key.js';
import { ecashToday } from '../../../src/zk-nym/ticket-policy.js';
import { SpendRejected, SpentSerialNumbers } from './verifier.js';

/** verify_pay_info's window around the gateway's clock (credential-verification ecash/mod.rs TIME_RANGE_SEC). */
export const PAY_INFO_TIME_RANGE_S = 30;

export type TicketRefusalReason =
  | 'ticket-type' | 'multiple-tickets' | 'spend-date' | 'already-spent' | 'unknown-epoch'
  | 'pay-info-key' | 'pay-info-timestamp' | 'duplicate-pay-info' | `spend-${SpendRejected['reason']}`;

export class TicketRefused extends Error {
  override readonly name = 'TicketRefused';
  constructor(readonly reason: TicketRefusalReason, detail: string) {
    super(`ticket refused (${reason}): ${detail}`);
  }
}

export interface AcceptedTicket {
  ticketType: TicketType;
  /** The encoded serial number, hex. */
  serial: string;
  epochId: bigint;
  /** The identity key the pay info names (this gateway's). */
  provider: Uint8Array;
  /** Milliseconds the cryptographic verification took (pairings in JS, on the caller's thread). */
  verifyMs: number;
}

export interface LabGatewayTicketsOptions {
  /** This gateway's ed25519 identity key: what the pay info must name. */
  gatewayIdentity: Uint8Array;
  /** The issuers' master verification key for an epoch, undefined for an epoch it does not know. */
  verificationKey: (epochId: bigint) => VerificationKey | undefined;
  now?: () => number;
}

export class LabGatewayTickets {
  readonly spent = new SpentSerialNumbers();
  /** Tickets accepted, in order (tests read them). */
  readonly accepted: AcceptedTicket[] = [];
  private readonly payInfos = new Set<string>();

  constructor(private readonly o: LabGatewayTicketsOptions) {}

  /** Judges and, when good, records the ticket; throws TicketRefused naming the first failed check. */
  accept(csd: CredentialSpendingData): AcceptedTicket {
    const nowMs = (this.o.now ?? Date.now)();
    let ticketType: TicketType;
    try {
      ticketType = decodeTicketType(csd.payment.tType);
    } catch {
      throw new TicketRefused('ticket-type', `t_type ${csd.payment.tType} is no ticket type`);
    }
    if (csd.payment.spendValue !== 1n) throw new TicketRefused('multiple-tickets', `spend_value ${csd.payment.spendValue}, a gateway takes one ticket at a time`);
    const today = ecashToday(nowMs);
    if (formatEcashDate(csd.spendDate) !== today) throw new TicketRefused('spend-date', `spent for ${formatEcashDate(csd.spendDate)}, today is ${today}`);
    if (this.spent.spentBefore(csd)) throw new TicketRefused('already-spent', 'this serial number was spent at this gateway before');
    const vk = this.o.verificationKey(csd.epochId);
    if (!vk) throw new TicketRefused('unknown-epoch', `no verification key for epoch ${csd.epochId}`);
    const payInfo = parsePayInfo(csd.payInfo);
    if (!Buffer.from(payInfo.providerPublicKey).equals(Buffer.from(this.o.gatewayIdentity))) throw new TicketRefused('pay-info-key', 'the pay info names another gateway');
    const skew = Number(payInfo.timestamp) - Math.floor(nowMs / 1000);
    if (Math.abs(skew) > PAY_INFO_TIME_RANGE_S) throw new TicketRefused('pay-info-timestamp', `the pay info is ${skew} s from now, more than ${PAY_INFO_TIME_RANGE_S}`);
    const payInfoKey = Buffer.from(csd.payInfo).toString('hex');
    if (this.payInfos.has(payInfoKey)) throw new TicketRefused('duplicate-pay-info', 'this pay info was used before');
    const started = performance.now();
    try {
      this.spent.accept(csd, vk);
    } catch (e) {
      if (e instanceof SpendRejected) throw new TicketRefused(`spend-${e.reason}`, e.message);
      throw e;
    }
    this.payInfos.add(payInfoKey);
    const t: AcceptedTicket = { ticketType, serial: Buffer.from(encodedSerialNumber(csd.payment)).toString('hex'), epochId: csd.epochId, provider: payInfo.providerPublicKey, verifyMs: performance.now() - started };
    this.accepted.push(t);
    return t;
  }
}

/**
 * An authenticator's claim judge (LabAuthenticatorOptions.acceptClaim) paying with `tickets`: a zk-nym claim is
 * read and judged as above (a refusal throws, naming why); an upgrade-mode token cannot be checked in the lab.
 */
export function zkNymClaimJudge(tickets: LabGatewayTickets): (claim: { credential: BandwidthCredential }) => boolean {
  return (claim) => {
    if (claim.credential.kind !== 'zk-nym') throw new TicketRefused('ticket-type', 'an upgrade-mode token; the lab verifies zk-nyms only');
    tickets.accept(credentialSpendingDataFromBincode(claim.credential.credentialBincode));
    return true;
  };
}
