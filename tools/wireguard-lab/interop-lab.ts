// Two network namespaces joined by a veth: ours runs our device (wg-node.js, in a child process
// with a TUN) and theirs runs Debian's wireguard-go configured with `wg`. Everything is removed
// by destroy(), also when a test fails.
import { writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, type Netns } from '../lab/netns.js';
import { JsonLinesChild } from '../lab/process.js';
import { generatePrivateKey, keyToBase64, publicKeyFromPrivate } from '../../src/wireguard/keys.js';
import type { TimerConfig } from '../../src/wireguard/timers.js';

export const OUTER = { ours: '10.200.0.1', theirs: '10.200.0.2', ours6: 'fd10::1', theirs6: 'fd10::2' };
export const INNER = { ours: '10.201.0.1', theirs: '10.201.0.2', ours6: 'fd11::1', theirs6: 'fd11::2' };
export const OUR_PORT = 51821;
export const THEIR_PORT = 51820;

export interface InteropOptions {
  timers?: Partial<TimerConfig>;
  underLoad?: 'auto' | 'always' | 'never';
  bind?: 'dgram' | 'batch';
  crypto?: string;
  /** Persistent keepalive (s) configured on each side. */
  ourKeepalive?: number;
  theirKeepalive?: number;
  capture?: number;
  mtu?: number;
  /** Also run a second, plain wireguard-go pair (for the benchmark's reference path). */
  prefix?: string;
}

export interface Interop {
  lab: Lab;
  ours: Netns;
  theirs: Netns;
  child: JsonLinesChild;
  wgName: string;
  /** Our end of the veth (to add addresses, e.g. a second source for a flood). */
  ourVeth: string;
  ourPublicKey: string;
  theirPublicKey: string;
  wg(args: string[]): Promise<string>;
  destroy(): Promise<void>;
}

let counter = 0;
const wgNode = fileURLToPath(new URL('./wg-node.js', import.meta.url));

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function startInterop(opts: InteropOptions = {}): Promise<Interop> {
  const lab = await Lab.create({ prefix: opts.prefix ?? 'wgt' });
  const tmp = mkdtempSync(join(tmpdir(), 'wgt-'));
  try {
    const ours = await lab.namespace();
    const theirs = await lab.namespace();
    const veth = await lab.veth({ ns: ours, addresses: [`${OUTER.ours}/24`, `${OUTER.ours6}/64`] }, { ns: theirs, addresses: [`${OUTER.theirs}/24`, `${OUTER.theirs6}/64`] });
    const id = `${process.pid.toString(36)}${(counter++).toString(36)}`;
    const wgName = `wgo${id}`.slice(0, 15);
    const tunName = `nwt${id}`.slice(0, 15);
    const ourKey = generatePrivateKey();
    const theirKey = generatePrivateKey();
    const ourPublicKey = keyToBase64(publicKeyFromPrivate(ourKey));
    const theirPublicKey = keyToBase64(publicKeyFromPrivate(theirKey));
    const mtu = opts.mtu ?? 1420;

    // wireguard-go in the foreground; its control socket lives in /var/run/wireguard/<name>.sock.
    const wgo = theirs.spawn('wireguard-go', ['-f', wgName], { stdio: 'ignore', env: { ...process.env, LOG_LEVEL: 'error' } });
    wgo.on('error', () => {});
    await waitFor(async () => theirs.ip(['link', 'show', wgName]).then(() => true, () => false), 10_000, `${wgName} to appear`);
    const keyFile = join(tmp, 'theirs.key');
    writeFileSync(keyFile, `${keyToBase64(theirKey)}\n`, { mode: 0o600 });
    const wg = async (args: string[]): Promise<string> => (await theirs.exec('wg', args)).stdout;
    await wg(['set', wgName, 'private-key', keyFile, 'listen-port', String(THEIR_PORT), 'peer', ourPublicKey,
      'allowed-ips', `${INNER.ours}/32,${INNER.ours6}/128`, 'endpoint', `${OUTER.ours}:${OUR_PORT}`,
      ...(opts.theirKeepalive ? ['persistent-keepalive', String(opts.theirKeepalive)] : [])]);
    await theirs.ipBatch([
      `addr add ${INNER.theirs}/24 dev ${wgName}`,
      `addr add ${INNER.theirs6}/64 dev ${wgName} nodad`,
      `link set dev ${wgName} mtu ${mtu} up`,
    ]);

    const child = new JsonLinesChild(ours.spawn(process.execPath, ['--expose-gc', wgNode], { stdio: ['pipe', 'pipe', 'pipe'] }));
    await child.request({
      cmd: 'up', privateKey: keyToBase64(ourKey), listenPort: OUR_PORT, tun: tunName, mtu,
      addresses: [`${INNER.ours}/24`, `${INNER.ours6}/64`],
      peers: [{ publicKey: theirPublicKey, endpoint: `${OUTER.theirs}:${THEIR_PORT}`, allowedIps: [`${INNER.theirs}/32`, `${INNER.theirs6}/128`],
        persistentKeepalive: opts.ourKeepalive }],
      timers: opts.timers, underLoad: opts.underLoad, bind: opts.bind, crypto: opts.crypto, capture: opts.capture,
    }, 20_000);
    return {
      lab, ours, theirs, child, wgName, ourVeth: veth.a.name, ourPublicKey, theirPublicKey, wg,
      destroy: async () => {
        rmSync(tmp, { recursive: true, force: true });
        await lab.destroy();
      },
    };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    await lab.destroy();
    throw err;
  }
}

/** Runs tcp-stream.js recv in `rx` and send in `tx`; resolves with both ends' reports. */
export async function tcpTransfer(rx: Netns, tx: Netns, host: string, bytes: number, port = 5201): Promise<{ sent: Record<string, unknown>; received: Record<string, unknown> }> {
  const script = fileURLToPath(new URL('./tcp-stream.js', import.meta.url));
  const receiver = new JsonLinesChild(rx.spawn(process.execPath, [script, 'recv', String(port)]));
  await receiver.next((m) => m.listening !== undefined, 10_000);
  const sender = new JsonLinesChild(tx.spawn(process.execPath, [script, 'send', host, String(port), String(bytes)]));
  const [sent, received] = await Promise.all([
    sender.next((m) => m.bytes !== undefined || m.error !== undefined, 240_000),
    receiver.next((m) => m.bytes !== undefined, 240_000),
  ]);
  return { sent, received };
}
