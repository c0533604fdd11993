#!/usr/bin/env node
// nym-vpnc: a thin CLI over the `nym-vpn` ubus object. Every command is one ubus call, so
// `nym-vpnc connect` does exactly what `ubus call nym-vpn connect` does.

import { join } from 'node:path';
import { NotTheDaemon, verifiedObjectId } from './attest.js';
import { attestKeyPath } from '../daemon/attestation.js';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { UbusClient, UbusError } from '../ubus/client.js';
import { Status, statusText } from '../ubus/constants.js';
import { loadSchema, type Schema } from '../ubus/schema.js';
import { toJsonText, type BlobmsgTable } from '../ubus/blobmsg.js';
import { COMMANDS, findCommand, type CliCommand } from './commands.js';
import { formatCountries, formatGateways, formatInfo, formatReload, formatAccount, formatStatus } from './format.js';
import { readMnemonic } from './secret-input.js';

const EX_USAGE = 64;
const schemaPath = fileURLToPath(new URL('../../../ubus-schema/nym-vpn.json', import.meta.url));

function usage(schema: Schema): string {
  const lines = ['Usage: nym-vpnc [--socket PATH] [--json] COMMAND [OPTIONS]', '', 'Commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(26)}${c.summary ?? schema.methods[c.method]?.description ?? ''}`);
  lines.push('', 'Global options:', '  --socket PATH             ubus socket (default $UBUS_SOCKET or /var/run/ubus/ubus.sock)',
    '  --root DIR                where nym-vpnd\'s files are (default /; its --root)',
    '  --json                    print the daemon\'s reply as JSON, unchanged', '  -h, --help                this help, or COMMAND --help',
    '', 'Exit status: 0 on success; otherwise the ubus status (2 invalid argument, 4 not found: is nym-vpnd running?,',
    '7 timeout, 8 not supported, 10 connection failed: is ubusd running?), 64 for a usage error.');
  return lines.join('\n');
}

function commandUsage(c: CliCommand, schema: Schema): string {
  const m = schema.methods[c.method]!;
  const lines = [`Usage: nym-vpnc ${c.name}${c.options.length ? ' [OPTIONS]' : ''}`, '', c.summary ?? m.description];
  if (c.options.length) lines.push('', 'Options:');
  for (const o of c.options) {
    const left = `--${o.flag}${o.kind === 'boolean' ? '' : ` ${o.valueName ?? 'VALUE'}`}`;
    const help = o.help ?? m.args[o.arg]?.description ?? '';
    lines.push(`  ${left.padEnd(34)}${help}${o.kind === 'list' ? ' (repeatable)' : ''}`);
  }
  lines.push('', `Calls: ubus call ${schema.object} ${c.method}`);
  return lines.join('\n');
}

class UsageError extends Error {}

function buildArgs(c: CliCommand, values: Record<string, unknown>): Record<string, unknown> {
  const args: Record<string, unknown> = { ...(c.fixed ?? {}) };
  for (const o of c.options) {
    const v = values[o.flag];
    if (v === undefined || o.arg === '') continue;
    if (o.kind === 'integer') {
      if (!/^-?\d+$/.test(String(v))) throw new UsageError(`--${o.flag} needs an integer, got '${String(v)}'`);
      args[o.arg] = Number(v);
    } else if (o.kind === 'boolean') {
      args[o.arg] = o.value ?? true;
    } else {
      args[o.arg] = v;
    }
  }
  return args;
}

function print(c: CliCommand, reply: BlobmsgTable | undefined, json: boolean): void {
  const r = reply ?? {};
  if (json) { process.stdout.write(toJsonText(r, '\t') + '\n'); return; }
  switch (c.output) {
    case 'status': process.stdout.write(formatStatus(r) + '\n'); break;
    case 'info': process.stdout.write(formatInfo(r) + '\n'); break;
    case 'gateways': process.stdout.write(formatGateways(r) + '\n'); break;
    case 'countries': process.stdout.write(formatCountries(r) + '\n'); break;
    case 'reload': process.stdout.write(formatReload(r) + '\n'); break;
    case 'account-id': process.stdout.write(r.id ? `${String(r.id)}\n` : 'no account stored\n'); break;
    case 'account-stored': process.stdout.write(r.stored ? 'true\n' : 'false\n'); break;
    case 'device-id': process.stdout.write(r.device_id ? `${String(r.device_id)}\n` : 'no device keys yet\n'); break;
    case 'account': process.stdout.write(formatAccount(r) + '\n'); break;
    case 'done': process.stdout.write('done\n'); break;
  }
}

async function run(argv: string[]): Promise<number> {
  const schema = loadSchema(schemaPath);
  const name = argv.find((a, i) => !a.startsWith('-') && argv[i - 1] !== '--socket' && argv[i - 1] !== '--root');
  const c = name ? findCommand(name) : undefined;
  if (name && !c) throw new UsageError(`unknown command '${name}' (nym-vpnc --help lists them)`);
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    socket: { type: 'string' },
    root: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const o of c?.options ?? []) options[o.flag] = { type: o.kind === 'boolean' ? 'boolean' : 'string', ...(o.kind === 'list' ? { multiple: true } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const { values, positionals } = parsed;
  if (values.help || !c) {
    process.stdout.write((c ? commandUsage(c, schema) : usage(schema)) + '\n');
    return c || values.help ? 0 : EX_USAGE;
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  const args = buildArgs(c, values as Record<string, unknown>);
  if (c.readsMnemonic) args.mnemonic = await readMnemonic(values['mnemonic-file'] as string | undefined);

  const client = await UbusClient.connect({ socket: values.socket as string | undefined, reconnect: Boolean(c.streams) });
  try {
    if (c.streams) return await stream(client, schema, Boolean(values.json));
    const wait = args.wait === true ? Number(args.timeout ?? 30) * 1000 + 5000 : undefined;
    let reply;
    if (c.readsMnemonic) {
      // A secret goes only to the object that proved it is nym-vpnd, by its id.
      const id = await verifiedObjectId(client, schema.object, attestKeyPath(join(values.root as string | undefined ?? '/', '/var/run/nym-vpn')));
      reply = (await client.invoke(id, c.method, args)).at(-1);
    } else {
      reply = await client.call(schema.object, c.method, args, wait);
    }
    print(c, reply, Boolean(values.json));
    return 0;
  } finally {
    if (!c.streams) client.close();
  }
}

/** listen-to-state-changes: the current status, then every `state` notification. */
async function stream(client: UbusClient, schema: Schema, json: boolean): Promise<number> {
  const show = (s: BlobmsgTable) => process.stdout.write((json ? toJsonText(s) : `${formatStatus(s)}\n`) + '\n');
  await client.subscribe(schema.object, (type, data) => { if (type === 'state') show(data); }, () => process.stderr.write('nym-vpnc: nym-vpnd went away; waiting for it to return\n'));
  const first = await client.call(schema.object, 'status');
  if (first) show(first);
  return new Promise((resolve) => {
    process.on('SIGINT', () => { client.close(); resolve(0); });
    process.on('SIGTERM', () => { client.close(); resolve(0); });
  });
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof NotTheDaemon) {
      process.stderr.write(`nym-vpnc: ${e.message}\n`);
      process.exit(Status.PERMISSION_DENIED);
    }
    if (e instanceof UsageError) {
      process.stderr.write(`nym-vpnc: ${e.message}\n`);
      process.exit(EX_USAGE);
    }
    if (e instanceof UbusError) {
      const detail = typeof e.data?.error === 'string' ? e.data.error : e.message;
      const hint = e.status === Status.NOT_FOUND ? ' (is nym-vpnd running?)' : '';
      process.stderr.write(`nym-vpnc: ${detail}${hint} [${e.statusName}: ${statusText(e.status)}]\n`);
      process.exit(e.status || 1);
    }
    process.stderr.write(`nym-vpnc: ${(e as Error)?.message ?? String(e)}\n`);
    process.exit(1);
  },
);
