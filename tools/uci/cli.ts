// Entry point: `node dist/tools/uci/cli.js [-c DIR] show|export|get [PATH]` (npm run uci -- …).
// Output is written as raw bytes (latin1 strings), so configs in any encoding pass unchanged.

import { runUciCli } from './cli-commands.js';

const result = runUciCli(process.argv.slice(2));
if (result.stdout !== '') process.stdout.write(Buffer.from(result.stdout, 'latin1'));
if (result.stderr !== '') process.stderr.write(Buffer.from(result.stderr, 'latin1'));
process.exitCode = result.exitCode;
