// Test stand-in for OpenWrt's `ubus` CLI (openwrt/ubus cli.c), enough of it for our shell scripts:
// `ubus [-s SOCKET] [-t SECONDS] [-S] list [PATH]` and `... call PATH METHOD [JSON]`, on a real bus
// (nym-ubusd) through our client. Exit codes as the real one: 0, the ubus status of a failed call
// (4 not found, 7 timeout, ...), 255 when the bus is unreachable or the JSON does not parse.
//
// Every run appends {argv, socket} and then {exit, reply?} as JSON lines to $NYM_SHIM_UBUS_LOG, so a
// test sees exactly which calls a script made. With $NYM_SHIM_REAL_UBUS (the upstream binary) the
// command is handed to it instead, after the same logging.
// The socket is -s, else $NYM_SHIM_UBUS_SOCKET (the real CLI has only its built-in default).
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { UbusClient, UbusError } from '../../../src/ubus/client.js';
import { Status, statusText } from '../../../src/ubus/constants.js';
import { toJsonText, type BlobmsgValue } from '../../../src/ubus/blobmsg.js';

const EXIT_FAILED = 255; // the real CLI's `return -1`
const EXIT_USAGE = 254; // `return -2`

function log(entry: Record<string, unknown>): void {
  const file = process.env.NYM_SHIM_UBUS_LOG;
  if (file) appendFileSync(file, JSON.stringify(entry, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n');
}

interface Options { socket: string; timeoutSec: number; simple: boolean; rest: string[] }

function parseOptions(argv: string[]): Options | null {
  const o: Options = { socket: process.env.NYM_SHIM_UBUS_SOCKET ?? '/var/run/ubus/ubus.sock', timeoutSec: 30, simple: false, rest: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { i++; break; }
    if (!a.startsWith('-') || a === '-') break;
    if (a === '-S') o.simple = true;
    else if (a === '-v') { /* verbose list: not needed here */ }
    else if (a === '-s' || a === '-t') {
      const v = argv[++i];
      if (v === undefined) return null;
      if (a === '-s') o.socket = v;
      else o.timeoutSec = Number.parseInt(v, 10) || 0; // atoi()
    } else return null;
  }
  o.rest = argv.slice(i);
  return o;
}

async function run(o: Options): Promise<{ code: number; reply?: BlobmsgValue }> {
  const [cmd, ...args] = o.rest;
  let client: UbusClient;
  try {
    client = await UbusClient.connect({ socket: o.socket, reconnect: false, timeoutMs: o.timeoutSec * 1000 });
  } catch {
    if (!o.simple) process.stderr.write('Failed to connect to ubus\n');
    return { code: EXIT_FAILED };
  }
  try {
    if (cmd === 'list' && args.length <= 1) {
      const found = await client.lookup(args[0]);
      if (args[0] !== undefined && found.length === 0) return fail(Status.NOT_FOUND, o);
      for (const obj of found) process.stdout.write(obj.path + '\n');
      return { code: 0 };
    }
    if (cmd === 'call' && (args.length === 2 || args.length === 3)) {
      let msg: Record<string, unknown> = {};
      if (args.length === 3) {
        try {
          const parsed: unknown = JSON.parse(args[2]!);
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
          msg = parsed as Record<string, unknown>;
        } catch {
          if (!o.simple) process.stderr.write('Failed to parse message data\n');
          return { code: EXIT_FAILED };
        }
      }
      const reply = await client.call(args[0]!, args[1]!, msg, o.timeoutSec * 1000);
      if (reply !== undefined) process.stdout.write(toJsonText(reply, o.simple ? '' : '\t') + '\n');
      return reply === undefined ? { code: 0 } : { code: 0, reply };
    }
    process.stderr.write('Usage: ubus [<options>] <command> [arguments...]\n');
    return { code: EXIT_USAGE };
  } catch (e) {
    if (e instanceof UbusError) return fail(e.status, o);
    throw e;
  } finally {
    client.close();
  }
}

function fail(status: number, o: Options): { code: number } {
  if (!o.simple) process.stderr.write(`Command failed: ${statusText(status)}\n`);
  return { code: status };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o = parseOptions(argv);
  log({ argv, socket: o?.socket ?? null });
  if (o === null || o.rest.length === 0) {
    process.stderr.write('Usage: ubus [<options>] <command> [arguments...]\n');
    log({ exit: 1 });
    process.exit(1);
  }
  const real = process.env.NYM_SHIM_REAL_UBUS;
  if (real) {
    const r = spawnSync(real, ['-s', o.socket, '-t', String(o.timeoutSec), ...(o.simple ? ['-S'] : []), ...o.rest], { stdio: 'inherit' });
    const code = r.status ?? 1;
    log({ exit: code, real: true });
    process.exit(code);
  }
  const r = await run(o);
  log(r.reply === undefined ? { exit: r.code } : { exit: r.code, reply: r.reply });
  process.exit(r.code);
}

void main();
