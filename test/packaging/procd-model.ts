// Turns the procd_* calls recorded by shim/procd.sh into the `ubus call service …` messages that
// OpenWrt's procd.sh would have sent for them, following its rules (openwrt/openwrt
// package/system/procd/files/procd.sh): which params are arrays, tables, booleans or integers,
// instance names instance1, instance2 … when none is given, an empty `respawn` filled with
// 3600 5 5, reload triggers as config.change rules that run `/etc/init.d/NAME reload` after 1000 ms.
import { readFileSync, existsSync } from 'node:fs';

export interface ProcdCall { fn: string; args: string[] }

export type Json = string | number | boolean | Json[] | { [k: string]: Json };

export interface ServiceCall {
  /** set | add | delete | signal */
  method: string;
  msg: { [k: string]: Json };
}

const RELOAD_DELAY_MS = 1000;
const RESPAWN_DEFAULTS = ['3600', '5', '5'];

const ARRAY_PARAMS = new Set(['command', 'netdev', 'file', 'respawn', 'watch', 'watchdog']);
const TABLE_PARAMS = new Set(['env', 'data', 'limits']);
const BOOL_PARAMS = new Set(['stdout', 'stderr', 'no_new_privs']);
const INT_PARAMS = new Set(['nice', 'term_timeout']);
const STRING_PARAMS = new Set(['pidfile', 'user', 'group', 'seccomp', 'capabilities', 'facility', 'extroot',
  'overlaydir', 'tmpoverlaysize', 'vrf']);

export function readCalls(file: string): ProcdCall[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as ProcdCall);
}

function table(args: string[]): { [k: string]: Json } {
  const t: { [k: string]: Json } = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq < 0) t[a] = '';
    else t[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return t;
}

function setParam(inst: { [k: string]: Json }, type: string, values: string[], append: boolean): void {
  const old = inst[type];
  if (ARRAY_PARAMS.has(type)) inst[type] = append && Array.isArray(old) ? [...old, ...values] : [...values];
  else if (TABLE_PARAMS.has(type)) inst[type] = append && old && typeof old === 'object' && !Array.isArray(old) ? { ...old, ...table(values) } : table(values);
  else if (BOOL_PARAMS.has(type)) inst[type] = values[0] !== undefined && values[0] !== '0' && values[0] !== '';
  else if (INT_PARAMS.has(type)) inst[type] = Number.parseInt(values[0] ?? '0', 10);
  else if (STRING_PARAMS.has(type)) inst[type] = values[0] ?? '';
  // Anything else is ignored by procd.sh too.
}

function ifRule(event: string, key: string, value: string, script: string[]): Json {
  return [event, ['if', ['eq', key, value], ['run_script', ...script]], RELOAD_DELAY_MS];
}

/** The messages procd would have received, in order. */
export function serviceCalls(calls: ProcdCall[]): ServiceCall[] {
  const out: ServiceCall[] = [];
  let msg: { [k: string]: Json } | null = null;
  let instances: { [k: string]: Json } = {};
  let triggers: Json[] = [];
  let inst: { [k: string]: Json } | null = null;
  let instName = '';
  let seq = 0;
  for (const { fn, args } of calls) {
    switch (fn) {
      case 'procd_open_service':
        msg = { name: args[0] ?? '' };
        if (args[1]) msg.script = args[1];
        instances = {};
        triggers = [];
        seq = 0;
        break;
      case 'procd_open_instance':
        seq += 1;
        instName = args[0] || `instance${seq}`;
        inst = {};
        break;
      case 'procd_set_param':
      case 'procd_append_param':
        if (inst) setParam(inst, args[0] ?? '', args.slice(1), fn === 'procd_append_param');
        break;
      case 'procd_close_instance':
        if (inst) {
          if (Array.isArray(inst.respawn) && inst.respawn.length === 0) inst.respawn = [...RESPAWN_DEFAULTS];
          instances[instName] = inst;
        }
        inst = null;
        break;
      case 'procd_add_reload_trigger':
        for (const pkg of args) triggers.push(ifRule('config.change', 'package', pkg, [`/etc/init.d/${String(msg?.name ?? '')}`, 'reload']));
        break;
      case 'procd_add_config_trigger':
        triggers.push(ifRule(args[0] ?? '', 'package', args[1] ?? '', args.slice(2)));
        break;
      case 'procd_add_interface_trigger':
        triggers.push(ifRule(args[0] ?? '', 'interface', args[1] ?? '', args.slice(2)));
        break;
      case 'procd_close_service':
        if (msg) out.push({ method: args[0] || 'set', msg: { ...msg, instances, triggers } });
        msg = null;
        break;
      case 'procd_kill':
        out.push({ method: 'delete', msg: { name: args[0] ?? '', ...(args[1] ? { instance: args[1] } : {}) } });
        break;
      default:
        break;
    }
  }
  return out;
}
