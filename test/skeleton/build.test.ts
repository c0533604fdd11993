import test from 'ava';
import { readFileSync } from 'node:fs';

test('package.json names the three executables', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  t.deepEqual(Object.keys(pkg.bin).sort(), ['nym-ubusd', 'nym-vpnc', 'nym-vpnd']);
});
