// Interface address, MTU and up/down through iproute2 (`ip -batch -`, `ip -json`), run by src/system/command.ts (execFile,
// never a shell). We use iproute2 rather than speaking rtnetlink ourselves: it is on every OpenWrt and
// Debian machine, it is the reference for these messages, and these calls are rare (setup, teardown),
// so a process start per call costs nothing that matters.
import { commandRunner, type CommandError } from '../system/command.js';
import { isIP } from 'node:net';

export interface LinkTarget {
  /** Run in this network namespace (`ip -n NS`) instead of the current one. */
  netns?: string;
}

export interface LinkUpOptions extends LinkTarget {
  /** MTU to set, 68-65535. */
  mtu?: number;
  /** Addresses with prefix length, e.g. ['10.1.0.2/32', 'fd00::2/128']; IPv6 ones are added `nodad`. */
  addresses?: readonly string[];
  /** Prefixes routed through the link, e.g. ['10.9.0.0/24', 'fd00:9::/64'] (`route replace ... dev NAME`). */
  routes?: readonly string[];
}

export interface LinkInfo {
  name: string;
  mtu: number;
  /** IFF_UP is set. */
  up: boolean;
  /** 'UP', 'DOWN', 'UNKNOWN' (TUN devices report UNKNOWN while up) ... */
  operState: string;
  /** Addresses with prefix length, IPv4 first as `ip` lists them. */
  addresses: string[];
}

const NAME_RE = /^[A-Za-z0-9_.@-]{1,15}$/;

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME_RE.test(name) || name === '.' || name === '..') {
    throw new TypeError(`bad interface name: ${String(name)}`);
  }
}

function checkNetns(t: LinkTarget): string[] {
  if (t.netns === undefined) return [];
  if (typeof t.netns !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(t.netns)) throw new TypeError(`bad netns name: ${String(t.netns)}`);
  return ['-n', t.netns];
}

/** Checks "address/prefix" and tells its family. */
function checkPrefix(cidr: string): 4 | 6 {
  const m = typeof cidr === 'string' ? /^([^/\s]+)\/(\d{1,3})$/.exec(cidr) : null;
  const family = m ? isIP(m[1]!) : 0;
  if (m === null || family === 0 || +m[2]! > (family === 4 ? 32 : 128)) throw new TypeError(`bad address/prefix: ${String(cidr)}`);
  return family as 4 | 6;
}

/** Runs `ip [-n NS] ARGS` through the one command runner, writing input to its stdin when given. */
export async function ip(args: readonly string[], target: LinkTarget = {}, input?: string): Promise<string> {
  const argv = [...checkNetns(target), ...args];
  try {
    return (await runCommand('ip', argv, { timeoutMs: 10_000, ...(input === undefined ? {} : { input }) })).stdout;
  } catch (e) {
    const err = e as CommandError;
    throw new Error(`ip ${argv.join(' ')}: ${err.stderr?.trim() || err.message}`);
  }
}

const runCommand = commandRunner();

/** Sets MTU, adds addresses and routes, and brings the link up, in one `ip -batch` run. */
export async function setUp(name: string, opts: LinkUpOptions = {}): Promise<void> {
  checkName(name);
  const lines: string[] = [];
  if (opts.mtu !== undefined) {
    if (!Number.isInteger(opts.mtu) || opts.mtu < 68 || opts.mtu > 65535) throw new TypeError(`bad MTU: ${String(opts.mtu)}`);
    lines.push(`link set dev ${name} mtu ${opts.mtu}`);
  }
  for (const a of opts.addresses ?? []) {
    // `replace` makes setUp idempotent; nodad makes an IPv6 address usable at once.
    lines.push(checkPrefix(a) === 6 ? `addr replace ${a} dev ${name} nodad` : `addr replace ${a} dev ${name}`);
  }
  lines.push(`link set dev ${name} up`);
  for (const r of opts.routes ?? []) {
    checkPrefix(r);  // ip infers the family from the prefix
    lines.push(`route replace ${r} dev ${name}`);
  }
  await ip(['-batch', '-'], opts, lines.join('\n') + '\n');
}

/** Brings the link down (addresses stay). */
export async function setDown(name: string, target: LinkTarget = {}): Promise<void> {
  checkName(name);
  await ip(['link', 'set', 'dev', name, 'down'], target);
}

/** Deletes the link (for a TUN, closing its fd does the same). */
export async function deleteLink(name: string, target: LinkTarget = {}): Promise<void> {
  checkName(name);
  await ip(['link', 'del', 'dev', name], target);
}

export { deleteLink as delete };

/** Name, MTU, state and addresses of a link, from `ip -json addr show`. */
export async function getLink(name: string, target: LinkTarget = {}): Promise<LinkInfo> {
  checkName(name);
  const out = JSON.parse(await ip(['-json', 'addr', 'show', 'dev', name], target)) as Array<{
    ifname: string;
    mtu: number;
    flags: string[];
    operstate: string;
    addr_info?: Array<{ local: string; prefixlen: number }>;
  }>;
  const l = out[0];
  if (l === undefined) throw new Error(`no link ${name}`);
  return {
    name: l.ifname,
    mtu: l.mtu,
    up: l.flags.includes('UP'),
    operState: l.operstate,
    addresses: (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`),
  };
}
