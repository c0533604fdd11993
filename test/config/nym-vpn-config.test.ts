// The nym-vpn config schema: defaults, the shipped file, every validation message, boolean
// spellings, warnings, and the loader.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseUci } from '../../src/uci/index.js';
import { ConfigError, defaultNymVpnConfig, loadNymVpnConfig, validateNymVpnConfig } from '../../src/config/nym-vpn-config.js';
import type { NymVpnValidation } from '../../src/config/nym-vpn-config.js';
import { makeConfigDir, repoRoot } from '../uci/cli-runner.js';

const KEY_A = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const KEY_B = 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=';

function check(text: string): NymVpnValidation {
  return validateNymVpnConfig(parseUci(text, { name: 'nym-vpn' }));
}

function errorsOf(text: string): string[] {
  return check(text).errors.map((e) => e.message);
}

const MAIN = "config nym-vpn 'main'\n";

test('an empty config is all defaults', (t) => {
  const result = check('');
  t.deepEqual(result.errors, []);
  t.deepEqual(result.warnings, []);
  t.deepEqual(result.config, defaultNymVpnConfig());
});

test('the defaults are the documented ones', (t) => {
  const config = defaultNymVpnConfig();
  t.deepEqual(config.main, {
    enabled: true,
    autoconnect: false,
    network: 'mainnet',
    apiUrl: undefined,
    nymApiUrl: undefined,
    killSwitch: true,
    alwaysOn: false,
    ipv6: true,
    dns: ['1.1.1.1', '1.0.0.1', '2606:4700:4700::1111', '2606:4700:4700::1001'],
    interface: 'nym0',
    mtu: 1340,
    entryMtu: 1420,
    logLevel: 'info',
    firewallBackend: 'auto',
    registration: 'auto',
  });
  t.is(config.entry.select, 'low_latency');
  t.is(config.exit.select, 'random');
  t.deepEqual(config.policy.sources, ['lan']);
  t.deepEqual(config.peers, []);
});

test('the shipped files/etc/config/nym-vpn parses to exactly the defaults, without warnings', (t) => {
  const bytes = readFileSync(join(repoRoot, 'files/etc/config/nym-vpn'));
  const result = validateNymVpnConfig(parseUci(bytes, { name: 'nym-vpn' }));
  t.deepEqual(result.errors, []);
  t.deepEqual(result.warnings, []);
  t.deepEqual(result.config, defaultNymVpnConfig());
});

test('every boolean spelling OpenWrt accepts', (t) => {
  for (const word of ['1', 'yes', 'on', 'true', 'enabled']) {
    t.true(check(`${MAIN}\toption autoconnect ${word}\n`).config?.main.autoconnect, word);
  }
  for (const word of ['0', 'no', 'off', 'false', 'disabled']) {
    t.false(check(`${MAIN}\toption enabled ${word}\n`).config?.main.enabled, word);
  }
  t.deepEqual(errorsOf(`${MAIN}\toption kill_switch Yes\n`), [
    "nym-vpn.main.kill_switch: 'Yes' is not a boolean (1/0, yes/no, on/off, true/false, enabled/disabled)",
  ]);
});

test('main: a full valid section', (t) => {
  const result = check(
    `${MAIN}\toption network sandbox\n\toption api_url 'https://api.example.net/v1/'\n\toption nym_api_url 'http://10.0.0.5:8081/api/'\n\toption ipv6 0\n` +
      "\toption dns '9.9.9.9 2620:fe::fe'\n\toption interface wg-nym\n\toption mtu 1380\n\toption entry_mtu 1500\n" +
      '\toption log_level debug\n\toption firewall_backend fw3\n',
  );
  t.deepEqual(result.errors, []);
  t.like(result.config?.main, {
    network: 'sandbox',
    apiUrl: 'https://api.example.net/v1/',
    nymApiUrl: 'http://10.0.0.5:8081/api/',
    ipv6: false,
    dns: ['9.9.9.9', '2620:fe::fe'],
    interface: 'wg-nym',
    mtu: 1380,
    entryMtu: 1500,
    logLevel: 'debug',
    firewallBackend: 'fw3',
  });
});

