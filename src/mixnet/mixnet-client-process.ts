// The child process that runs upstream's mixnet client (@nymproject/nym-client-wasm 1.4.1, nymtech/nym
// wasm/client, built from commit b4046a8969805642) for one registration, then ends with it. A process, not a
// worker thread: a terminated worker left the daemon ~85 MB bigger for good (V8 and malloc keep what the WASM
// heap and the client used; measured by bench/connect.bench.ts), while a process gives all of it back when it
// exits. Configured as upstream's two-hop registration wants its mixnet client (no cover traffic, no Poisson
// delays, no mix hops, replies without mix hops, the gateway pinned to the chosen entry). Talks to the daemon
// over the IPC channel (advanced serialisation: bytes stay bytes); the config comes as the first message.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { installBrowserGlobals } from './browser-globals.js';
import type { FromWorker, MixnetWorkerConfig, ToWorker } from './worker-protocol.js';

if (typeof process.send !== 'function') throw new Error('mixnet-client-process.js runs only as a child process with an IPC channel');
const post = (m: FromWorker) => { process.send!(m); };

interface WasmClient {
  selfAddress(): string;
  send_anonymous_message(message: Uint8Array, recipient: string, replySurbs: number): Promise<unknown>;
  free(): void;
}

async function main(config: MixnetWorkerConfig): Promise<void> {
  installBrowserGlobals(config.mark, config.pinnedHosts);
  const require = createRequire(import.meta.url);
  const jsPath = require.resolve('@nymproject/nym-client-wasm');
  // A "web" target build: its default export fetches the .wasm by URL; initSync takes the bytes instead.
  const w = await import(jsPath);
  w.initSync({ module: readFileSync(jsPath.replace(/nym_client_wasm\.js$/, 'nym_client_wasm_bg.wasm')) });

  // DebugWasm getters return copies: read, change, write back. `disable_mix_hops` is only reachable this way
  // (the JS override object leaves it false: common/wasm/client-core/src/config/override.rs).
  const debug = w.no_cover_debug();
  const traffic = debug.traffic;
  traffic.disable_mix_hops = true;
  traffic.disable_main_poisson_packet_distribution = true;
  debug.traffic = traffic;
  const surbs = debug.reply_surbs;
  surbs.surb_mix_hops = 0;
  debug.reply_surbs = surbs;
  const stats = debug.stats_reporting;
  stats.enabled = false;
  debug.stats_reporting = stats;

  const clientConfig = new w.ClientConfig({ id: 'nym-vpn-registration', nymApi: config.nymApiUrl, debug });
  const onMessage = (message: unknown) => {
    if (!(message instanceof Uint8Array)) return;
    post({ kind: 'received', message: message.slice() });
  };
  let client: WasmClient;
  try {
    client = await w.NymClient.newWithConfig(clientConfig, onMessage, { preferredGateway: config.gateway, forceTls: false });
  } catch (e) {
    post({ kind: 'failed', message: e instanceof Error ? e.message : String(e) });
    return;
  }
  post({ kind: 'ready', address: client.selfAddress() });
  process.on('message', (m: ToWorker) => {
    if (m.kind === 'stop') {
      client.free();
      process.exit(0);
    }
    if (m.kind === 'send') {
      client.send_anonymous_message(m.message, m.recipient, m.replySurbs ?? config.replySurbs).then(
        () => post({ kind: 'sent', id: m.id }),
        (e: unknown) => post({ kind: 'send-failed', id: m.id, message: e instanceof Error ? e.message : String(e) }),
      );
    }
  });
}

// The parent's end of the channel closing means the daemon is gone: nothing of the client may outlive it.
process.on('disconnect', () => process.exit(0));
process.once('message', (config: MixnetWorkerConfig) => {
  main(config).catch((e: unknown) => post({ kind: 'failed', message: e instanceof Error ? e.message : String(e) }));
});
