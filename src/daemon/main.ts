#!/usr/bin/env node
// nym-vpnd: the NymVPN daemon. Registers the ubus object `nym-vpn`, reads /etc/config/nym-vpn,
// runs under procd (stdout/stderr to syslog).

import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { UbusClient } from '../ubus/client.js';
import { loadSchema } from '../ubus/schema.js';
import { Logger, type LogLevel } from './log.js';
import { resolvePaths } from './paths.js';
import { NymVpnService } from './service.js';
import { publishState, registerObject } from './ubus-object.js';
import { defaultNymVpnConfig, readConfig } from './settings.js';
import { OfflineMonitor } from '../monitor/offline-monitor.js';
import { startCpuProfile } from './cpu-profile.js';
import { createDaemonFirewall } from './firewall.js';
import { Attestation } from './attestation.js';
import { join } from 'node:path';
import { loadNative } from '../native/native.js';
import { trimAfterWorkers } from './worker-memory.js';
import { trimPeriodically } from './heap-trim.js';
import { programPagesReleaser, type ProgramPagesReleaser } from './program-pages.js';
import { removeStaleTemps } from '../fs/atomic-file.js';
import { firewallPaths } from '../firewall/paths.js';
import { dnsmasqDns, icmpMonitors, runDirIntent, stateDirKeys, systemClock, systemRouting, twoHopTunnels, type RunningTunnel } from './connection-wiring.js';

const USAGE = `Usage: nym-vpnd [--socket PATH] [--root DIR] [--log-level error|warn|info|debug]

  --socket PATH   ubus socket (default $UBUS_SOCKET or /var/run/ubus/ubus.sock)
  --root DIR      prefix for every path the daemon uses (UCI dir, state dir, run dir, ...)
  --log-level L   overrides the config's log_level`;

/** glibc's own default threshold, kept fixed (see pinMmapThreshold). */
const MMAP_THRESHOLD_BYTES = 128 * 1024;

