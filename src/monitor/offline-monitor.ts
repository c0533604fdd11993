// The offline monitor: the router is offline when the main table has no default route (v4 nor v6).
// `ip monitor route` wakes it on every route change (no polling); a hotplug network_event can
// also ask for a check at once.

import { run, type CommandTarget } from '../routing/command.js';
import { spawnTethered, type Tethered } from '../system/tethered.js';

export async function hasDefaultRoute(target: CommandTarget = {}): Promise<boolean> {
  for (const fam of ['-4', '-6']) {
    const out = await run('ip', ['-j', fam, 'route', 'show', 'default', 'table', 'main'], target).catch(() => '[]');
    const routes = JSON.parse(out || '[]') as Array<{ type?: string }>;
    if (routes.some((r) => r.type === undefined || r.type === 'unicast')) return true;
  }
  return false;
}

export class OfflineMonitor {
  private watcher: Tethered | null = null;
  private online: boolean | null = null;
  private pending: NodeJS.Timeout | null = null;

  constructor(
    private readonly onChange: (online: boolean) => void,
    private readonly target: CommandTarget = {},
  ) {}

  get isOnline(): boolean | null {
    return this.online;
  }

  async start(): Promise<boolean> {
    this.online = await hasDefaultRoute(this.target);
    const argv = this.target.netns ? ['netns', 'exec', this.target.netns, 'ip', 'monitor', 'route'] : ['monitor', 'route'];
    // Tethered: a killed nym-vpnd leaves no `ip monitor` behind.
    this.watcher = spawnTethered('ip', argv);
    this.watcher.stdout.on('data', () => this.checkSoon());
    return this.online;
  }

  /** Re-checks after a short settle time (route changes come in bursts). */
  checkSoon(delayMs = 200): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = null;
      void this.check();
    }, delayMs);
  }

  async check(): Promise<boolean> {
    const now = await hasDefaultRoute(this.target);
    if (now !== this.online) {
      this.online = now;
      this.onChange(now);
    }
    return now;
  }

  stop(): void {
    if (this.pending) clearTimeout(this.pending);
    this.watcher?.stop();
    this.watcher = null;
  }
}
