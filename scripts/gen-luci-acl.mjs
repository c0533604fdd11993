#!/usr/bin/env node
// Writes luci-app/root/usr/share/rpcd/acl.d/luci-app-nym-vpn.json from ubus-schema/nym-vpn.json:
// the schema's `read` methods go to the group's read permission, `write` methods to write,
// internal methods (hotplug's network_event) nowhere; both permissions cover the UCI config.
//   node scripts/gen-luci-acl.mjs           write the file
//   node scripts/gen-luci-acl.mjs --check   exit 1 when the file is not what the schema gives
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
export const SCHEMA_PATH = `${repo}ubus-schema/nym-vpn.json`;
export const ACL_PATH = `${repo}luci-app/root/usr/share/rpcd/acl.d/luci-app-nym-vpn.json`;
export const ACL_GROUP = 'luci-app-nym-vpn';
export const UCI_CONFIG = 'nym-vpn';

/** The acl.d document for a schema ({object, methods: {name: {class, internal?}}}). */
export function luciAcl(schema) {
  const methods = Object.entries(schema.methods).filter(([, m]) => m.internal !== true);
  const of = (cls) => methods.filter(([, m]) => m.class === cls).map(([name]) => name);
  return {
    [ACL_GROUP]: {
      description: 'Grant access to NymVPN status, gateways, account and settings',
      read: { ubus: { [schema.object]: of('read') }, uci: [UCI_CONFIG] },
      write: { ubus: { [schema.object]: of('write') }, uci: [UCI_CONFIG] },
    },
  };
}

/** The file's text: tab-indented like LuCI's own acl.d files, short arrays on one line. */
export function aclText(doc) {
  const json = JSON.stringify(doc, null, '\t');
  return json.replace(/\[\n\t+([^[\]{}]*?)\n\t*\]/g, (_m, inner) => `[ ${inner.split(/,\n\t*/).join(', ')} ]`) + '\n';
}

export function generate() {
  return aclText(luciAcl(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'))));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = generate();
  if (process.argv.includes('--check')) {
    let current = '';
    try { current = readFileSync(ACL_PATH, 'utf8'); } catch { /* missing: differs */ }
    if (current !== text) {
      process.stderr.write(`${ACL_PATH} is not what ubus-schema/ gives: run node scripts/gen-luci-acl.mjs\n`);
      process.exit(1);
    }
  } else {
    writeFileSync(ACL_PATH, text);
    process.stdout.write(`wrote ${ACL_PATH}\n`);
  }
}
