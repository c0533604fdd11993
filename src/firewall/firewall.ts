// What nym-vpnd calls: `firewall.apply(state)` on every tunnel state change and `firewall.lift()` to take
// everything away. Both are idempotent and run one at a time in call order. The rules live in the kernel,
// not in this process: if nym-vpnd dies, they stay (and fw4/fw3 put them back on reloads from the files
// this writes).
//
// Per backend:
//   fw4       tables inet nym / inet nym_boot loaded with nft; the runtime file is what fw4's include
//             (files/usr/share/nftables.d/ruleset-post/20-nym-vpn.nft) loads on every start and reload;
//             changes happen under fw4's lock so a concurrent reload cannot put back older rules.
//   nftables  the same tables without fw4 (a plain Linux, the Debian lab).
//   fw3       the same policy as iptables/ip6tables chains; the fw3 include script re-applies the files.
import { readIfExists, removeIfExists, writeFileAtomic } from '../fs/atomic-file.js';
import { NftApplier } from './apply-nft.js';
import { IptApplier } from './apply-ipt.js';
import { detectBackend, type Backend, type BackendChoice } from './backend.js';
import { commandRunner, isMissingCommand, type CommandRunner } from '../system/command.js';
import { BOOT_GUARD_CHAINS, renderIptBootGuard } from './ipt-boot-guard.js';
import { KILL_SWITCH_CHAINS, renderIptKillSwitch } from './ipt-kill-switch.js';
import type { Family } from './ipt-text.js';
import { withFileLock } from './lock.js';
import { renderBootGuard } from './nft-boot-guard.js';
import { renderKillSwitch, renderLifted } from './nft-kill-switch.js';
import { renderFailClosed } from './nft-fail-closed.js';
import { firewallPaths, type FirewallPaths } from './paths.js';
import { bootGuardSpec, killSwitchSpec, wantsBootGuard, wantsKillSwitch } from './spec.js';
import { checkFwmark } from './addresses.js';
import { IPT_CHAINS, NYM_FWMARK, type FirewallState, type KillSwitchSpec } from './types.js';

/**
 * The kill switch could not be put in place as asked. The kernel then holds the strictest rules that need
 * nothing from the config (failed closed) — unless `blocked` is false, when even that failed.
 */
export class FirewallFailedClosed extends Error {
  override name = 'FirewallFailedClosed';
  constructor(
    message: string,
    readonly blocked: boolean,
  ) {
    super(message);
  }
}

/** The interface name the fw3 fail-closed rules allow: none exists, so nothing is forwarded at all. */
const NO_TUNNEL = 'nym-failclosed';

export interface FirewallOptions {
  /** Prefix of every path (default '/'); the lab points it at a scratch tree. */
  root?: string;
  /** UCI firewall_backend: auto (default), fw4 or fw3. */
  backend?: BackendChoice;
  /** Run every command inside this network namespace. */
  netns?: string;
  /** Binaries; iptables-legacy and ip6tables-legacy work too (their -restore/-save names are derived). */
  nft?: string;
  iptables?: string;
  ip6tables?: string;
  /** Told about what is skipped rather than failed (no ip6tables, no flock). */
  log?: (message: string) => void;
}

export type FirewallAction = 'kill-switch' | 'lifted';

export interface FirewallStatus {
  backend: Backend;
  /** Our kill switch is in the kernel. */
  killSwitch: boolean;
  /** The boot guard is in the kernel. */
  bootGuard: boolean;
  /** The rules are in the kernel but could not be kept for a firewall restart (the runtime file failed). */
  persistProblem?: string;
  /** The boot guard will be loaded at the next boot (the owner's kill switch setting is on). */
  bootGuardEnabled: boolean;
}

type FwChain = 'FORWARD' | 'OUTPUT';
const KILL_SWITCH_JUMPS: Array<[FwChain, string]> = [['FORWARD', IPT_CHAINS.forward], ['OUTPUT', IPT_CHAINS.output]];
const BOOT_GUARD_JUMPS: Array<[FwChain, string]> = [['FORWARD', IPT_CHAINS.bootForward], ['OUTPUT', IPT_CHAINS.bootOutput]];

export class Firewall {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly nft: NftApplier;
  private readonly ipt: Record<Family, IptApplier>;
  private readonly missing = new Set<Family>();
  private readonly log: (message: string) => void;
  private persistProblem: string | undefined;

  private constructor(
    readonly backend: Backend,
    readonly paths: FirewallPaths,
    run: CommandRunner,
    opts: FirewallOptions,
  ) {
    this.nft = new NftApplier(run, opts.nft ?? 'nft');
    this.ipt = { 4: new IptApplier(run, opts.iptables ?? 'iptables'), 6: new IptApplier(run, opts.ip6tables ?? 'ip6tables') };
    this.log = opts.log ?? (() => {});
  }

