// The bandwidth loop joined to the connection's monitor: for a route registered over Nym, the gateways
// meter us and the BandwidthMonitor keeps them paid (src/bandwidth/bandwidth-monitor.ts); its end — bandwidth
// that nothing can pay for, a metadata service gone silent — ends the tunnel like the connection monitor's.
//
// How each metadata service (at 10.1.0.1:51830 inside its gateway's hop) is reached: the exit's through the
// tunnel by a kernel socket (the daemon's unmarked sockets go through nym0 once connected); the entry's only
// inside the entry hop, which carries nothing else the kernel could use, so through the userspace TCP client
// (src/net/tcp-stream.ts) whose packets the entry hop alone encrypts and whose answers it hands back.
import { BandwidthMonitor } from '../bandwidth/bandwidth-monitor.js';
import { MetadataClient } from '../bandwidth/metadata-client.js';
import type { Hop } from '../bandwidth/bandwidth-policy.js';
import type { GatewayMetadata } from '../bandwidth/bandwidth-monitor.js';
import type { Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import { parseIp } from '../net/ip-address.js';
import { tcpStream, type TcpStream } from '../net/tcp-stream.js';
import { tcpDestinationPort } from '../net/tcp-client.js';
import type { TicketType } from '../zk-nym/ticket-type.js';
import type { Clock, MonitorFactory, TunnelHandle } from './connection-ports.js';
import type { Logger } from './log.js';

export interface BandwidthWiring {
  spend(type: TicketType, gatewayId: string): Promise<Uint8Array>;
  clock: Clock;
  log: Logger;
}

export function withBandwidth<T extends TunnelHandle>(inner: MonitorFactory<T>, w: BandwidthWiring): MonitorFactory<T> {
  return {
    create(tunnel, route, config) {
      const handle = inner.create(tunnel, route, config);
      if (!route.exit.metered && !route.entry.metered) return handle;
      const running = new AbortController();
      const hops: Partial<Record<Hop, { gatewayId: string; metadata: GatewayMetadata }>> = {};
      let stopEntryPath = () => {};
      const inside = tunnel.insideEntry;
      if (route.entry.metered && inside) {
        const path = entryPathSockets(route.entry.hop.ipv4, inside);
        stopEntryPath = path.stop;
        hops.entry = { gatewayId: route.entry.gateway.id, metadata: new MetadataClient({ connect: path.connect, signal: running.signal }) };
      }
      if (route.exit.metered) hops.exit = { gatewayId: route.exit.gateway.id, metadata: new MetadataClient({ signal: running.signal }) };
      const monitor = new BandwidthMonitor({
        hops,
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
          stopEntryPath();
          handle.stop();
        },
        bandwidth: () => monitor.view,
      };
    },
  };
}

/**
 * TCP connections inside the entry hop, from our address on it: each a userspace TCP stream whose packets the
 * entry hop encrypts, fed with what the entry gateway sends us. Ports are ephemeral and unique among the open ones.
 */
function entryPathSockets(ourIpv4: string, inside: NonNullable<TunnelHandle['insideEntry']>): { connect: (host: string, port: number) => Socket; stop(): void } {
  const streams = new Map<number, TcpStream>();
  // Each packet to the stream of its destination port; anything else is not ours to read.
  const stopListening = inside.listen((p) => {
    const port = tcpDestinationPort(p);
    if (port !== undefined) streams.get(port)?.receive(p);
  });
  const local = parseIp(ourIpv4);
  return {
    connect(host, port) {
      let localPort = randomInt(49152, 65536);
      while (streams.has(localPort)) localPort = randomInt(49152, 65536);
      const stream = tcpStream({ local: { addr: local, port: localPort }, remote: { addr: parseIp(host), port }, send: (packets) => inside.send(packets) });
      streams.set(localPort, stream);
      void stream.finished.finally(() => streams.delete(localPort));
      return stream.socket as unknown as Socket;
    },
    stop() {
      stopListening();
      for (const s of streams.values()) s.socket.destroy();
      streams.clear();
    },
  };
}
