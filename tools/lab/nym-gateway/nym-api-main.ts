// The lab's nym-api (nym-api.ts) as a process in the inet namespace, for the WASM mixnet client on the router:
// every lab gateway at its public address with upstream's ports (ws 9000, mix 1789), its identity and its
// sphinx key both derived from its id as the gateway stand-in derives them (lab-keys.ts), plus the three
// mixnodes the client insists on (nothing is ever sent to them: mix hops are disabled).
//
//   node dist/tools/lab/nym-gateway/nym-api-main.js --listen ADDR:PORT --gateway ID@IPV4 [--gateway …]
//
// Prints {"listening":"<url>"} once ready; SIGTERM/SIGINT stop it. Never packaged.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { base58 } from '@scure/base';
import { labSecret, labSphinxSecret } from '../lab-keys.js';
import { NYM_MIX_PORT, NYM_WS_PORT } from './gateway-process-config.js';
import { startLabNymApi, type LabTopologyGateway } from './nym-api.js';

/** Node ids as nym-api numbers them: gateways from 1 in the order given, the dummy mixnodes from 101. */
export function labTopology(gateways: readonly { id: string; host: string }[]): { gateways: LabTopologyGateway[]; mixnodes: LabTopologyGateway[] } {
  return {
    gateways: gateways.map((g, i) => ({
      nodeId: i + 1, identityKey: base58.decode(g.id), sphinxKey: x25519.getPublicKey(labSphinxSecret(g.id)), host: g.host, wsPort: NYM_WS_PORT, mixPort: NYM_MIX_PORT,
    })),
    mixnodes: [1, 2, 3].map((n) => ({
      nodeId: 100 + n, identityKey: ed25519.getPublicKey(labSecret(`mixnode ${n}`)), sphinxKey: x25519.getPublicKey(labSecret(`mixnode ${n} sphinx`)),
      host: '127.0.0.1', wsPort: 0, mixPort: NYM_MIX_PORT,
    })),
  };
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { listen: { type: 'string' }, gateway: { type: 'string', multiple: true } }, strict: true });
  const listen = /^([0-9.]+):(\d{1,5})$/.exec(values.listen ?? '');
  if (!listen) throw new TypeError('usage: nym-api-main --listen IPV4:PORT --gateway ID@IPV4 …');
  const gateways = (values.gateway ?? []).map((text) => {
    const m = /^([1-9A-HJ-NP-Za-km-z]+)@([0-9.]+)$/.exec(text);
    if (!m) throw new TypeError(`--gateway ${text}: expected ID@IPV4`);
    return { id: m[1]!, host: m[2]! };
  });
  const topology = labTopology(gateways);
  const api = await startLabNymApi(topology.gateways, topology.mixnodes, listen[1]!, Number(listen[2]));
  process.stdout.write(`${JSON.stringify({ listening: api.url, gateways: gateways.length })}\n`);
  const stop = (): void => {
    void api.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`nym-api-main: ${(error as Error).message}\n`);
    process.exit(2);
  });
}
