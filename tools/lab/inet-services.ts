// The services of "the internet": in `inet` the web server (http-echo), an iperf3 server, the lab's DNS
// resolver and the directory server (and in the mixnet registration mode the lab nym-api); in `isp` the ISP's resolver, which answers the test zone
// differently so that a DNS leak shows in the answer itself (and in its query log).
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LabGateway } from './directory-server.js';
import { ADDR, LAB_ACCOUNT_ADDRESS, DIRECTORY_BASE_PATH, DIRECTORY_PORT, HTTP_PORT, IPERF_PORT, NYM_API_PORT, NYM_API_URL, TEST_ZONE, WELL_KNOWN, type GatewayPlan } from './addresses.js';
import { Dnsmasq } from './dnsmasq.js';
import type { Netns } from './netns.js';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
export const HTTP_ECHO_JS = here('./http-echo.js');
export const DIRECTORY_SERVER_JS = here('./directory-server.js');
export const NYM_API_JS = here('./nym-gateway/nym-api-main.js');

/** The lab's gateways as the directory server's --gateways file describes them. */
export function directoryGateways(plans: readonly GatewayPlan[]): LabGateway[] {
  return plans.map((g) => ({ id: g.id, name: g.name, country: g.country, role: g.role, ip: [g.ip, g.ip6], performance: g.performance }));
}

/** The inet resolver's records: the test zone points at inet's web server; whoami.<zone> names the resolver. */
export function resolverConfig(listen: readonly string[], answer: { v4: string; v6: string }, whoami: string): string[] {
  return [
    'no-resolv',
    'no-hosts',
    'bind-interfaces',
    ...listen.map((a) => `listen-address=${a}`),
    `address=/${TEST_ZONE}/${answer.v4}`,
    `address=/${TEST_ZONE}/${answer.v6}`,
    `txt-record=whoami.${TEST_ZONE},${whoami}`,
  ];
}

async function waitLine(child: ChildProcess, what: string, timeoutMs = 15_000): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not ready within ${timeoutMs} ms: ${stderr.trim()}`)), timeoutMs);
    createInterface({ input: child.stdout! }).once('line', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}): ${stderr.trim()}`));
    });
  });
}

/** Polls until a TCP socket listens on port inside ns. */
async function waitListening(ns: Netns, port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`port ${port}: server exited (${child.exitCode ?? child.signalCode})`);
    if ((await ns.exec('ss', ['-Hltn', `sport = :${port}`])).stdout.trim() !== '') return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface InetServices {
  web: ChildProcess;
  iperf: ChildProcess;
  resolver: Dnsmasq;
  /** undefined when tools/lab/directory-server.ts is not built yet (see directoryMissing). */
  directory: ChildProcess | undefined;
  /** Why there is no directory server, if there is none. */
  directoryMissing: string | undefined;
  directoryFile: string;
  /** The lab nym-api (mixnet registration mode only). */
  nymApi: ChildProcess | undefined;
  nymApiUrl: string | undefined;
  /** The lab signers' master verification key, written by the directory server (mixnet registration mode only). */
  verificationKeyFile: string | undefined;
}

export interface InetServicesOptions {
  /**
   * The mixnet registration mode: the directory server also writes its signers' master verification key
   * (for the gateway stand-ins) and the lab nym-api lists the gateways.
   */
  mixnet?: boolean;
}

/** Starts inet's services in parallel; inet must already have its addresses. */
export async function startInetServices(inet: Netns, plans: readonly GatewayPlan[], workDir: string, log: (m: string) => void,
  opts: InetServicesOptions = {}): Promise<InetServices> {
  const web = inet.spawn(process.execPath, [HTTP_ECHO_JS, '--listen', `${ADDR.inetWeb.v4}:${HTTP_PORT}`, '--listen', `[${ADDR.inetWeb.v6}]:${HTTP_PORT}`],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  // iperf3 listens on [::]:5201, which takes IPv4 too; --forceflush keeps its log useful while it runs.
  const iperf = inet.spawn('iperf3', ['-s', '--forceflush', '--logfile', join(workDir, 'iperf3.log')], { stdio: 'ignore' });
  const resolver = new Dnsmasq(inet, {
    config: resolverConfig([ADDR.inetDns.v4, ADDR.inetDns.v6, ...WELL_KNOWN.dns], ADDR.inetWeb, 'inet'),
    confFile: join(workDir, 'inet-dnsmasq.conf'),
    pidFile: join(workDir, 'inet-dnsmasq.pid'),
    logFile: join(workDir, 'inet-dnsmasq.log'),
  });
  const directoryFile = join(workDir, 'directory-gateways.json');
  writeFileSync(directoryFile, `${JSON.stringify(directoryGateways(plans), null, 2)}\n`);
  const accountsFile = join(workDir, 'vpn-api-accounts.json');
  writeFileSync(accountsFile, `${JSON.stringify([{ address: LAB_ACCOUNT_ADDRESS, subscription_active: true, max_devices: 5 }])}\n`);
  let directory: ChildProcess | undefined;
  let directoryMissing: string | undefined;
  const waits: Promise<void>[] = [waitLine(web, 'http-echo'), resolver.start(), waitListening(inet, IPERF_PORT, iperf)];
  const verificationKeyFile = opts.mixnet ? join(workDir, 'lab-signers-verification-key.json') : undefined;
  let nymApi: ChildProcess | undefined;
  if (opts.mixnet) {
    nymApi = inet.spawn(process.execPath, [NYM_API_JS, '--listen', `${ADDR.inetDirectory.v4}:${NYM_API_PORT}`, ...plans.flatMap((g) => ['--gateway', `${g.id}@${g.ip}`])],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    waits.push(waitLine(nymApi, 'nym-api'));
  }
  // HOOK (directory server): tools/lab/directory-server.ts is another engineer's; started when built.
  if (existsSync(DIRECTORY_SERVER_JS)) {
    directory = inet.spawn(process.execPath, [DIRECTORY_SERVER_JS, '--listen', `${ADDR.inetDirectory.v4}:${DIRECTORY_PORT}`, '--gateways', directoryFile,
      '--base-path', DIRECTORY_BASE_PATH, '--accounts', accountsFile, '--signers', '2/3',
      ...(verificationKeyFile ? ['--verification-key-out', verificationKeyFile] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    waits.push(waitLine(directory, 'directory-server'));
  } else {
    if (opts.mixnet) throw new Error(`the mixnet registration mode needs the directory server (its signers): ${DIRECTORY_SERVER_JS} is not built`);
    directoryMissing = `${DIRECTORY_SERVER_JS} is not built yet; the gateways it would serve are in ${directoryFile}`;
    log(`directory server: not started (${directoryMissing})`);
  }
  await Promise.all(waits);
  return { web, iperf, resolver, directory, directoryMissing, directoryFile, nymApi, nymApiUrl: nymApi ? NYM_API_URL : undefined, verificationKeyFile };
}

/** The ISP's resolver at 198.51.100.1 / 2001:db8:100::1 (what the router's WAN "DHCP" hands out). */
export async function startIspResolver(isp: Netns, workDir: string): Promise<Dnsmasq> {
  const resolver = new Dnsmasq(isp, {
    config: resolverConfig([ADDR.ispWan.v4, ADDR.ispWan.v6], ADDR.ispDnsAnswer, 'isp'),
    confFile: join(workDir, 'isp-dnsmasq.conf'),
    pidFile: join(workDir, 'isp-dnsmasq.pid'),
    logFile: join(workDir, 'isp-dnsmasq.log'),
  });
  await resolver.start();
  return resolver;
}
