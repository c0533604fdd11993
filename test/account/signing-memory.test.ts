// The account's and the device's keys sign a vpn-api request now and then; noble's default would keep a table
// of base-point multiples for each curve on the heap for good once the first signature is made (about 1 MB
// together). DeviceKeys and AccountKey use noble's table-less window instead. Measured in a fresh node, as
// V8 reports its used heap after a full collection; --predictable keeps V8's background threads (concurrent
// sweeping and compilation) from moving the numbers under load.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { runNodeJson } from '../helpers/node-child.js';

const DEVICE_KEYS = fileURLToPath(new URL('../../src/account/device-keys.js', import.meta.url));
const ACCOUNT_KEY = fileURLToPath(new URL('../../src/account/account-key.js', import.meta.url));
const MNEMONIC = fileURLToPath(new URL('../../src/account/mnemonic.js', import.meta.url));
const PHRASE = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const OTHER_PHRASE = 'legal winner thank year wave sausage worth useful legal winner thank yellow';

// argv: 'ours' | 'noble', the three module paths, two phrases. Prints the heap (MB) that signatures with fresh
// keys left behind, once the same code has run (and been compiled) with other keys: what stays is what the
// first signature built and kept. 'noble' warms up on noble's table-less window too, then measures its
// default window (6, as noble's curves set it), which builds and keeps the tables.
const CHILD = `
import v8 from 'node:v8';
const used = () => { globalThis.gc(); globalThis.gc(); return v8.getHeapStatistics().used_heap_size / 1e6; };
const [mode, devicePath, accountPath, mnemonicPath, phrase1, phrase2] = process.argv.slice(1);
let before;
let after;
if (mode === 'ours') {
  const { DeviceKeys } = await import(devicePath);
  const { AccountKey } = await import(accountPath);
  const { Mnemonic } = await import(mnemonicPath);
  const sign = (phrase) => {
    DeviceKeys.generate().sign('request');
    AccountKey.fromMnemonic(Mnemonic.parse(phrase)).signRaw(new Uint8Array(32));
  };
  sign(phrase1);
  before = used();
  sign(phrase2);
  after = used();
} else {
  const { ed25519 } = await import('@noble/curves/ed25519.js');
  const { secp256k1 } = await import('@noble/curves/secp256k1.js');
  const sign = () => {
    ed25519.sign(new Uint8Array(32), ed25519.utils.randomSecretKey());
    secp256k1.sign(new Uint8Array(32), secp256k1.utils.randomSecretKey(), { prehash: false });
  };
  ed25519.Point.BASE.precompute(1);
  secp256k1.Point.BASE.precompute(1);
  sign();
  ed25519.Point.BASE.precompute(6);
  secp256k1.Point.BASE.precompute(6);
  before = used();
  sign();
  after = used();
}
process.stdout.write(JSON.stringify({ kept: after - before }));
`;

function run(mode: 'ours' | 'noble'): Promise<{ kept: number }> {
  return runNodeJson(['--expose-gc', '--predictable', '--input-type=module', '-e', CHILD, mode, DEVICE_KEYS, ACCOUNT_KEY, MNEMONIC, PHRASE, OTHER_PHRASE]);
}

test('the first signatures of the device and account keys leave no table of base-point multiples behind', async (t) => {
  const ours = await run('ours');
  t.true(ours.kept < 0.3, `heap kept by signatures with fresh keys: ${ours.kept.toFixed(2)} MB`);
  // noble's default keeps its tables: asserted so that this test is known to measure what it guards against.
  const noble = await run('noble');
  // (0.47–1.3 MB across Node 20, 22 and 24 and load: V8's object sizes differ between versions.)
  t.true(noble.kept - ours.kept > 0.4, `noble's default keeps ${noble.kept.toFixed(2)} MB, ours ${ours.kept.toFixed(2)} MB`);
  t.log(`kept: ${ours.kept.toFixed(2)} MB (noble's default: ${noble.kept.toFixed(2)} MB)`);
});