  static async create(opts: FirewallOptions = {}): Promise<Firewall> {
    const paths = firewallPaths(opts.root ?? '/');
    return new Firewall(await detectBackend(paths, opts.backend ?? 'auto'), paths, commandRunner(opts.netns), opts);
  }

  /** Puts the kernel (and the files fw4/fw3 reload from) in the state's shape: kill switch or nothing. */
  apply(state: FirewallState): Promise<FirewallAction> {
    return this.serial(async () => {
      let action: FirewallAction = 'lifted';
      if (wantsKillSwitch(state)) {
        try {
          const spec = killSwitchSpec(state);
          await this.locked(() => (this.backend === 'fw3' ? this.loadIpt(spec) : this.loadNft(renderKillSwitch(spec))));
        } catch (e) {
          await this.failClosed(state, e as Error);
        }
        action = 'kill-switch';
      } else {
        await this.locked(() => this.unload());
      }
      await this.syncBootGuard(state);
      return action;
    });
  }

  /** Removes the kill switch and the boot guard from the kernel; a fw4/fw3 reload keeps them away. */
  lift(): Promise<void> {
    return this.serial(() => this.locked(() => this.unload()));
  }

  /** lift(), then every file this wrote (for package removal): the ruleset is as before we came. */
  uninstall(): Promise<void> {
    return this.serial(async () => {
      await this.locked(() => this.unload());
      const p = this.paths;
      for (const f of [p.runtimeNft, p.runtimeV4, p.runtimeV6, p.runtimeState, p.bootGuardNft, p.bootGuardV4, p.bootGuardV6]) await removeIfExists(f);
    });
  }

  async status(): Promise<FirewallStatus> {
    const bootGuardEnabled = (await readIfExists(this.backend === 'fw3' ? this.paths.bootGuardV4 : this.paths.bootGuardNft)) !== undefined;
    if (this.backend === 'fw3') {
      return {
        backend: this.backend,
        killSwitch: await this.ipt[4].jumpsTo('FORWARD', IPT_CHAINS.forward),
        bootGuard: await this.ipt[4].jumpsTo('FORWARD', IPT_CHAINS.bootForward),
        bootGuardEnabled,
        ...(this.persistProblem ? { persistProblem: this.persistProblem } : {}),
      };
    }
    const tables = await this.nft.inetTables();
    return { backend: this.backend, killSwitch: tables.includes('nym'), bootGuard: tables.includes('nym_boot'), bootGuardEnabled, ...(this.persistProblem ? { persistProblem: this.persistProblem } : {}) };
  }

  /**
   * The kernel first, from the text itself; then the runtime file fw4 reloads from. When that file cannot be
   * written (a full or read-only /var/run), the stale one goes, so that a reload cannot bring back older
   * rules; our table stays in the kernel through fw4 reloads (fw4 replaces only its own table).
   */
  private async loadNft(text: string): Promise<void> {
    await this.nft.checkText(text);
    try {
      await writeFileAtomic(this.paths.runtimeNft, text);
      this.persistProblem = undefined;
    } catch (e) {
      this.persistProblem = `${this.paths.runtimeNft} not written: ${(e as Error).message}`;
      this.log(`${this.persistProblem}; the rules are loaded, but a firewall restart would not bring them back`);
      await removeIfExists(this.paths.runtimeNft).catch(() => {});
    }
    await this.nft.loadText(text);
  }

  /** The kill switch failed: block everything the config is not needed for, and say so. */
  private async failClosed(state: FirewallState, cause: Error): Promise<never> {
    let mark = NYM_FWMARK;
    try {
      mark = checkFwmark('fwmark', state.fwmark ?? NYM_FWMARK);
    } catch {
      // the default mark: the daemon's sockets use it
    }
    // A kill switch already in the kernel (the previous step's) blocks as well as anything could: it stays.
    const held = await this.status().then((st) => st.killSwitch, () => false);
    if (held) throw new FirewallFailedClosed(`${cause.message} (the previous kill switch stays in place)`, true);
    try {
      await this.locked(async () => {
        if (this.backend !== 'fw3') {
          await this.loadNft(renderFailClosed(mark));
          return;
        }
        const g = { tunnel: NO_TUNNEL, fwmark: mark };
        await this.eachFamily(async (ipt, family) => {
          await ipt.restore(renderIptBootGuard(g, family));
          for (const [chain, target] of BOOT_GUARD_JUMPS) await ipt.ensureFirstJump(chain, target);
        });
      });
    } catch (e) {
      throw new FirewallFailedClosed(`${cause.message}; blocking everything instead failed too: ${(e as Error).message}`, false);
    }
    throw new FirewallFailedClosed(`${cause.message} (failed closed: nothing but the daemon's own traffic leaves the router)`, true);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }

