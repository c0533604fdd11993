// The mnemonic and the identities derived from it: upstream's test vectors (account id, device
// keys, device signature), normalisation, every refusal with its reason, and that the phrase never
// shows up in an error, in toString, JSON or util.inspect output.

import test from 'ava';
import { format, inspect } from 'node:util';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { mnemonicToSeedSync } from '@scure/bip39';
import { base58 } from '@scure/base';
import { DeviceKeys, Mnemonic, MnemonicError, accountIdFromMnemonic, type MnemonicProblem } from '../../src/account/index.js';

// nym-vpn-client nym-vpn-api-client/src/types/test_fixtures.rs and device.rs
const VECTOR = 'range mystery picture decline olympic acoustic lesson quick rebuild panda royal fold start leader egg hammer width olympic worry length crawl couch link mobile';
const VECTOR_ID = 'n1sslaag27wfydyrvyua72hg5e0vteglxrs8nw3c';
const DEVICE_MNEMONIC = 'pitch deputy proof fire movie put bread ribbon what chef zebra car vacuum gadget steak board state oyster layer glory barely thrive nice box';
const DEVICE_ID = 'FJDUECYAeosXhNGjxf8w5MJM7N2DfDwQznvWwTxJz6ft';
const DEVICE_SIGNATURE = 'W5Zv1QhG37Al0QQH/9tqOmv1MU9IjfWP1xDq116GGSu/1Z6cnAW0sOyfrIiqdEleUKJB9wC/HjcsifaogymWAw==';
const KIWI = 'kiwi ketchup mix canvas curve ribbon congress method feel frozen act annual aunt comfort side joy mesh palace tennis cannon orange name tortoise piece';

test('upstream\'s account vector: the id of the mnemonic is n1sslaag27…', async (t) => {
  t.is(await accountIdFromMnemonic(Mnemonic.parse(VECTOR)), VECTOR_ID);
});

test('whitespace and case are normalised (NFKD, any whitespace, lower case); the canonical phrase is revealed', async (t) => {
  const messy = `  ${VECTOR.toUpperCase().split(' ').join('\t\n \u00a0 ')}\n`;
  const m = Mnemonic.parse(messy);
  t.is(m.reveal(), VECTOR);
  t.is(m.wordCount, 24);
  t.is(await accountIdFromMnemonic(m), VECTOR_ID);
  t.true(m.equals(Mnemonic.parse(VECTOR)));
  // Full-width letters become ASCII under NFKD.
  t.is(Mnemonic.parse(VECTOR.replace('range', '\uff52\uff41\uff4e\uff47\uff45')).reveal(), VECTOR);
});

test('12 words are accepted; the seed is BIP39\'s (cross-checked with @scure/bip39) and the entropy round-trips', async (t) => {
  const twelve = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
  const m = Mnemonic.parse(twelve);
  t.is(m.wordCount, 12);
  t.deepEqual(m.entropy(), new Uint8Array(16));
  for (const phrase of [twelve, VECTOR, KIWI]) t.deepEqual(Mnemonic.parse(phrase).seed(), mnemonicToSeedSync(phrase, ''));
  t.regex(await accountIdFromMnemonic(m), /^n1[02-9ac-hj-np-z]{38}$/);
});

test('refusals: word count (13, 15, 0), unknown words by position, bad checksum, not text', (t) => {
  const words = VECTOR.split(' ');
  const cases: Array<[unknown, MnemonicProblem, string]> = [
    [[...words.slice(0, 12), 'abandon'].join(' '), 'WordCount', 'the mnemonic has 13 words; it must have 12 or 24'],
    [words.slice(0, 15).join(' '), 'WordCount', 'the mnemonic has 15 words; it must have 12 or 24'],
    ['', 'WordCount', 'the mnemonic has 0 words; it must have 12 or 24'],
    ['  \n ', 'WordCount', 'the mnemonic has 0 words; it must have 12 or 24'],
    [[...words.slice(0, 4), 'nymvpn', ...words.slice(5)].join(' '), 'UnknownWord', 'word 5 is not in the BIP39 English wordlist'],
    [['zzz', ...words.slice(1, 23), 'qqq'].join(' '), 'UnknownWord', 'words 1, 24 are not in the BIP39 English wordlist'],
    [[words[1], words[0], ...words.slice(2)].join(' '), 'Checksum', 'the mnemonic\'s checksum does not match: a word is wrong or out of order'],
    [[...words.slice(0, 23), 'abandon'].join(' '), 'Checksum', 'the mnemonic\'s checksum does not match: a word is wrong or out of order'],
    [42, 'NotText', 'the mnemonic must be text'],
    [undefined, 'NotText', 'the mnemonic must be text'],
  ];
  for (const [input, problem, message] of cases) {
    const e = t.throws(() => Mnemonic.parse(input), { instanceOf: MnemonicError });
    t.is(e!.problem, problem, String(input));
    t.is(e!.message, message);
    t.is(e!.name, 'MnemonicError');
  }
});

