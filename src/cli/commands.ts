// nym-vpnc's commands: upstream NymVPN's names, each mapped to exactly one method of the
// `nym-vpn` ubus object. Option help comes from ubus-schema/ (the argument's description).

export type OptionKind = 'string' | 'boolean' | 'list' | 'integer';

export interface CliOption {
  flag: string;
  /** The ubus argument it sets. */
  arg: string;
  kind: OptionKind;
  /** For a boolean flag that selects a mode: the value it sets (default true). */
  value?: unknown;
  /** Help when the schema has no description for `arg`. */
  help?: string;
  valueName?: string;
}

export interface CliCommand {
  name: string;
  method: string;
  /** Fixed arguments (e.g. role). */
  fixed?: Record<string, unknown>;
  options: CliOption[];
  summary?: string;
  /** How the reply is printed in text mode. */
  output: 'status' | 'info' | 'gateways' | 'countries' | 'account' | 'account-id' | 'device-id' | 'account-stored' | 'reload' | 'done';
  /** Reads the account mnemonic from stdin/a file instead of argv. */
  readsMnemonic?: boolean;
  /** Keeps running and prints every state change. */
  streams?: boolean;
}

const gatewayFilters = (): CliOption[] => [
  { flag: 'country', arg: 'country', kind: 'string', valueName: 'CC' },
  { flag: 'min-performance', arg: 'min_performance', kind: 'integer', valueName: 'PERCENT' },
];

export const COMMANDS: CliCommand[] = [
  {
    name: 'connect',
    method: 'connect',
    output: 'status',
    options: [
      { flag: 'entry-gateway-id', arg: 'entry_id', kind: 'string', valueName: 'ID' },
      { flag: 'entry-gateway-country', arg: 'entry_country', kind: 'string', valueName: 'CC' },
      { flag: 'entry-gateway-low-latency', arg: 'entry_low_latency', kind: 'boolean' },
      { flag: 'entry-gateway-random', arg: 'entry_random', kind: 'boolean' },
      { flag: 'exit-gateway-id', arg: 'exit_id', kind: 'string', valueName: 'ID' },
      { flag: 'exit-gateway-country', arg: 'exit_country', kind: 'string', valueName: 'CC' },
      { flag: 'exit-gateway-random', arg: 'exit_random', kind: 'boolean' },
      { flag: 'dns', arg: 'dns', kind: 'list', valueName: 'IP' },
      { flag: 'wait-until-connected', arg: 'wait', kind: 'boolean' },
      { flag: 'timeout', arg: 'timeout', kind: 'integer', valueName: 'SECONDS' },
    ],
  },
  { name: 'disconnect', method: 'disconnect', output: 'status', options: [] },
  { name: 'status', method: 'status', output: 'status', options: [] },
  { name: 'info', method: 'info', output: 'info', options: [] },
  { name: 'reload', method: 'reload', output: 'reload', options: [] },
  { name: 'list-entry-gateways', method: 'gateways', fixed: { role: 'entry' }, output: 'gateways', options: gatewayFilters(), summary: 'List the entry gateways' },
  { name: 'list-exit-gateways', method: 'gateways', fixed: { role: 'exit' }, output: 'gateways', options: gatewayFilters(), summary: 'List the exit gateways' },
  { name: 'list-entry-countries', method: 'countries', fixed: { role: 'entry' }, output: 'countries', options: [], summary: 'List the countries with entry gateways' },
  { name: 'list-exit-countries', method: 'countries', fixed: { role: 'exit' }, output: 'countries', options: [], summary: 'List the countries with exit gateways' },
  {
    name: 'store-account',
    method: 'account_set',
    output: 'account-id',
    readsMnemonic: true,
    summary: 'Store the account mnemonic, read from standard input or --mnemonic-file (never from the command line)',
    options: [{ flag: 'mnemonic-file', arg: '', kind: 'string', valueName: 'FILE', help: 'read the mnemonic from FILE' }],
  },
  { name: 'forget-account', method: 'account_forget', output: 'done', options: [], summary: 'Forget the stored account and device keys' },
  { name: 'get-account-id', method: 'account', output: 'account-id', options: [], summary: 'Show the stored account\'s id' },
  { name: 'get-account-state', method: 'account', output: 'account', options: [], summary: 'Show the account, this router\'s device, the subscription and tickets left' },
  { name: 'refresh-account-state', method: 'account_sync', output: 'account', options: [], summary: 'Sync the account with nym-vpn-api now' },
  { name: 'get-device-id', method: 'account', output: 'device-id', options: [], summary: 'Show this router\'s device identity key' },
  { name: 'is-account-stored', method: 'account', output: 'account-stored', options: [], summary: 'Say whether an account is stored' },
  { name: 'listen-to-state-changes', method: 'status', output: 'status', streams: true, options: [], summary: 'Print every state change until interrupted' },
];

export function findCommand(name: string): CliCommand | undefined {
  return COMMANDS.find((c) => c.name === name);
}
