// The bandwidth loop joined to the connection's monitor: for a route registered over Nym, the gateway
// meters us and the BandwidthMonitor keeps it paid (src/bandwidth/bandwidth-monitor.ts); its end — bandwidth
// that nothing can pay for, a metadata service gone silent — ends the tunnel like the connection monitor's.
//
// Which gateways are asked: the exit's metadata service answers at its private address inside the tunnel, and
// the daemon's own unmarked sockets go through nym0 once connected, so a plain socket reaches it. The entry's
// answers at the same private address inside the entry hop only, which no socket of ours can reach (the entry
// hop carries the exit hop's datagrams, not our TCP): it is not asked. It was paid at registration; when its
// balance runs out it drops our peer, the connection monitor sees the handshakes stop, and the reconnect
// registers again with a new ticket.
import { BandwidthMonitor } from '../bandwidth/bandwidth-monitor.js';
import { MetadataClient } from '../bandwidth/metadata-client.js';
import type { TicketType } from '../zk-nym/ticket-type.js';
import type { Clock, MonitorFactory, TunnelHandle } from './connection-ports.js';
import type { Logger } from './log.js';

export interface BandwidthWiring {
  spend(type: TicketType, gatewayId: string): Promise<Uint8Array>;
  clock: Clock;
  log: Logger;
  /** Where the exit's metadata service is (tests; default upstream's 10.1.0.1:51830). */
  metadata?: { host: string; port: number };
}

export function withBandwidth<T extends TunnelHandle>(inner: MonitorFactory<T>, w: BandwidthWiring): MonitorFactory<T> {
  return {
    create(tunnel, route, config) {
      const handle = inner.create(tunnel, route, config);
      if (!route.exit.metered) return handle;
      const running = new AbortController();
      const monitor = new BandwidthMonitor({
        hops: { exit: { gatewayId: route.exit.gateway.id, metadata: new MetadataClient({ ...(w.metadata ?? {}), signal: running.signal }) } },
        spend: w.spend,
        sleep: (ms, signal) => w.clock.sleep(ms, signal),
        now: () => w.clock.wall(),
        trafficBytes: () => { const s = tunnel.stats(); return s.rxBytes + s.txBytes; },
        log: { info: (m) => w.log.info(m), warn: (m) => w.log.warn(m) },
      });
      return {
        initialCheck: () => handle.initialCheck(),
        start(onDead, onBlackHole) {
          let told = false;
          const once: typeof onDead = (reason, fatal) => { if (!told) { told = true; onDead(reason, fatal); } };
          handle.start(once, onBlackHole);
          void monitor.run(running.signal).then((end) => {
            if (!end) return;
            once(end.message, end.kind === 'exhausted' ? 'BandwidthExceeded' : undefined);
          }, (e: Error) => w.log.error(`bandwidth: the loop failed: ${e.message}`));
        },
        stop() {
          running.abort();
          handle.stop();
        },
        bandwidth: () => monitor.view,
      };
    },
  };
}