test('main: each validation message', (t) => {
  const cases: Array<[string, string]> = [
    ['option mtu 9000', "nym-vpn.main.mtu: '9000' is not an integer between 1280 and 1500"],
    ['option mtu 13x0', "nym-vpn.main.mtu: '13x0' is not an integer between 1280 and 1500"],
    ['option entry_mtu 1200', "nym-vpn.main.entry_mtu: '1200' is not an integer between 1280 and 1500"],
    ['option network "main net"', "nym-vpn.main.network: 'main net' is not a network name (letters, digits, '-', '_')"],
    ['option api_url ftp://x', "nym-vpn.main.api_url: 'ftp://x' is not an http(s) URL"],
    ['option nym_api_url ws://x', "nym-vpn.main.nym_api_url: 'ws://x' is not an http(s) URL"],
    ['list dns 1.1.1', "nym-vpn.main.dns: '1.1.1' is not a plain unicast IPv4 or IPv6 address (no zone, not multicast, loopback or unspecified)"],
    ['list dns fe80::1%wan0', "nym-vpn.main.dns: 'fe80::1%wan0' is not a plain unicast IPv4 or IPv6 address (no zone, not multicast, loopback or unspecified)"],
    ['list dns 224.0.0.251', "nym-vpn.main.dns: '224.0.0.251' is not a plain unicast IPv4 or IPv6 address (no zone, not multicast, loopback or unspecified)"],
    ["option interface 'n\"x'", "nym-vpn.main.interface: 'n\"x' is not an interface name (1-15 of A-Z a-z 0-9 _ . -, not \".\" or \"..\")"],
    ['option mtu 1400', "nym-vpn.main.mtu: '1400' leaves no room for the inner hop: at most entry_mtu - 80 = 1340"],
    ['option interface averyveryverylongname', "nym-vpn.main.interface: 'averyveryverylongname' is not an interface name (1-15 of A-Z a-z 0-9 _ . -, not \".\" or \"..\")"],
    ['option interface a/b', "nym-vpn.main.interface: 'a/b' is not an interface name (1-15 of A-Z a-z 0-9 _ . -, not \".\" or \"..\")"],
    ['option log_level trace', "nym-vpn.main.log_level: 'trace' is not one of error, warn, info, debug"],
    ['option firewall_backend nft', "nym-vpn.main.firewall_backend: 'nft' is not one of auto, fw4, fw3"],
    ['option registration mixnet', "nym-vpn.main.registration: 'mixnet' is not one of auto, static"],
    ['list mtu 1300', "nym-vpn.main.mtu: '1300' must be a single value, not a list"],
  ];
  for (const [line, message] of cases) t.deepEqual(errorsOf(`${MAIN}\t${line}\n`), [message], line);
});

test('all errors are reported, not just the first', (t) => {
  t.deepEqual(errorsOf(`${MAIN}\toption enabled maybe\n\toption mtu 1\n\tlist dns x\n\tlist dns y\n`), [
    "nym-vpn.main.enabled: 'maybe' is not a boolean (1/0, yes/no, on/off, true/false, enabled/disabled)",
    "nym-vpn.main.dns: 'x' is not a plain unicast IPv4 or IPv6 address (no zone, not multicast, loopback or unspecified)",
    "nym-vpn.main.dns: 'y' is not a plain unicast IPv4 or IPv6 address (no zone, not multicast, loopback or unspecified)",
    "nym-vpn.main.mtu: '1' is not an integer between 1280 and 1500",
  ]);
});

test('gateways: choices, country upper-cased, and their messages', (t) => {
  const good = check(
    "config gateway 'entry'\n\toption select country\n\toption country de\n\toption min_performance 75\n" +
      "config gateway 'exit'\n\toption select id\n\toption id 8yGFbT3feDP5TBnXnLxU3Q6Md2mHp8exYdh7Ahvdbh3s\n",
  );
  t.deepEqual(good.errors, []);
  t.deepEqual(good.config?.entry, { select: 'country', id: undefined, country: 'DE', minPerformance: 75 });
  t.deepEqual(good.config?.exit, { select: 'id', id: '8yGFbT3feDP5TBnXnLxU3Q6Md2mHp8exYdh7Ahvdbh3s', country: undefined, minPerformance: undefined });

  t.deepEqual(errorsOf("config gateway 'entry'\n\toption select fastest\n"), [
    "nym-vpn.entry.select: 'fastest' is not one of id, country, random, low_latency",
  ]);
  t.deepEqual(errorsOf("config gateway 'exit'\n\toption country DEU\n"), [
    "nym-vpn.exit.country: 'DEU' is not an ISO 3166-1 alpha-2 country code",
  ]);
  t.deepEqual(errorsOf("config gateway 'exit'\n\toption min_performance 101\n"), [
    "nym-vpn.exit.min_performance: '101' is not an integer between 0 and 100",
  ]);
  t.deepEqual(errorsOf("config gateway 'exit'\n\toption id 'a b'\n"), ["nym-vpn.exit.id: 'a b' is not a gateway identity"]);
  t.deepEqual(errorsOf("config gateway 'entry'\n\toption select id\n"), ["nym-vpn.entry.id: is missing, and select is 'id'"]);
  t.deepEqual(errorsOf("config gateway 'exit'\n\toption select country\n"), [
    "nym-vpn.exit.country: is missing, and select is 'country'",
  ]);
});

