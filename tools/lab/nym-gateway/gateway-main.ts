// A lab gateway's Nym side, as its own process in the gateway's namespace (beside wireguard-go): the gateway
// websocket for clients on <host>:9000, the mix port on <host>:1789 (forwarding to the other lab gateways), and
// the WireGuard authenticator as a Nym client living on the gateway, judging zk-nym tickets against the lab
// signers' master key and adding each registered peer to the namespace's wireguard-go with `wg set`; and the
// WireGuard private-metadata service (bandwidth query and top-up) on upstream's private address 10.1.0.1:51830,
// which registered peers reach through their tunnel; each peer starts with what its registration ticket bought.
//
// Reads JSON lines on stdin (LabNymGatewayCommand): `set-bandwidth` sets a peer's balance, as metering would.
//
//   node dist/tools/lab/nym-gateway/gateway-main.js --config FILE.json   (LabNymGatewayConfig)
//
// Prints JSON lines (LabNymGatewayEvent): one `ready` once both ports listen, then one `registered` per
// registration. SIGTERM/SIGINT close it. Never packaged.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { base58 } from '@scure/base';
import { credentialSpendingDataBincode, readCredentialSpendingData } from '../../../src/ecash/credential-spending-data.js';
import { verificationKeyFromBs58 } from '../../../src/ecash/verification-key.js';
import { decodeRequest } from '../../../src/authenticator/messages-v6.js';
import type { IpPair } from '../../../src/authenticator/ip-pair.js';
import { formatIp } from '../../../src/net/ip-address.js';
import { systemCommand } from '../../../src/system/command.js';
import { keyFromBase64, keyToBase64, publicKeyFromPrivate } from '../../../src/wireguard/keys.js';
import { LabGatewayTickets, zkNymClaimJudge } from '../ecash/gateway-ticket-check.js';
import type { LabVerificationKeyFile } from '../directory-server.js';
import { labClientSecrets, labIdentity, labNymAddress, labSecret, labSphinxSecret } from '../lab-keys.js';
import { LabAuthenticator, type LabAuthenticatorOptions } from './authenticator.js';
import { LabAuthenticatorService } from './authenticator-service.js';
import { LabNymGateway } from './gateway-server.js';
import { tunnelAllocator, type LabNymGatewayCommand, type LabNymGatewayConfig, type LabNymGatewayEvent } from './gateway-process-config.js';
import { createInterface } from 'node:readline';
import { GATEWAY_PRIVATE_IPV4, METADATA_PORT } from '../../../src/bandwidth/metadata-client.js';
import { TICKET_BANDWIDTH_BYTES } from '../../../src/zk-nym/ticket-type.js';
import { LabMetadataServer } from '../metadata-server.js';

const emit = (e: LabNymGatewayEvent) => process.stdout.write(`${JSON.stringify(e)}\n`);

/**
 * LabAuthenticator, telling the lab about reused registrations too: upstream answers an Initial for a key it
 * already has with Registered and adds nothing, which LabAuthenticator does without calling onRegistered.
 */
class ReportingAuthenticator extends LabAuthenticator {
  constructor(o: LabAuthenticatorOptions, private readonly onReused: (key: Uint8Array, ips: IpPair) => void) {
    super(o);
  }

  override handle(message: Uint8Array): Uint8Array | undefined {
    const seen = this.journal.length;
    const answer = super.handle(message);
    for (const line of this.journal.slice(seen)) {
      emit({ event: 'authenticator', line });
      if (line !== 'initial: already registered') continue;
      const req = decodeRequest(message, (r) => credentialSpendingDataBincode(readCredentialSpendingData(r)));
      if (req.data.type !== 'initial') continue;
      const known = this.registered.get(Buffer.from(req.data.pubKey).toString('hex'));
      if (known) this.onReused(req.data.pubKey, known.ips);
    }
    return answer;
  }
}

