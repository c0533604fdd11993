// po/templates/nym-vpn.pot is what scripts/i18n-scan.mjs makes of the views (so a changed string cannot ship
// untranslatable), in the format LuCI's i18n-scan writes; the scanner reads _() and N_() literals with
// their escapes and menu titles, and the feed package links po/ where luci.mk looks for it.
import test from 'ava';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers.js';

const scan = await import(join(repoRoot, 'scripts/i18n-scan.mjs')) as {
  generate(): string;
  scanJs(text: string, path: string): { msgid: string; plural?: string; ref: string }[];
  potText(found: { msgid: string; plural?: string; ref: string }[]): string;
  POT_PATH: string;
};

test('the committed template is what the views give', (t) => {
  t.is(readFileSync(scan.POT_PATH, 'utf8'), scan.generate(), 'run: node scripts/i18n-scan.mjs');
});

test('the template holds the views\' strings and the menu titles, each once, with their places', (t) => {
  const pot = readFileSync(scan.POT_PATH, 'utf8');
  t.true(pot.startsWith('msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8"\n\n'));
  for (const s of ['Save & Connect', 'Could not connect', 'Still connecting (attempt %d): the service keeps trying; the status page shows when the tunnel is up.', 'NymVPN', 'Entry gateways by quality', 'Enter the account\'s recovery phrase (12 or 24 words) first.'])
    t.is(pot.split(`\nmsgid ${JSON.stringify(s)}\n`).length, 2, s);
  t.regex(pot, /#: luci-app\/htdocs\/luci-static\/resources\/view\/nym-vpn\/gateways\.js:\d+\nmsgid "Save & Connect"/);
  t.regex(pot, /#: luci-app\/root\/usr\/share\/luci\/menu\.d\/luci-app-nym-vpn\.json:\d+\n/);
});

test('the scanner: quotes, escapes, plurals, no look-alikes', (t) => {
  const js = [
    `_('it\\'s') + _("say \\"hi\\"") + _('a\\nb')`,
    `N_(n, 'one gateway', '%d gateways')`,
    `foo_('not this') + x._('nor this') + _(variable)`,
  ].join('\n');
  const found = scan.scanJs(js, 'v.js');
  t.deepEqual(found.map((f) => [f.msgid, f.plural, f.ref]), [
    ['it\'s', undefined, 'v.js:1'], ['say "hi"', undefined, 'v.js:1'], ['a\nb', undefined, 'v.js:1'], ['one gateway', '%d gateways', 'v.js:2'],
  ]);
  t.is(scan.potText(found.slice(1, 4)), [
    'msgid ""', 'msgstr "Content-Type: text/plain; charset=UTF-8"', '',
    '#: v.js:1', 'msgid "a\\nb"', 'msgstr ""', '',
    '#: v.js:2', 'msgid "one gateway"', 'msgid_plural "%d gateways"', 'msgstr[0] ""', 'msgstr[1] ""', '',
    '#: v.js:1', 'msgid "say \\"hi\\""', 'msgstr ""', '', '',
  ].join('\n').replace(/\n$/, ''));
});

test('the feed package finds po/ where luci.mk looks (CURDIR/po)', (t) => {
  t.is(readlinkSync(join(repoRoot, 'openwrt/luci-app-nym-vpn/po')), '../../po');
});
