// Both bearer tokens byte for byte against upstream's own vectors: nym-vpn-client
// nym-vpn-core/crates/nym-vpn-api-client/src/jwt.rs, tests secp256k1_jwt_matches_javascript and
// ed25519_ecdsa_jwt_matches_javascript (now = 1722535718; mnemonic and keys from that file).
import test from 'ava';
import { base58 } from '@scure/base';
import { AccountKey } from '../../src/account/account-key.js';
import { DeviceKeys } from '../../src/account/device-keys.js';
import { Mnemonic } from '../../src/account/mnemonic.js';
import { accountJwt, deviceJwt } from '../../src/vpn-api/jwt.js';
import { registrationSignature } from '../../src/vpn-api/client.js';

const NOW = 1722535718;

test('account JWT (ES256K, secp256k1 r‖s over SHA-256) is upstream\'s secp256k1_jwt_matches_javascript', (t) => {
  const key = AccountKey.fromMnemonic(Mnemonic.parse('kiwi ketchup mix canvas curve ribbon congress method feel frozen act annual aunt comfort side joy mesh palace tennis cannon orange name tortoise piece'));
  t.is(key.address, 'n18cjazlxu7t86s85wal3m7hnk8eq7pcfakhdq53');
  t.is(accountJwt(key, NOW),
    'eyJhbGciOiJFUzI1NksiLCJ0eXAiOiJKV1QifQ.eyJleHAiOjMwLCJpYXQiOjE3MjI1MzU3MTgsInB1YmtleSI6IndneFpTM25CbWJBd2Nud0FpTnlDTjE5dWNTZHo5cVdkUXlidDJyYWtQVUhyIiwic3ViIjoibjE4Y2phemx4dTd0ODZzODV3YWwzbTdobms4ZXE3cGNmYWtoZHE1MyJ9.qxwY96D-vzMxHWZ840_l6YVDeuZeEkYqz2FaPS8ROztEqipXWCYUi8M1YTH1ZUuNyjgDAMS3NAM3hYvY09ODWQ');
});

test('device JWT (header ECDSA, ed25519 over SHA-256) is upstream\'s ed25519_ecdsa_jwt_matches_javascript', (t) => {
  const device = DeviceKeys.fromSecret(base58.decode('9JqXnPvTrWkq1Yq66d8GbXrcz5eryAhPZvZ46cEsBPUY'));
  t.is(device.identity, '4SPdxfBYsuARBw6REQQa5vFiKcvmYiet9sSWqb751i3Z');
  t.is(deviceJwt(device, NOW),
    'eyJhbGciOiJFQ0RTQSIsInR5cCI6IkpXVCJ9.eyJleHAiOjMwLCJpYXQiOjE3MjI1MzU3MTgsInN1YiI6IjRTUGR4ZkJZc3VBUkJ3NlJFUVFhNXZGaUtjdm1ZaWV0OXNTV3FiNzUxaTNaIn0.wSd8y1QdqOVYLf2uTMlnymmiIPQwpxXWd2QvPZ-XqV8O1PNiurQO5JPU65SnaOfggJVA5pnAgZLbj9ciOJKIDg');
});

test('a bad time is refused', (t) => {
  const device = DeviceKeys.fromSecret(new Uint8Array(32).fill(7));
  t.throws(() => deviceJwt(device, -1), { instanceOf: RangeError });
  t.throws(() => deviceJwt(device, 1.5), { instanceOf: RangeError });
});

test('the device registration signature is upstream\'s sign_identity_key vector (types/device.rs)', async (t) => {
  const { mnemonicToEntropy } = await import('@scure/bip39');
  const { wordlist } = await import('@scure/bip39/wordlists/english.js');
  // Upstream's test device: the ed25519 seed is the first 32 bytes of the mnemonic's entropy.
  const entropy = mnemonicToEntropy('pitch deputy proof fire movie put bread ribbon what chef zebra car vacuum gadget steak board state oyster layer glory barely thrive nice box', wordlist);
  const device = DeviceKeys.fromSecret(entropy.slice(0, 32));
  t.is(device.identity, 'FJDUECYAeosXhNGjxf8w5MJM7N2DfDwQznvWwTxJz6ft');
  t.is(registrationSignature(device), 'W5Zv1QhG37Al0QQH/9tqOmv1MU9IjfWP1xDq116GGSu/1Z6cnAW0sOyfrIiqdEleUKJB9wC/HjcsifaogymWAw==');
});
