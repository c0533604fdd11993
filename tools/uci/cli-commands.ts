// The `uci` command line for show, export and get, answering like openwrt/uci's cli.c:
// same standard output, same messages on standard error, same exit codes. Strings here are
// latin1 (one code unit per byte), so that any byte in a config comes out unchanged.

import { openSync, closeSync } from 'node:fs';
import { parseUciCommandLine } from './cli-options.js';
import type { UciCliSettings } from './cli-options.js';
import { UciError, formatUciError } from '../../src/uci/errors.js';
import { exportPackage } from '../../src/uci/export.js';
import { listUciConfigsSync, loadUciConfigSync } from '../../src/uci/file.js';
import { lookupUciPath, parseUciPath } from '../../src/uci/lookup.js';
import type { UciPackage } from '../../src/uci/model.js';
import { formatOptionValue, showOption, showPackage, showSection } from '../../src/uci/show.js';

const APP_NAME = 'uci';

/** uci's exit status when a command got the wrong number of arguments (then usage is printed). */
const EXIT_USAGE = 255;

export interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

const USAGE = `Usage: ${APP_NAME} [<options>] <command> [<arguments>]

Commands:
\tbatch
\texport     [<config>]
\timport     [<config>]
\tchanges    [<config>]
\tcommit     [<config>]
\tadd        <config> <section-type>
\tadd_list   <config>.<section>.<option>=<string>
\tdel_list   <config>.<section>.<option>=<string>
\tshow       [<config>[.<section>[.<option>]]]
\tget        <config>.<section>[.<option>]
\tset        <config>.<section>[.<option>]=<value>
\tdelete     <config>[.<section>[[.<option>][=<id>]]]
\trename     <config>.<section>[.<option>]=<name>
\trevert     <config>[.<section>[.<option>]]
\treorder    <config>.<section>=<position>

Options:
\t-c <path>  set the search path for config files (default: /etc/config)
\t-d <str>   set the delimiter for list values in uci show
\t-f <file>  use <file> as input instead of stdin
\t-m         when importing, merge data into an existing package
\t-n         name unnamed sections on export (default)
\t-N         don't name unnamed sections
\t-p <path>  add a search path for config change files
\t-P <path>  add a search path for config change files and use as default
\t-t <path>  set save path for config change files
\t-q         quiet mode (don't print error messages)
\t-s         force strict mode (stop on parser errors, default)
\t-S         disable strict mode
\t-X         do not use extended syntax on 'show'

`;

/** Commands of the real uci that change configs or read stdin; this one only reads. */
const NOT_IMPLEMENTED = new Set([
  'batch', 'changes', 'commit', 'set', 'ren', 'rename', 'revert', 'reorder', 'del', 'delete', 'import', 'add',
  'add_list', 'del_list',
]);

class Output {
  stdout = '';
  stderr = '';
  constructor(private readonly settings: UciCliSettings) {}

  /** cli_perror: `uci: <error>`, unless -q. */
  error(error: UciError): void {
    if (!this.settings.quiet) this.stderr += `${formatUciError(error, APP_NAME)}\n`;
  }
}

function openInputError(path: string): string | undefined {
  try {
    closeSync(openSync(path, 'r'));
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'No such file or directory';
    if (code === 'EACCES') return 'Permission denied';
    return (error as Error).message;
  }
}

export function runUciCli(args: readonly string[]): CliResult {
  const parsed = parseUciCommandLine(args, { appName: APP_NAME, openInput: openInputError });
  if (parsed.kind === 'usage') return { stdout: '', stderr: parsed.message + USAGE, exitCode: 0 };
  if (parsed.kind === 'fail') return { stdout: '', stderr: parsed.message, exitCode: parsed.exitCode };

  const out = new Output(parsed.settings);
  if (parsed.operands.length === 0) return { stdout: '', stderr: USAGE, exitCode: 0 };
  const exitCode = runCommand(parsed.settings, parsed.operands, out);
  if (exitCode === EXIT_USAGE) out.stderr += USAGE;
  return { stdout: out.stdout, stderr: out.stderr, exitCode };
}

function runCommand(settings: UciCliSettings, operands: readonly string[], out: Output): number {
  const command = operands[0]!.toLowerCase();
  const argc = operands.length;
  switch (command) {
    case 'show':
    case 'export':
      if (argc > 2) return EXIT_USAGE;
      if (argc === 2) return packageCommand(settings, command, operands[1]!, out);
      return everyConfig(settings, command, out);
    case 'get':
      if (argc !== 2) return EXIT_USAGE;
      return getCommand(settings, operands[1]!, out);
    case 'help':
      out.stderr += USAGE;
      return 0;
    default:
      if (NOT_IMPLEMENTED.has(command)) {
        if (!settings.quiet) out.stderr += `${APP_NAME}: '${operands[0]}' is not supported here (only show, export, get)\n`;
        return 1;
      }
      return EXIT_USAGE;
  }
}

/** show/export without a config: each config of the directory; errors are printed, exit is 0. */
function everyConfig(settings: UciCliSettings, command: 'show' | 'export', out: Output): number {
  let names: string[];
  try {
    names = listUciConfigsSync(settings.configDir);
  } catch (error) {
    if (!(error instanceof UciError)) throw error;
    out.error(error);
    return 1;
  }
  for (const name of names) packageCommand(settings, command, name, out);
  return 0;
}

function load(settings: UciCliSettings, name: string, out: Output): UciPackage {
  return loadUciConfigSync(settings.configDir, name, {
    strict: settings.strict,
    encoding: 'latin1',
    // uci -S prints each parse error without its "uci: " prefix and reads on.
    ...(settings.printParseErrors ? { onError: (e: UciError) => (out.stderr += `${formatUciError(e)}\n`) } : {}),
  });
}

function packageCommand(settings: UciCliSettings, command: 'show' | 'export', tuple: string, out: Output): number {
  try {
    const path = parseUciPath(tuple);
    const pkg = load(settings, path.config, out);
    const found = lookupUciPath(pkg, path);
    if (command === 'export') {
      // uci exports the whole config whatever section or option the path names.
      out.stdout += exportPackage(pkg, { header: true, nameAnonymous: settings.exportNames });
      return 0;
    }
    if (!found.complete) throw new UciError('NOTFOUND');
    if (found.option !== undefined && found.section !== undefined) {
      out.stdout += showOption(pkg, found.section.name, found.option, settings.delimiter);
    } else if (found.section !== undefined) {
      out.stdout += showSection(pkg, found.section, found.section.name, settings.delimiter);
    } else {
      out.stdout += showPackage(pkg, { extended: settings.extendedShow, delimiter: settings.delimiter });
    }
    return 0;
  } catch (error) {
    if (!(error instanceof UciError)) throw error;
    out.error(error);
    return 1;
  }
}

function getCommand(settings: UciCliSettings, tuple: string, out: Output): number {
  try {
    const path = parseUciPath(tuple);
    const pkg = load(settings, path.config, out);
    const found = lookupUciPath(pkg, path);
    // get with "=value" fails silently, after the lookup (cli.c uci_do_section_cmd).
    if (path.value !== undefined) return 1;
    if (!found.complete) throw new UciError('NOTFOUND');
    if (found.option !== undefined) out.stdout += `${formatOptionValue(found.option, false, settings.delimiter)}\n`;
    else if (found.section !== undefined) out.stdout += `${found.section.type}\n`;
    return 0;
  } catch (error) {
    if (!(error instanceof UciError)) throw error;
    out.error(error);
    return 1;
  }
}
