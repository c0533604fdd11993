// The lab's side of one Nym gateway stand-in process (nym-gateway/gateway-main.ts) in a gateway namespace:
// writes its config, starts it with the namespace's spawn (so Lab.destroy() and the sweep of a crashed run's
// namespaces stop it like every other lab process), waits for its `ready` line, and keeps every registration
// it reports, in order. Never packaged.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayPlan } from './addresses.js';
import type { Netns } from './netns.js';
import { JsonLinesChild } from './process.js';
import { NYM_MIX_PORT, NYM_WS_PORT, type LabNymGatewayConfig, type LabNymGatewayEvent } from './nym-gateway/gateway-process-config.js';

export const GATEWAY_MAIN_JS = fileURLToPath(new URL('./nym-gateway/gateway-main.js', import.meta.url));

/** One registration the gateway's authenticator made (reused: the key had one already and got it back). */
export interface LabRegistration {
  /** The client's WireGuard public key, base64. */
  key: string;
  ipv4: string;
  ipv6: string;
  reused: boolean;
}

type Ready = Extract<LabNymGatewayEvent, { event: 'ready' }>;

export class NymGatewayProcess {
  private constructor(
    private readonly child: JsonLinesChild,
    /** What the process announced: identity and sphinx key (bs58), ws and mix ports, authenticator address, WireGuard key. */
    readonly ready: Ready,
    readonly configFile: string,
  ) {}

  /** Starts it for plan; `others`: every other lab gateway (their mix ports are where it may forward to). */
  static async start(ns: Netns, plan: GatewayPlan, others: readonly GatewayPlan[], wg: { name: string; keyFile: string },
    verificationKeyFile: string, workDir: string, timeoutMs = 30_000): Promise<NymGatewayProcess> {
    const config: LabNymGatewayConfig = {
      label: plan.label, id: plan.id, host: plan.ip, wsPort: NYM_WS_PORT, mixPort: NYM_MIX_PORT,
      peers: others.map((o) => ({ host: o.ip, port: NYM_MIX_PORT })),
      wgInterface: wg.name, wgKeyFile: wg.keyFile, wgPort: plan.port, ours: plan.ours, verificationKeyFile,
    };
    const configFile = join(workDir, `nym-gateway-${plan.label}.json`);
    writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
    const child = new JsonLinesChild(ns.spawn(process.execPath, [GATEWAY_MAIN_JS, '--config', configFile], { stdio: ['pipe', 'pipe', 'pipe'] }));
    const ready = await Promise.race([
      child.next<Ready>((m) => m?.event === 'ready', timeoutMs),
      child.exited(timeoutMs + 1_000).then((x) => {
        throw new Error(`nym gateway ${plan.label} exited at start (${x.code ?? x.signal}): ${child.stderr.trim()}`);
      }),
    ]);
    return new NymGatewayProcess(child, ready, configFile);
  }

  get wsPort(): number {
    return this.ready.wsPort;
  }

  get identity(): string {
    return this.ready.identity;
  }

  get authenticatorAddress(): string {
    return this.ready.authenticator;
  }

  /** Every registration so far, in order. */
  registrations(): LabRegistration[] {
    return this.child.messages.filter((m): m is Extract<LabNymGatewayEvent, { event: 'registered' }> => (m as LabNymGatewayEvent)?.event === 'registered')
      .map(({ key, ipv4, ipv6, reused }) => ({ key, ipv4, ipv6, reused }));
  }

  /** Every line the process printed (authenticator journal lines, `wg set` failures, …), for failure messages. */
  events(): readonly unknown[] {
    return this.child.messages;
  }

  /** Sets a peer's balance at the metadata service (its tunnel IPv4), as the gateway's metering would; resolves once done. */
  async setBandwidth(client: string, bytes: bigint): Promise<void> {
    this.child.send({ cmd: 'set-bandwidth', client, bytes: bytes.toString() });
    await this.child.next((m: LabNymGatewayEvent) => m?.event === 'bandwidth-set' && m.client === client && m.bytes === bytes.toString());
  }

  /** What it wrote to stderr. */
  get stderr(): string {
    return this.child.stderr;
  }

  /** Stops it (SIGTERM; it closes its ports); resolves once it exited. */
  async stop(): Promise<void> {
    if (this.child.child.exitCode !== null || this.child.child.signalCode !== null) return;
    this.child.child.kill('SIGTERM');
    await this.child.exited(5_000).catch(() => this.child.child.kill('SIGKILL'));
  }
}
