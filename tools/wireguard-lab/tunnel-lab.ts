// A single WireGuard hop between two namespaces, each end either our device (wg-node.js with a TUN)
// or wireguard-go: the benchmark compares ours↔ours with wireguard-go↔wireguard-go on the same path.
import { writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, type Netns } from '../lab/netns.js';
import { JsonLinesChild } from '../lab/process.js';
import { generatePrivateKey, keyToBase64, publicKeyFromPrivate } from '../../src/wireguard/keys.js';

export type Impl = 'ours' | 'wireguard-go';

export interface TunnelEnd {
  ns: Netns;
  impl: Impl;
  inner: string;
  child: JsonLinesChild | null;
}

export interface Tunnel {
  lab: Lab;
  a: TunnelEnd;
  b: TunnelEnd;
  destroy(): Promise<void>;
}

let counter = 0;
const wgNode = fileURLToPath(new URL('./wg-node.js', import.meta.url));

export interface TunnelOptions {
  bind?: 'dgram' | 'batch';
  crypto?: string;
  mtu?: number;
  /** Extra node flags for our processes (e.g. --cpu-prof). */
  nodeFlags?: string[];
  cwd?: string;
}

export async function startTunnel(implA: Impl, implB: Impl, opts: TunnelOptions = {}): Promise<Tunnel> {
  const lab = await Lab.create({ prefix: 'wgb' });
  const tmp = mkdtempSync(join(tmpdir(), 'wgb-'));
  const mtu = opts.mtu ?? 1420;
  try {
    const nsA = await lab.namespace();
    const nsB = await lab.namespace();
    await lab.veth({ ns: nsA, addresses: ['10.210.0.1/24'] }, { ns: nsB, addresses: ['10.210.0.2/24'] });
    const keys = [generatePrivateKey(), generatePrivateKey()];
    const pubs = keys.map((k) => keyToBase64(publicKeyFromPrivate(k)));
    const sides = [
      { ns: nsA, impl: implA, outer: '10.210.0.1', inner: '10.211.0.1' },
      { ns: nsB, impl: implB, outer: '10.210.0.2', inner: '10.211.0.2' },
    ];
    const ends: TunnelEnd[] = [];
    for (let i = 0; i < 2; i++) {
      const me = sides[i]!;
      const other = sides[1 - i]!;
      const name = `wgb${process.pid.toString(36)}${(counter++).toString(36)}`.slice(0, 15);
      if (me.impl === 'wireguard-go') {
        me.ns.spawn('wireguard-go', ['-f', name], { stdio: 'ignore' }).on('error', () => {});
        for (let w = 0; w < 200; w++) {
          if (await me.ns.ip(['link', 'show', name]).then(() => true, () => false)) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        const keyFile = join(tmp, `${name}.key`);
        writeFileSync(keyFile, `${keyToBase64(keys[i]!)}\n`, { mode: 0o600 });
        await me.ns.exec('wg', ['set', name, 'private-key', keyFile, 'listen-port', '51820', 'peer', pubs[1 - i]!,
          'allowed-ips', `${other.inner}/32`, 'endpoint', `${other.outer}:51820`]);
        await me.ns.ipBatch([`addr add ${me.inner}/24 dev ${name}`, `link set dev ${name} mtu ${mtu} up`]);
        ends.push({ ns: me.ns, impl: me.impl, inner: me.inner, child: null });
      } else {
        const child = new JsonLinesChild(me.ns.spawn(process.execPath, [...(opts.nodeFlags ?? []), '--expose-gc', wgNode],
          { stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd }));
        await child.request({
          cmd: 'up', privateKey: keyToBase64(keys[i]!), listenPort: 51820, tun: name, mtu, addresses: [`${me.inner}/24`],
          peers: [{ publicKey: pubs[1 - i]!, endpoint: `${other.outer}:51820`, allowedIps: [`${other.inner}/32`] }],
          bind: opts.bind ?? 'batch', crypto: opts.crypto,
        }, 20_000);
        ends.push({ ns: me.ns, impl: me.impl, inner: me.inner, child });
      }
    }
    return {
      lab, a: ends[0]!, b: ends[1]!,
      destroy: async () => {
        for (const e of ends) {
          if (e.child === null) continue;
          await e.child.request({ cmd: 'down' }, 5000).catch(() => {});
          await e.child.exited(10_000).catch(() => {}); // lets --cpu-prof write its profile
        }
        rmSync(tmp, { recursive: true, force: true });
        await lab.destroy(3000);
      },
    };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    await lab.destroy();
    throw err;
  }
}

/** iperf3 from a to b through the tunnel; returns receiver-side bits per second. */
export async function iperf(t: Tunnel, seconds = 5, extra: string[] = []): Promise<number> {
  const server = t.b.ns.spawn('iperf3', ['-s', '-1', '-B', t.b.inner]);
  server.on('error', () => {});
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 0; i < 5 && !(await t.a.ns.ping(t.b.inner, 2)); i++);
  const r = await t.a.ns.exec('iperf3', ['-c', t.b.inner, '-t', String(seconds), '-J', ...extra], { timeoutMs: (seconds + 30) * 1000 });
  const json = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
  return json.end.sum_received.bits_per_second;
}
