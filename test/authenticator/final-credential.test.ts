// Upstream's CREDENTIAL_BYTES (a real spent ticket) inside an authenticator v6 Final message: its serde-bincode
// form spliced into the BandwidthClaim, read back by the gateway side (the lab authenticator's reader), the same
// credential to the byte.
import test from 'ava';
import { decodeRequest, encodeRequest } from '../../src/authenticator/messages-v6.js';
import {
  credentialSpendingDataBincode, credentialSpendingDataFromBincode, credentialSpendingDataFromBytes, credentialSpendingDataToBytes, readCredentialSpendingData,
} from '../../src/ecash/credential-spending-data.js';
import { parseIp } from '../../src/net/ip-address.js';
import { CREDENTIAL_BYTES } from '../ecash/credential-bytes.fixture.js';

test('CREDENTIAL_BYTES inside a v6 Final message: spliced in, read back, the same credential', (t) => {
  const csd = credentialSpendingDataFromBytes(CREDENTIAL_BYTES);
  const key = new Uint8Array(32).fill(5);
  const msg = encodeRequest({
    requestId: 77n,
    data: { type: 'final', gatewayClient: { pubKey: key, privateIps: { ipv4: parseIp('10.1.0.2'), ipv6: parseIp('fc01::2') }, mac: new Uint8Array(32) },
      credential: { credential: { kind: 'zk-nym', credentialBincode: credentialSpendingDataBincode(csd) }, ticketType: 'v1-mixnet-entry' } },
  });
  const back = decodeRequest(msg, (r) => credentialSpendingDataBincode(readCredentialSpendingData(r)));
  t.is(back.requestId, 77n);
  if (back.data.type !== 'final' || back.data.credential?.credential.kind !== 'zk-nym') return t.fail('not a final message with a zk-nym');
  t.deepEqual(credentialSpendingDataToBytes(credentialSpendingDataFromBincode(back.data.credential.credential.credentialBincode)), CREDENTIAL_BYTES);
  t.is(back.data.credential.ticketType, 'v1-mixnet-entry');
});
