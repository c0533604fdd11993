#!/usr/bin/env node
// nym-ubusd: the ubusd-compatible bus as a program. Same options as ubusd (-s SOCKET, -A ACL_DIR)
// plus long forms; SIGHUP rereads the ACL files, SIGTERM/SIGINT close the bus and remove the socket.

import { UbusBroker, DEFAULT_ACL_DIR, type BrokerOptions, type LogLevel } from './broker.js';
import { UBUS_DEFAULT_SOCKET } from '../../src/ubus/constants.js';

const USAGE = `Usage: nym-ubusd [options]
Options:
  -s, --socket PATH        unix socket to listen on (default: $UBUS_SOCKET or ${UBUS_DEFAULT_SOCKET})
  -A, --acl-dir DIR        folder of ACL files (default: ${DEFAULT_ACL_DIR})
      --queue-limit BYTES  unread bytes a client may leave before --on-queue-full applies (default 1048576)
      --on-queue-full P    drop-message (default, what ubusd does) | disconnect
  -v, --verbose            also log each connection's troubles at debug level
  -h, --help               this text
`;

function parseArgs(argv: string[]): { opts: BrokerOptions; verbose: boolean } {
  const opts: BrokerOptions = {};
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '-s': case '--socket': opts.socketPath = value(); break;
      case '-A': case '--acl-dir': opts.aclDir = value(); break;
      case '--queue-limit': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 4096) throw new Error('--queue-limit must be an integer ≥ 4096');
        opts.queueLimit = n;
        break;
      }
      case '--on-queue-full': {
        const p = value();
        if (p !== 'disconnect' && p !== 'drop-message') throw new Error('--on-queue-full is disconnect or drop-message');
        opts.onQueueFull = p;
        break;
      }
      case '-v': case '--verbose': verbose = true; break;
      case '-h': case '--help': process.stdout.write(USAGE); return process.exit(0);
      default: throw new Error(`unknown option ${a}`);
    }
  }
  return { opts, verbose };
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`nym-ubusd: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const { opts, verbose } = parsed;
  opts.log = (level: LogLevel, msg: string) => {
    if (level === 'debug' && !verbose) return;
    process.stderr.write(`nym-ubusd: ${level}: ${msg}\n`);
  };
  const broker = new UbusBroker(opts);
  try {
    await broker.start();
  } catch (e) {
    process.stderr.write(`nym-ubusd: cannot listen on ${broker.socketPath}: ${(e as Error).message}\n`);
    process.exit(1);
  }
  process.on('SIGPIPE', () => { /* a peer went away mid-write: handled per socket */ });
  process.on('SIGHUP', () => {
    const r = broker.reloadAcl();
    opts.log!('info', `ACL reloaded: ${r.loaded.length} file(s)${r.replaced ? '' : ' (no *.json found: rules kept)'}`);
  });
  let stopping = false;
  const shutdown = (sig: string) => {
    if (stopping) return;
    stopping = true;
    opts.log!('info', `${sig}: closing`);
    broker.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
