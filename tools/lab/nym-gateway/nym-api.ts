// The lab's nym-api: the few topology endpoints nym-client-wasm 1.4.1 reads before it connects to its gateway
// (the skimmed entry gateways, the active mixing nodes, the rewarded set), in the JSON shapes upstream's
// nym-api-requests derive (nymtech/nym nym-api/nym-api-requests/src/nym_nodes.rs SkimmedNode,
// PaginatedCachedNodesResponseV2, NodesResponseMetadata; models/mixnet.rs RewardedSetResponse; commit
// b4046a8969805642, the build the npm package names). The client asks with `output=bincode` and
// `Accept: application/bincode`, but decodes whatever Content-Type the answer names (http-api-client
// decode_raw_response), so JSON is enough here. Never packaged.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base58 } from '@scure/base';

export interface LabTopologyGateway {
  nodeId: number;
  identityKey: Uint8Array;
  sphinxKey: Uint8Array;
  host: string;
  wsPort: number;
  mixPort: number;
}

export interface LabNymApi {
  url: string;
  /** Every path asked for, in order (tests read it). */
  readonly requests: string[];
  close(): Promise<void>;
}

/** One SkimmedNode as nym-api serialises it (serde field names, bs58 keys, the role as its variant name). */
export function skimmedNode(g: LabTopologyGateway, layer?: 1 | 2 | 3): Record<string, unknown> {
  if (layer !== undefined) {
    return {
      node_id: g.nodeId,
      ed25519_identity_pubkey: base58.encode(g.identityKey),
      ip_addresses: [g.host],
      mix_port: g.mixPort,
      x25519_sphinx_pubkey: base58.encode(g.sphinxKey),
      role: { Mixnode: { layer } },
      supported_roles: { mixnode: true, entry: false, exit_nr: false, exit_ipr: false },
      entry: null,
      performance: '1',
    };
  }
  return {
    node_id: g.nodeId,
    ed25519_identity_pubkey: base58.encode(g.identityKey),
    ip_addresses: [g.host],
    mix_port: g.mixPort,
    x25519_sphinx_pubkey: base58.encode(g.sphinxKey),
    role: 'EntryGateway',
    supported_roles: { mixnode: false, entry: true, exit_nr: true, exit_ipr: true },
    entry: { hostname: null, ws_port: g.wsPort, wss_port: null },
    performance: '1',
  };
}

/**
 * `mixnodes`: one node per layer. The client refuses a topology without a node in every mixing layer
 * (client-core base_client start_topology_refresher → ensure_minimally_routable) even when it will not use
 * mix hops, so the lab names three; with mix hops disabled and reply SURBs without mix hops no packet is
 * ever addressed to them.
 */
export async function startLabNymApi(gateways: LabTopologyGateway[], mixnodes: LabTopologyGateway[] = [], host = '127.0.0.1', port = 0): Promise<LabNymApi> {
  const requests: string[] = [];
  const metadata = { status: null, absolute_epoch_id: 1, rotation_id: 0, refreshed_at: new Date().toISOString() };
  const page = (nodes: unknown[]) => ({ metadata, nodes: { pagination: { total: nodes.length, page: 0, size: nodes.length }, data: nodes } });
  const ids = gateways.map((g) => g.nodeId);
  const layer = (l: number) => mixnodes.filter((_, i) => (i % 3) + 1 === l).map((m) => m.nodeId);
  const routes: Record<string, () => unknown> = {
    '/v2/unstable/nym-nodes/skimmed/entry-gateways': () => page(gateways.map((g) => skimmedNode(g))),
    '/v2/unstable/nym-nodes/skimmed': () => page([...gateways.map((g) => skimmedNode(g)), ...mixnodes.map((m, i) => skimmedNode(m, ((i % 3) + 1) as 1 | 2 | 3))]),
    '/v2/unstable/nym-nodes/skimmed/mixnodes/active': () => page(mixnodes.map((m, i) => skimmedNode(m, ((i % 3) + 1) as 1 | 2 | 3))),
    // KeyRotationInfoResponse (models/mixnet.rs): the details flattened beside `progress`; epoch 1 with
    // 24-epoch rotations from epoch 0 is rotation 0. Durations are serde's {secs, nanos}.
    '/v1/epoch/key-rotation-info': () => ({
      key_rotation_state: { validity_epochs: 24, initial_epoch_id: 0 },
      current_absolute_epoch_id: 1,
      current_epoch_start: metadata.refreshed_at,
      epoch_duration: { secs: 3600, nanos: 0 },
      progress: { current_key_rotation_id: 0, current_rotation_starting_epoch: 0, current_rotation_ending_epoch: 23 },
    }),
    '/v1/nym-nodes/rewarded-set': () => ({ epoch_id: 1, entry_gateways: ids, exit_gateways: ids, layer1: layer(1), layer2: layer(2), layer3: layer(3), standby: [] }),
  };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://lab').pathname;
    requests.push(`${req.method} ${req.url}`);
    const route = routes[path];
    if (!route) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `no such lab nym-api route ${path}` }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(route()));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/`,
    requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
