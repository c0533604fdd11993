#!/usr/bin/env node
// The LuCI dev server by hand, next to a running lab (lab-main prints its socket and root):
//   node dist/tools/luci-dev/main.js --socket <router ubus socket> --root <router root> [--port 8080] [--host 127.0.0.1]
// Prints the URL and the lab logins, serves until Ctrl-C.
import { parseArgs } from 'node:util';
import { startLuciDevServer } from './server.js';

const { values } = parseArgs({
  options: { socket: { type: 'string' }, root: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } },
});
if (!values.socket || !values.root) {
  process.stderr.write('usage: main.js --socket PATH --root DIR [--port N] [--host ADDR]\n');
  process.exit(2);
}

const luci = await startLuciDevServer({
  socket: values.socket,
  root: values.root,
  ...(values.port ? { port: Number(values.port) } : {}),
  ...(values.host ? { host: values.host } : {}),
});
process.stdout.write(`LuCI: ${luci.url}\n`);
for (const u of luci.users) process.stdout.write(`  login ${u.username} / ${u.password} (${u.write.length ? 'read and write' : 'read only'})\n`);
await new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
});
await luci.stop();