test('the phrase never appears: errors, toString, String(), JSON, util.inspect and format, nested and as a cause', (t) => {
  const m = Mnemonic.parse(VECTOR);
  const outputs = [
    String(m), `${m}`, m.toString(), JSON.stringify(m), JSON.stringify({ account: m }), inspect(m),
    inspect({ deep: { deeper: [m] } }, { depth: 10, showHidden: true }), format('%s %o %O %j', m, m, m, m),
    inspect(new Error('wrapped', { cause: m })), Object.keys(m).join(','), JSON.stringify(Object.entries(m)),
  ];
  const bad = [...VECTOR.split(' ').slice(0, 23).map((w, i, a) => `${w} ${a[i + 1] ?? ''}`.trim()), VECTOR];
  // Errors for phrases built from the vector's words.
  const words = VECTOR.split(' ');
  for (const input of [words.slice(0, 13).join(' '), [...words.slice(0, 23), 'zzz'].join(' '), [words[1], words[0], ...words.slice(2)].join(' ')]) {
    try {
      Mnemonic.parse(input);
    } catch (error) {
      outputs.push((error as Error).message, inspect(error), String((error as Error).stack));
    }
  }
  for (const raw of outputs) {
    // Not the words: inspect's showHidden array length, and stack frames (function names like start).
    const out = raw.replace(/\[length\]/g, '').replace(/^\s+at .*$/gm, '');
    for (const w of words) t.false(new RegExp(`\\b${w}\\b`).test(out), `"${w}" in: ${out.slice(0, 200)}`);
    for (const b of bad) t.false(out.includes(b));
  }
  t.is(inspect(m), 'Mnemonic <redacted>');
  t.is(JSON.stringify(m), '"Mnemonic <redacted>"');
});

test('device keys: upstream\'s vectors (identity in base58, private key, signature over SHA-256 of the identity)', (t) => {
  const fromMnemonic = (phrase: string): DeviceKeys => DeviceKeys.fromSecret(Mnemonic.parse(phrase).entropy().slice(0, 32));
  const kiwi = fromMnemonic(KIWI);
  t.is(kiwi.identity, '4SPdxfBYsuARBw6REQQa5vFiKcvmYiet9sSWqb751i3Z');
  t.is(kiwi.exportSecret(), '9JqXnPvTrWkq1Yq66d8GbXrcz5eryAhPZvZ46cEsBPUY');
  const device = fromMnemonic(DEVICE_MNEMONIC);
  t.is(device.identity, DEVICE_ID);
  t.is(Buffer.from(device.sign(device.identity)).toString('base64'), DEVICE_SIGNATURE);
  t.true(ed25519.verify(device.sign('hello'), sha256(new TextEncoder().encode('hello')), device.publicKey));
});

test('device keys: random ones differ; the secret never shows in inspect, JSON or toString', (t) => {
  const a = DeviceKeys.generate();
  const b = DeviceKeys.generate();
  t.not(a.identity, b.identity);
  t.is(base58.decode(a.identity).length, 32);
  const secret = a.exportSecret();
  for (const out of [inspect(a, { showHidden: true, depth: 5 }), JSON.stringify(a), String(a), format('%o', a)]) {
    t.false(out.includes(secret));
    t.true(out.includes(a.identity));
  }
  t.throws(() => DeviceKeys.fromSecret(new Uint8Array(31)), { instanceOf: RangeError });
});

test('an absurdly long input is refused without scanning it', (t) => {
  const e = t.throws(() => Mnemonic.parse(`${VECTOR} `.repeat(200)), { instanceOf: MnemonicError });
  t.is(e!.problem, 'WordCount');
  t.is(e!.message, 'the mnemonic is longer than 4096 characters; it must have 12 or 24 words');
});
