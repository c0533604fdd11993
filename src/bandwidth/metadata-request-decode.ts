// The gateway's side of the private-metadata service: reading a request (the lab's metadata server does; the
// router, a client only, never does). The zk-nym of a top-up is parsed in full as a CredentialSpendingData
// (src/ecash, BLS12-381), so that a malformed one is refused here, as upstream's gateway refuses it when
// it deserialises the request. Pure: values in, values out; the layers are metadata-messages.ts's.
import { BincodeReader } from '../codec/bincode.js';
import { credentialSpendingDataFromBincode } from '../ecash/credential-spending-data.js';
import { EcashError } from '../ecash/errors.js';
import {
  MAX_REQUEST_INNER_BYTES, MAX_TOKEN_BYTES, MetadataMessageError, codec, readVersioned, type MetadataEnvelope, type MetadataRequest,
} from './metadata-messages.js';

/** Reads a request (the lab's gateway does); the zk-nym is parsed in full so that a malformed one is refused here. */
export function decodeMetadataRequest(e: MetadataEnvelope): MetadataRequest {
  const { type, body } = readVersioned(e, MAX_REQUEST_INNER_BYTES, 'request');
  return codec(() => {
    const r = new BincodeReader(body);
    let req: MetadataRequest;
    switch (type) {
      case 'available-bandwidth':
        req = { type };
        break;
      case 'top-up-bandwidth': {
        const kind = e.version === 'V1' ? 0 : r.variant(2, 'credential');
        // The credential is the last field at every layer, so it is what remains; parsing it checks it is one.
        req = kind === 0
          ? { type, credential: { kind: 'zk-nym', credentialBincode: parsedCredential(r.raw(r.remaining, 'credential').slice()) } }
          : { type, credential: { kind: 'upgrade-mode-jwt', token: r.string(MAX_TOKEN_BYTES, 'token') } };
        break;
      }
      case 'upgrade-mode-check':
        r.variant(1, 'request_type');
        req = { type, token: r.string(MAX_TOKEN_BYTES, 'token') };
        break;
    }
    r.end(`${type} request`);
    return req;
  });
}

function parsedCredential(bytes: Uint8Array): Uint8Array {
  try {
    credentialSpendingDataFromBincode(bytes);
  } catch (e) {
    if (e instanceof EcashError) throw new MetadataMessageError('format', `the credential is not a CredentialSpendingData: ${e.message}`);
    throw e;
  }
  return bytes;
}