  /** Under fw4's or fw3's own lock, so that a reload running now finishes before or starts after us. */
  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    if (this.backend === 'nftables') return fn();
    return withFileLock(this.backend === 'fw4' ? this.paths.fw4Lock : this.paths.fw3Lock, fn);
  }

  private async unload(): Promise<void> {
    if (this.backend !== 'fw3') {
      await this.loadNft(renderLifted());
      return;
    }
    await removeIfExists(this.paths.runtimeV4);
    await removeIfExists(this.paths.runtimeV6);
    // Without the state file the include script loads nothing, which is what 'lifted' says too.
    await writeFileAtomic(this.paths.runtimeState, 'lifted\n').catch(async () => {
      await removeIfExists(this.paths.runtimeState).catch(() => {});
    });
    await this.eachFamily(async (ipt) => {
      for (const [chain, target] of [...KILL_SWITCH_JUMPS, ...BOOT_GUARD_JUMPS]) await ipt.removeJumps(chain, target);
      for (const chain of [...KILL_SWITCH_CHAINS, ...BOOT_GUARD_CHAINS]) await ipt.deleteChain(chain);
    });
  }

  private async loadIpt(spec: KillSwitchSpec): Promise<void> {
    await this.eachFamily((ipt, family) => ipt.test(renderIptKillSwitch(spec, family)));
    // Files first: a fw3 reload from now on re-applies the new rules, not the old ones. When they cannot be
    // written (full or read-only /var/run), the stale ones go and the kernel still gets the rules.
    try {
      await this.eachFamily((_ipt, family) => writeFileAtomic(family === 4 ? this.paths.runtimeV4 : this.paths.runtimeV6, renderIptKillSwitch(spec, family)));
      await writeFileAtomic(this.paths.runtimeState, 'kill-switch\n');
      this.persistProblem = undefined;
    } catch (e) {
      this.persistProblem = `${this.paths.runtimeDir} not written: ${(e as Error).message}`;
      this.log(`${this.persistProblem}; the rules are loaded, but a firewall restart would not bring them back`);
      for (const f of [this.paths.runtimeV4, this.paths.runtimeV6, this.paths.runtimeState]) await removeIfExists(f).catch(() => {});
    }
    await this.eachFamily(async (ipt, family) => {
      await ipt.restore(renderIptKillSwitch(spec, family));
      for (const [chain, target] of KILL_SWITCH_JUMPS) await ipt.ensureFirstJump(chain, target);
      for (const [chain, target] of BOOT_GUARD_JUMPS) await ipt.removeJumps(chain, target);
      for (const chain of BOOT_GUARD_CHAINS) await ipt.deleteChain(chain);
    });
  }

  /** Runs fn for IPv4 and IPv6; a system without ip6tables (IPv6 built out) is skipped, and said so once. */
  private async eachFamily(fn: (ipt: IptApplier, family: Family) => Promise<void>): Promise<void> {
    for (const family of [4, 6] as const) {
      if (this.missing.has(family)) continue;
      try {
        await fn(this.ipt[family], family);
      } catch (e) {
        if (family !== 6 || !isMissingCommand(e)) throw e;
        this.missing.add(6);
        this.log(`${this.ipt[6].bin} is not installed: no IPv6 rules (IPv6 is not available to leak)`);
      }
    }
  }

  /** The boot guard files follow the owner's setting; written only when their content changes (flash). */
  private async syncBootGuard(state: FirewallState): Promise<void> {
    const p = this.paths;
    if (!wantsBootGuard(state)) {
      for (const f of [p.bootGuardNft, p.bootGuardV4, p.bootGuardV6]) await removeIfExists(f);
      return;
    }
    let g;
    try {
      g = bootGuardSpec(state);
    } catch (e) {
      // A name the boot guard cannot carry: the files made from the last good one stay as they are.
      this.log(`boot guard files kept as they were: ${(e as Error).message}`);
      return;
    }
    const files: Array<[string, string, ((tmp: string) => Promise<void>) | undefined]> = [
      [p.bootGuardNft, renderBootGuard(g), this.backend === 'fw3' ? undefined : (tmp) => this.nft.check(tmp)],
      [p.bootGuardV4, renderIptBootGuard(g, 4), this.iptCheck(4, renderIptBootGuard(g, 4))],
      [p.bootGuardV6, renderIptBootGuard(g, 6), this.iptCheck(6, renderIptBootGuard(g, 6))],
    ];
    for (const [file, text, check] of files) {
      if ((await readIfExists(file)) === text) continue;
      // In /etc/nym-vpn, which also holds secrets: a folder we create there is private.
      await writeFileAtomic(file, text, { dirMode: 0o700, ...(check ? { check } : {}) });
    }
  }

  /** On fw3, iptables-restore --test before a boot guard file is written; elsewhere no check (no iptables needed). */
  private iptCheck(family: Family, text: string): (() => Promise<void>) | undefined {
    if (this.backend !== 'fw3') return undefined;
    return () => this.eachFamily((ipt, f) => (f === family ? ipt.test(text) : Promise.resolve()));
  }
}
