// files/etc/uci-defaults/50-nym-vpn-firewall, sourced in a subshell from /etc/uci-defaults as
// OpenWrt's boot (and default_postinst) does, with a uci stand-in that keeps changes pending until
// commit: on fw3 it adds exactly the include section src/firewall renders (so fw3 runs
// fw3-include.sh), once; on fw4, or with no firewall, it leaves /etc/config/firewall alone.
import test from 'ava';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/bus.js';
import { parseUci, findSection } from '../../src/uci/index.js';
import { FW3_INCLUDE_SECTION, renderFw3IncludeSection } from '../../src/firewall/fw3-include.js';
import { firewallPaths } from '../../src/firewall/paths.js';
import { SHELLS, ScratchRoot, runShell, syntaxError } from './sh.js';

const SCRIPT = join(repoRoot, 'files/etc/uci-defaults/50-nym-vpn-firewall');
const FIREWALL = `config defaults
\toption input 'REJECT'
\toption output 'ACCEPT'
\toption forward 'REJECT'

config zone
\toption name 'lan'
\tlist network 'lan'
`;

/** A root with /etc/config/firewall, /etc/uci-defaults holding the script, and stub firewall commands. */
function setup(firewalls: string[]): { root: ScratchRoot; defaults: string; env: NodeJS.ProcessEnv } {
  const root = new ScratchRoot();
  writeFileSync(join(root.uciDir, 'firewall'), FIREWALL);
  const defaults = join(root.dir, 'etc/uci-defaults');
  mkdirSync(defaults, { recursive: true });
  copyFileSync(SCRIPT, join(defaults, '50-nym-vpn-firewall'));
  const sbin = join(root.dir, 'sbin');
  mkdirSync(sbin);
  for (const fw of firewalls) {
    writeFileSync(join(sbin, fw), '#!/bin/sh\nexit 0\n');
    chmodSync(join(sbin, fw), 0o755);
  }
  const env = root.env({ NYM_SHIM_UCI_SAVEDIR: join(root.dir, 'tmp/.uci') });
  env.PATH = `${sbin}:${env.PATH ?? ''}`;
  return { root, defaults, env };
}

/** What /etc/init.d/boot does with each file: `( . ./FILE ) && rm -f FILE`. */
const BOOT = 'cd "$1" && ( . "./$2" ) && echo applied';

const firewallOf = (root: ScratchRoot) => readFileSync(join(root.uciDir, 'firewall'), 'utf8');

test('the uci-defaults script parses under every shell (sh -n)', (t) => {
  for (const shell of SHELLS) t.is(syntaxError(shell, SCRIPT), null, shell.name);
});

for (const shell of SHELLS) {
  const name = (s: string) => `[${shell.name}] ${s}`;

  test.serial(name('fw3: adds the include section src/firewall describes, once, and ends with 0 (so it is deleted)'), async (t) => {
    const { root, defaults, env } = setup(['fw3']);
    try {
      const r = await runShell(shell, ['-c', BOOT, 'boot', defaults, '50-nym-vpn-firewall'], env);
      t.is(r.stdout, 'applied\n', r.stderr);
      const after = parseUci(firewallOf(root), { name: 'firewall' });
      const expected = parseUci(renderFw3IncludeSection(firewallPaths('/')), { name: 'firewall' });
      t.deepEqual(findSection(after, FW3_INCLUDE_SECTION), findSection(expected, FW3_INCLUDE_SECTION));
      t.deepEqual(after.sections.slice(0, 2), parseUci(FIREWALL, { name: 'firewall' }).sections, 'the rest untouched');
      const once = firewallOf(root);
      const again = await runShell(shell, ['-c', BOOT, 'boot', defaults, '50-nym-vpn-firewall'], env);
      t.is(again.stdout, 'applied\n');
      t.is(firewallOf(root), once, 'a second run changes nothing');
    } finally {
      root.remove();
    }
  });

  test.serial(name('fw4 (with or without fw3 around) or no firewall command: /etc/config/firewall untouched'), async (t) => {
    for (const fws of [['fw4'], ['fw4', 'fw3'], []]) {
      const { root, defaults, env } = setup(fws);
      try {
        const r = await runShell(shell, ['-c', BOOT, 'boot', defaults, '50-nym-vpn-firewall'], env);
        t.is(r.stdout, 'applied\n', `${fws.join('+') || 'none'}: ${r.stderr}`);
        t.is(firewallOf(root), FIREWALL, fws.join('+') || 'none');
      } finally {
        root.remove();
      }
    }
  });
}
