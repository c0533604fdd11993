// The kill switch as the connection coordinator asks for it (src/daemon/connection-ports.ts FirewallPort:
// apply(step, entry?, own?), lift(), read()), built on Firewall: the coordinator names the step and the
// endpoints, the rest (setting, always-on, interfaces, DNS, IPv6 mode) comes from the daemon's config at
// each call. lift() is the owner's disconnect, so it lifts nothing while always-on is set. `standing` is what
// the daemon's marked TCP may always reach while not connected (the nym-vpn-api: directory and account).
import type { Endpoint } from '../net/endpoint.js';
import type { Firewall } from './firewall.js';
import type { AllowedEndpoint, FirewallState } from './types.js';

/** Everything in a FirewallState but the step and the endpoints: the daemon's config. */
export type FirewallBase = Omit<FirewallState, 'state' | 'endpoints'>;

export interface ConnectionFirewall {
  /** Rules for a step: the entry gateway's UDP endpoint, and other places the daemon's marked TCP may reach. */
  apply(step: 'connecting' | 'connected' | 'error', entry?: Endpoint, own?: readonly AllowedEndpoint[]): Promise<void>;
  lift(): Promise<void>;
  /** What the kernel holds: our blocking rules (kill switch, fail-closed rules or boot guard). */
  read(): Promise<{ active: boolean; bootGuard: boolean; problem?: string }>;
}

export function connectionFirewall(firewall: Firewall, base: () => FirewallBase, standing: () => Promise<readonly AllowedEndpoint[]> = async () => []): ConnectionFirewall {
  return {
    apply: async (step, entry, own = []) => {
      const always = step === 'connected' ? [] : await standing();
      const endpoints: AllowedEndpoint[] = entry === undefined ? [...own, ...always] : [{ address: entry.address, port: entry.port, family: entry.family }, ...own, ...always];
      await firewall.apply({ ...base(), state: step, endpoints });
    },
    lift: async () => {
      await firewall.apply({ ...base(), state: 'disconnected', endpoints: [...(await standing())] });
    },
    read: async () => {
      const s = await firewall.status();
      return { active: s.killSwitch || s.bootGuard, bootGuard: s.bootGuard, ...(s.persistProblem ? { problem: s.persistProblem } : {}) };
    },
  };
}
