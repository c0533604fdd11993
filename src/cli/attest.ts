// Before a secret leaves the CLI: is the `nym-vpn` object on the bus really nym-vpnd? (see
// src/daemon/attestation.ts). Returns the object id the secret must be sent to.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { UbusClient } from '../ubus/client.js';
import { attestationProof, proofMatches } from '../daemon/attestation.js';

export class NotTheDaemon extends Error {
  override name = 'NotTheDaemon';
}

export async function verifiedObjectId(client: UbusClient, object: string, keyFile: string): Promise<number> {
  let key: Buffer;
  try {
    const text = (await readFile(keyFile, 'utf8')).trim();
    if (!/^[0-9a-f]{64}$/.test(text)) throw new Error('not a key');
    key = Buffer.from(text, 'hex');
  } catch (e) {
    throw new NotTheDaemon(`cannot check that ${object} is nym-vpnd (${keyFile}: ${(e as Error).message}; run as root, with nym-vpnd running): the secret was not sent`);
  }
  const id = await client.lookupId(object);
  const nonce = randomBytes(32).toString('hex');
  const [reply] = await client.invoke(id, 'attest', { nonce }, 10_000).catch((e: Error) => {
    throw new NotTheDaemon(`${object} did not prove it is nym-vpnd (${e.message}): the secret was not sent`);
  });
  if (!proofMatches(attestationProof(key, nonce, id), reply?.proof)) {
    throw new NotTheDaemon(`the ${object} object on the bus is not nym-vpnd (its proof is wrong): the secret was not sent`);
  }
  return id;
}