function readConfig(file: string): LabNymGatewayConfig {
  const c = JSON.parse(readFileSync(file, 'utf8')) as LabNymGatewayConfig;
  for (const k of ['label', 'id', 'host', 'wgInterface', 'wgKeyFile', 'verificationKeyFile'] as const) {
    if (typeof c[k] !== 'string') throw new TypeError(`${file}: ${k} must be a string`);
  }
  if (labIdentity(c.label) !== c.id) throw new TypeError(`${file}: id ${c.id} is not labIdentity(${c.label}): the lab cannot hold its private key`);
  return c;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } }, strict: true });
  if (values.config === undefined) throw new TypeError('usage: gateway-main --config FILE.json');
  const c = readConfig(values.config);
  const vkFile = JSON.parse(readFileSync(c.verificationKeyFile, 'utf8')) as LabVerificationKeyFile;
  const masterKey = verificationKeyFromBs58(vkFile.masterVerificationKey);
  const epoch = BigInt(vkFile.epochId);

  const gateway = new LabNymGateway({
    identityPrivate: labSecret(c.label), sphinxPrivate: labSphinxSecret(c.id),
    host: c.host, port: c.wsPort, mixAddress: { host: c.host, port: c.mixPort }, mixListener: true,
  });
  for (const p of c.peers) gateway.knowNode(p);
  const tickets = new LabGatewayTickets({ gatewayIdentity: gateway.identityKey, verificationKey: (e) => (e === epoch ? masterKey : undefined) });
  const wgPrivate = keyFromBase64(readFileSync(c.wgKeyFile, 'utf8').trim(), 'wireguard-go private key');

  // Synchronous on purpose: the authenticator answers Registered right after onRegistered returns, and the
  // client may send its WireGuard handshake as soon as it reads that answer, so the peer must exist first.
  // Setting the same peer with the same allowed IPs again changes nothing in wireguard-go (its session and
  // handshake state stay), so a reused registration sets it again: that also restores a peer lost when the
  // lab restarted this namespace's wireguard-go (which starts with no peer in this mode).
  const addPeer = (key: Uint8Array, ips: IpPair, reused: boolean) => {
    const ipv4 = formatIp(ips.ipv4);
    const ipv6 = formatIp(ips.ipv6);
    const b64 = keyToBase64(key);
    try {
      execFileSync(systemCommand('wg'), ['set', c.wgInterface, 'peer', b64, 'allowed-ips', `${ipv4}/32,${ipv6}/128`], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
    } catch (e) {
      emit({ event: 'wg-set-failed', key: b64, error: String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim() });
    }
    emit({ event: 'registered', key: b64, ipv4, ipv6, reused });
  };
  const authenticator = new ReportingAuthenticator({
    privateKey: wgPrivate,
    wgPort: c.wgPort,
    allocate: tunnelAllocator(c.ours),
    acceptClaim: zkNymClaimJudge(tickets),
    onRegistered: (key, ips) => addPeer(key, ips, false),
  }, (key, ips) => addPeer(key, ips, true));

  // The metadata service on the gateway's private address, as upstream's gateway runs it beside WireGuard.
  execFileSync(systemCommand('ip'), ['addr', 'replace', `${GATEWAY_PRIVATE_IPV4}/32`, 'dev', 'lo'], { stdio: 'ignore' });
  const metadata = new LabMetadataServer({
    host: GATEWAY_PRIVATE_IPV4, port: METADATA_PORT, gatewayIdentity: gateway.identityKey,
    verificationKey: (e) => (e === epoch ? masterKey : undefined),
    initialBandwidth: BigInt(TICKET_BANDWIDTH_BYTES['v1-wireguard-entry']),
  });
  await metadata.start();
  createInterface({ input: process.stdin }).on('line', (line) => {
    let cmd: LabNymGatewayCommand;
    try {
      cmd = JSON.parse(line) as LabNymGatewayCommand;
    } catch {
      return;
    }
    if (cmd.cmd === 'set-bandwidth') {
      metadata.setBandwidth(cmd.client, BigInt(cmd.bytes));
      emit({ event: 'bandwidth-set', client: cmd.client, bytes: cmd.bytes });
    }
  });

  const wsPort = await gateway.start();
  const service = new LabAuthenticatorService({ gateway, authenticator, ...labClientSecrets(c.id, 'authenticator') });
  if (service.address !== labNymAddress(c.id, 'authenticator')) throw new Error(`the authenticator's address ${service.address} is not the one the directory lists`);
  emit({
    event: 'ready', identity: base58.encode(gateway.identityKey), sphinxKey: base58.encode(gateway.sphinxKey!), wsPort, mixPort: gateway.mixAddress.port,
    authenticator: service.address, wgPublicKey: keyToBase64(publicKeyFromPrivate(wgPrivate)),
  });
  const stop = (): void => {
    void Promise.allSettled([gateway.close(), metadata.stop()]).finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`gateway-main: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(2);
  });
}