test('peers: anonymous and named, list or option address, endpoints of each form', (t) => {
  const result = check(
    `config peer\n\toption role entry\n\toption public_key '${KEY_A}'\n\toption endpoint 203.0.113.10:51820\n` +
      `\tlist address 10.64.0.2/32\n\tlist address fd00::2/128\n\toption preshared_key '${KEY_B}'\n\toption country nl\n` +
      `config peer 'lab_exit'\n\toption role exit\n\toption gateway_id lab-exit\n\toption public_key '${KEY_B}'\n` +
      "\toption endpoint '[2001:db8::20]:51820'\n\toption address 10.65.0.2\n" +
      `config peer\n\toption role exit\n\toption public_key '${KEY_A}'\n\toption endpoint gw.example.net:1\n\toption address '10.1.0.2 fd01::2'\n`,
  );
  t.deepEqual(result.errors, []);
  t.deepEqual(result.config?.peers, [
    {
      section: '@peer[0]',
      role: 'entry',
      publicKey: KEY_A,
      endpoint: { host: '203.0.113.10', port: 51820 },
      addresses: ['10.64.0.2/32', 'fd00::2/128'],
      gatewayId: undefined,
      presharedKey: KEY_B,
      country: 'NL',
    },
    {
      section: 'lab_exit',
      role: 'exit',
      publicKey: KEY_B,
      endpoint: { host: '2001:db8::20', port: 51820 },
      addresses: ['10.65.0.2'],
      gatewayId: 'lab-exit',
      presharedKey: undefined,
      country: undefined,
    },
    {
      section: '@peer[2]',
      role: 'exit',
      publicKey: KEY_A,
      endpoint: { host: 'gw.example.net', port: 1 },
      addresses: ['10.1.0.2', 'fd01::2'],
      gatewayId: undefined,
      presharedKey: undefined,
      country: undefined,
    },
  ]);
});

test('peers: each validation message', (t) => {
  t.deepEqual(errorsOf('config peer\n'), [
    'nym-vpn.@peer[0].role: is missing (entry or exit)',
    "nym-vpn.@peer[0].public_key: is missing (the gateway's WireGuard public key)",
    'nym-vpn.@peer[0].endpoint: is missing (host:port)',
    'nym-vpn.@peer[0].address: is missing (our tunnel address)',
  ]);
  const base = `\toption public_key '${KEY_A}'\n\toption endpoint 192.0.2.1:51820\n\toption address 10.0.0.2\n`;
  const cases: Array<[string, string]> = [
    ['option role middle', "nym-vpn.@peer[0].role: 'middle' is not one of entry, exit"],
    ["option preshared_key 'abc='", "nym-vpn.@peer[0].preshared_key: 'abc=' is not a WireGuard key (base64 of 32 bytes)"],
    ['option endpoint 2001:db8::1:51820', "nym-vpn.@peer[0].endpoint: '2001:db8::1:51820' is not host:port or [IPv6]:port"],
    ['option endpoint 192.0.2.1:0', "nym-vpn.@peer[0].endpoint: '192.0.2.1:0' is not host:port or [IPv6]:port"],
    ['option endpoint 192.0.2.1', "nym-vpn.@peer[0].endpoint: '192.0.2.1' is not host:port or [IPv6]:port"],
    ['list address 10.0.0.2/33', "nym-vpn.@peer[0].address: '10.0.0.2/33' is not an IP address with optional /prefix"],
    ['option country Netherlands', "nym-vpn.@peer[0].country: 'Netherlands' is not an ISO 3166-1 alpha-2 country code"],
  ];
  for (const [line, message] of cases) {
    // The case's line comes last, so it overrides the base value of the same option.
    t.deepEqual(errorsOf(`config peer\n\toption role entry\n${base}\t${line}\n`), [message], line);
  }
  t.deepEqual(errorsOf(`config peer\n\toption role entry\n\toption public_key x\n\toption endpoint 192.0.2.1:1\n\toption address 10.0.0.2\n`), [
    "nym-vpn.@peer[0].public_key: 'x' is not a WireGuard key (base64 of 32 bytes)",
  ]);
});