export const schemaPath = fileURLToPath(new URL('../../../ubus-schema/nym-vpn.json', import.meta.url));

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        socket: { type: 'string' },
        root: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`nym-vpnd: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(64);
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const level = values['log-level'];
  if (level !== undefined && !['error', 'warn', 'info', 'debug'].includes(level)) {
    process.stderr.write(`nym-vpnd: --log-level must be error, warn, info or debug\n`);
    process.exit(64);
  }
  const stopProfile = await startCpuProfile(process.env.NYM_VPND_CPU_PROFILE);
  const paths = resolvePaths(values.root ?? '/', values.socket);
  const log = new Logger((level as LogLevel | undefined) ?? 'info');
  const schema = loadSchema(schemaPath);
  let programPages: ProgramPagesReleaser | undefined;
  // Each tunnel's large buffers go back to the system when it closes (glibc; musl always does): otherwise
  // the heap grew with every reconnect. See src/native/addon/malloc-policy.c. A missing addon is reported
  // where a tunnel needs it.
  try {
    const native = loadNative();
    native.pinMmapThreshold(MMAP_THRESHOLD_BYTES);
    // And what a worker thread (zk-nym) freed goes back when it ends (worker-memory.ts), what the main thread
    // and V8's compiler freed every 10 s (heap-trim.ts). (An addon from an older build, named by
    // NYM_VPN_NATIVE, may not have trimMalloc or releaseProgramPages.)
    if (typeof native.trimMalloc === 'function') {
      trimAfterWorkers(() => native.trimMalloc());
      trimPeriodically(() => native.trimMalloc());
    }
    // Node's startup, each connection change and each zk-nym job (a worker thread running upstream's WASM)
    // run code once; its pages go back once they are done (program-pages.ts).
    if (typeof native.releaseProgramPages === 'function') {
      const pages = programPagesReleaser(() => native.releaseProgramPages());
      trimAfterWorkers(() => pages.settled());
      programPages = pages;
    }
  } catch { /* no addon: nothing allocates large buffers either */ }

  let config = defaultNymVpnConfig();
  let configError: string | undefined;
  let configSource: 'file' | 'defaults' = 'defaults';
  try {
    const loaded = await readConfig(paths, 'start');
    config = loaded.config;
    configSource = loaded.source;
    for (const w of loaded.warnings) log.warn(`config: ${w.message}`);
  } catch (e) {
    configError = (e as Error).message;
    log.error(`config not usable, starting with the defaults: ${configError}`);
  }
  if (level === undefined) log.level = config.main.logLevel;
  // A bug somewhere must not take the router's VPN down with it: procd would respawn us five times and
  // then give up with the LAN cut. Log it; the connection coordinator keeps its state consistent.
  process.on('unhandledRejection', (reason) => {
    log.error(`bug: unhandled rejection: ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}`);
  });
  // An interrupted write (crash, power cut) leaves a temp file beside its target: they go before anything runs.
  const fwPaths = firewallPaths(paths.root);
  let stale = 0;
  for (const dir of [paths.stateDir, join(paths.stateDir, 'directory-cache'), paths.runDir, paths.resolvConfDir, fwPaths.runtimeDir, fwPaths.bootGuardDir]) stale += await removeStaleTemps(dir);
  if (stale > 0) log.info(`removed ${stale} temp files that interrupted writes left`);
  const client = await UbusClient.connect({ socket: paths.socket });
  const lookupNetwork = async (name: string): Promise<string | undefined> => {
    const st = await client.call(`network.interface.${name}`, 'status', {}, 2000);
    return typeof st?.l3_device === 'string' ? st.l3_device : typeof st?.device === 'string' ? st.device : undefined;
  };
  // The firewall reads the live config through the service, which needs the firewall first.
  let service: NymVpnService<RunningTunnel> | undefined;
  const fw = await createDaemonFirewall(paths, () => service?.currentConfig ?? config, lookupNetwork, log);
  service = new NymVpnService<RunningTunnel>({
    log, config, configError, configSource, readConfig: () => readConfig(paths, 'reload'), logLevelForced: level !== undefined, paths,
    ports: {
      clock: systemClock,
      firewall: fw.port,
      keys: stateDirKeys(paths.stateDir),
      tunnels: twoHopTunnels,
      routing: systemRouting(lookupNetwork, log),
      dns: dnsmasqDns(paths),
      monitors: icmpMonitors,
      intent: runDirIntent(paths.runDir, log),
    },
    onReloaded: () => fw.refreshSources(),
    checkConfig: (c) => fw.check(c),
  });
  const svc = service;
  const autoconnect = config.main.enabled && config.main.autoconnect && configError === undefined;
  const resume = await svc.connection.start(autoconnect);
  const offline = new OfflineMonitor((online) => void svc.connection.setOnline(online));
  svc.checkOnline = () => offline.check();
  await offline.start();

  const attestation = await Attestation.create(paths.runDir);
  const obj = await registerObject(client, schema, svc.handlers(), log);
  svc.attestation = { proof: (n, id) => attestation.proof(n, id), objectId: () => obj.id };
  // One status at a time, in the order of the changes.
  let publishing: Promise<void> = Promise.resolve();
  svc.onStateChange((s) => {
    if (s.state === 'connected' || s.state === 'disconnected' || s.state === 'error') programPages?.settled();
    publishing = publishing.then(async () => publishState(client, obj, await svc.status(), log)).catch((e: Error) => log.warn(`state not published: ${e.message}`));
  });
  client.on('disconnect', () => log.warn('lost the ubus connection; reconnecting'));
  client.on('reconnect', () => log.info('ubus connection back; nym-vpn registered again'));
  client.on('register-failed', (e: Error) => log.warn(`nym-vpn not registered again (${e.message}): another client holds the name; trying again as soon as it is free`));
  log.info(`nym-vpnd ${svc.info().version} on ${paths.socket}, object ${schema.object} registered`);

  if (resume) {
    void svc.autoconnect(resume);
  } else if (autoconnect) {
    log.info('autoconnect: connecting with the gateways chosen in UCI');
    void svc.autoconnect();
  }

  // Started: what only starting needed (V8's snapshot, node's bootstrap, the module loader) can go.
  programPages?.now();

  // The account is synced with nym-vpn-api at start and every few minutes, as upstream's controller does.
  const accountSyncing = new AbortController();
  void svc.accountSync.keepSynced(systemClock.sleep, accountSyncing.signal).catch((e: Error) => log.warn(`account sync stopped: ${e.message}`));

  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${sig}: shutting down`);
    offline.stop();
    accountSyncing.abort();
    programPages?.stop();
    // Routes, DNS and the tunnel go; the kill switch stays while a connection is wanted (procd restarts
    // us on upgrades and the next daemon takes over), otherwise it is lifted as on disconnect.
    await svc.connection.shutdown().catch((e: Error) => log.error(`teardown: ${e.message}`));
    await stopProfile?.();
    client.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => void svc.reload());
}

main().catch((e: Error) => {
  process.stderr.write(`nym-vpnd: ${e.message}\n`);
  process.exit(1);
});
