// The kill switch as src/daemon/connection.ts asks for it (its FirewallPort: apply(step, entryEndpoint?)
// and lift()), built on Firewall.apply: the connection names the step and the entry endpoint, the rest
// (setting, always-on, interfaces, DNS, IPv6 mode) comes from the daemon's config at each call.
// lift() is the owner's disconnect, so it lifts nothing while always-on is set.
import type { Firewall } from './firewall.js';
import { FirewallConfigError, type AllowedEndpoint, type FirewallState } from './types.js';

/** Everything in a FirewallState but the step and the endpoints: the daemon's config. */
export type FirewallBase = Omit<FirewallState, 'state' | 'endpoints'>;

/** "203.0.113.10:51820" or "[2001:db8::1]:51820" → an allowed UDP endpoint (the address is checked later). */
export function parseEndpoint(text: string): AllowedEndpoint {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:\[\]]+):(\d{1,5})$/.exec(text);
  if (m === null) throw new FirewallConfigError('entryEndpoint', text, 'not address:port or [IPv6]:port');
  return { address: m[1]!, port: Number(m[2]) };
}

export interface ConnectionFirewall {
  /**
   * Rules for a step. `entryEndpoint` is the entry gateway's "ip:port" (UDP); `extra` are other places
   * the daemon's marked sockets may reach while connecting (the directory API, latency probes; TCP).
   */
  apply(step: 'connecting' | 'connected' | 'error', entryEndpoint?: string, extra?: readonly AllowedEndpoint[]): Promise<void>;
  lift(): Promise<void>;
}

export function connectionFirewall(firewall: Firewall, base: () => FirewallBase): ConnectionFirewall {
  return {
    apply: async (step, entryEndpoint, extra = []) => {
      const endpoints = entryEndpoint === undefined ? [...extra] : [parseEndpoint(entryEndpoint), ...extra];
      await firewall.apply({ ...base(), state: step, endpoints });
    },
    lift: async () => {
      await firewall.apply({ ...base(), state: 'disconnected', endpoints: [] });
    },
  };
}