test('policy: interfaces and prefixes', (t) => {
  const result = check("config policy 'lan'\n\tlist source lan\n\tlist source br-guest\n\tlist source 192.168.50.0/24\n");
  t.deepEqual(result.config?.policy.sources, ['lan', 'br-guest', '192.168.50.0/24']);
  t.deepEqual(errorsOf("config policy 'lan'\n\tlist source 'lan two'\n"), [
    "nym-vpn.lan.source: 'lan two' is not an interface name or an IP prefix",
  ]);
});

test('unknown options and sections are warnings, and the config is still used', (t) => {
  const result = check(
    `${MAIN}\toption colour blue\nconfig nym-vpn 'other'\nconfig gateway 'middle'\n` +
      "config policy 'wan'\nconfig watchdog\n\toption interval 5\n",
  );
  t.deepEqual(result.errors, []);
  t.deepEqual(
    result.warnings.map((w) => w.message),
    [
      'nym-vpn.main.colour: unknown option, ignored',
      "nym-vpn.other: is ignored: the client's settings are read from config nym-vpn 'main'",
      "nym-vpn.middle: is ignored: gateway sections are 'entry' and 'exit'",
      "nym-vpn.wan: is ignored: the only policy section is 'lan'",
      "nym-vpn.@watchdog[0]: is ignored: unknown section type 'watchdog'",
    ],
  );
});

test('issues carry their parts for programs', (t) => {
  const [issue] = check(`${MAIN}\toption mtu 9000\n`).errors;
  t.like(issue, { config: 'nym-vpn', section: 'main', option: 'mtu', value: '9000', problem: 'is not an integer between 1280 and 1500' });
});

test('loadNymVpnConfig: file, missing file, invalid values, syntax error', async (t) => {
  const { dir, remove } = makeConfigDir({
    'nym-vpn': `${MAIN}\toption autoconnect 1\n\toption surprise 1\n`,
    bad: `${MAIN}\toption mtu 9000\n\toption log_level loud\n`,
    broken: `${MAIN}\toption mtu '1400\n`,
  });
  try {
    const loaded = await loadNymVpnConfig(dir);
    t.true(loaded.config.main.autoconnect);
    t.deepEqual(loaded.warnings.map((w) => w.message), ['nym-vpn.main.surprise: unknown option, ignored']);

    const missing = await loadNymVpnConfig(join(dir, 'nowhere'));
    t.deepEqual(missing.config, defaultNymVpnConfig());
    t.deepEqual(missing.warnings.map((w) => w.message), [`nym-vpn: no file ${join(dir, 'nowhere')}/nym-vpn, using the defaults`]);

    const invalid = await t.throwsAsync(loadNymVpnConfig(dir, 'bad'), { instanceOf: ConfigError });
    t.deepEqual(invalid?.issues.map((i) => i.message), [
      "bad.main.mtu: '9000' is not an integer between 1280 and 1500",
      "bad.main.log_level: 'loud' is not one of error, warn, info, debug",
    ]);

    const broken = await t.throwsAsync(loadNymVpnConfig(dir, 'broken'), { instanceOf: ConfigError });
    t.is(broken?.message, "broken: Parse error (EOF with unterminated ') at line 2, byte 18");
  } finally {
    remove();
  }
});

test('the monitor section: upstream timings by default, each option checked', (t) => {
  const ok = validateNymVpnConfig(parseUci("config monitor 'monitor'\n\tlist target '192.0.2.80'\n\toption interval '2'\n\toption tries '2'\n", { name: 'nym-vpn' }));
  t.deepEqual(ok.config?.monitor, { targets: ['192.0.2.80'], interval: 2, timeout: 5, tries: 2, handshakeTimeout: 15 });
  t.deepEqual(validateNymVpnConfig(parseUci('', { name: 'nym-vpn' })).config?.monitor, { targets: ['8.8.8.8', '2001:4860:4860::8888'], interval: 10, timeout: 5, tries: 3, handshakeTimeout: 15 });
  const bad = validateNymVpnConfig(parseUci("config monitor 'monitor'\n\tlist target 'google'\n\toption timeout '0'\n", { name: 'nym-vpn' }));
  t.deepEqual(bad.errors.map((e) => e.message), [
    "nym-vpn.monitor.target: 'google' is not a plain unicast IPv4 or IPv6 address (no zone, not multicast, loopback or unspecified)",
    "nym-vpn.monitor.timeout: '0' is not an integer between 1 and 60",
  ]);
});
