// The account store on disk: modes (dir 0700, files 0600), atomic replacement (the old file survives a
// failed write), invalid mnemonics that change nothing, device keys, forget (overwrite, then remove,
// temp files too), corrupt files, and no secret in any error or inspect output.

import test from 'ava';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import {
  AccountStore,
  AccountStoreError,
  DEVICE_KEYS_FILE,
  MNEMONIC_FILE,
  MnemonicError,
  type MnemonicProblem,
} from '../../src/account/index.js';
import { scratchDir } from '../gateways/helpers.js';

const VECTOR = 'range mystery picture decline olympic acoustic lesson quick rebuild panda royal fold start leader egg hammer width olympic worry length crawl couch link mobile';
const VECTOR_ID = 'n1sslaag27wfydyrvyua72hg5e0vteglxrs8nw3c';
const OTHER = 'dash hungry rate famous lesson march suit refuse excite soul faith bid buddy tortoise melody advice dirt coffee fluid sure air decrease cargo work';
const WORDS = VECTOR.split(' ');

const mode = (path: string): number => statSync(path).mode & 0o777;

/** Every file of a dir with its bytes and inode, to prove nothing changed. */
function snapshot(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {};
  return Object.fromEntries(readdirSync(dir).map((n) => {
    const p = join(dir, n);
    const st = statSync(p);
    return [n, `${st.ino}:${st.mtimeMs}:${st.mode.toString(8)}:${readFileSync(p).toString('hex')}`];
  }));
}

function noSecret(t: { false: (v: boolean, m?: string) => void }, text: string, phrase = VECTOR): void {
  const words = phrase.split(' ');
  for (let i = 0; i + 1 < words.length; i++) t.false(text.includes(`${words[i]} ${words[i + 1]}`), `secret in: ${text.slice(0, 200)}`);
  for (const w of ['mystery', 'olympic', 'panda', 'hammer', 'couch']) t.false(text.includes(w), `"${w}" in: ${text.slice(0, 200)}`);
}

test('store: dir made 0700, files 0600, the id derived; a new store instance reads it back', async (t) => {
  const dir = join(scratchDir('acct'), 'etc', 'nym-vpn');
  const store = new AccountStore(dir);
  t.false(await store.isStored());
  t.is(await store.accountId(), undefined);
  t.is(await store.deviceId(), undefined);
  const stored = await store.store(` ${VECTOR.toUpperCase()} \n`);
  t.is(stored.accountId, VECTOR_ID);
  t.regex(stored.deviceId, /^[1-9A-HJ-NP-Za-km-z]{43,44}$/);
  t.is(mode(dir), 0o700);
  t.is(mode(store.mnemonicPath), 0o600);
  t.is(mode(store.deviceKeysPath), 0o600);
  t.deepEqual(readdirSync(dir).sort(), [MNEMONIC_FILE, DEVICE_KEYS_FILE].sort());
  t.deepEqual(JSON.parse(readFileSync(store.mnemonicPath, 'utf8')), { format: 1, mnemonic: VECTOR });
  const keys = JSON.parse(readFileSync(store.deviceKeysPath, 'utf8')) as { format: number; private_key: string; public_key: string };
  t.is(keys.public_key, stored.deviceId);

  const again = new AccountStore(dir);
  t.true(await again.isStored());
  t.is(await again.accountId(), VECTOR_ID);
  t.is(await again.deviceId(), stored.deviceId);
  t.is((await again.mnemonic())?.reveal(), VECTOR);
  t.is((await again.ensureDeviceKeys()).identity, stored.deviceId, 'existing keys are kept');
});

test('an existing state dir is tightened to 0700; a widened secret file back to 0600', async (t) => {
  const dir = scratchDir('acct');
  chmodSync(dir, 0o755);
  const store = new AccountStore(dir);
  await store.store(VECTOR);
  t.is(mode(dir), 0o700);
  chmodSync(store.mnemonicPath, 0o644);
  t.is(await store.accountId(), VECTOR_ID);
  t.is(mode(store.mnemonicPath), 0o600);
});

test('invalid mnemonics (bad checksum, 13 words, unknown word) are refused and nothing is written or changed', async (t) => {
  const bad: Array<[string, MnemonicProblem]> = [
    [[WORDS[1], WORDS[0], ...WORDS.slice(2)].join(' '), 'Checksum'],
    [[...WORDS.slice(0, 12), 'abandon'].join(' '), 'WordCount'],
    [[...WORDS.slice(0, 6), 'nymvpn', ...WORDS.slice(7)].join(' '), 'UnknownWord'],
  ];
  // Nothing stored yet: the state dir is not even created.
  const fresh = join(scratchDir('acct'), 'state');
  for (const [phrase, problem] of bad) {
    const e = await t.throwsAsync(new AccountStore(fresh).store(phrase), { instanceOf: MnemonicError });
    t.is(e!.problem, problem);
    noSecret(t, `${e!.message} ${inspect(e)}`);
  }
  t.false(existsSync(fresh));
  // An account stored: it stays exactly as it was.
  const dir = scratchDir('acct');
  const store = new AccountStore(dir);
  await store.store(OTHER);
  const before = snapshot(dir);
  for (const [phrase] of bad) await t.throwsAsync(store.store(phrase), { instanceOf: MnemonicError });
  t.deepEqual(snapshot(dir), before);
  t.is((await store.mnemonic())?.reveal(), OTHER);
});

test('replacing the mnemonic: a new id, the same device', async (t) => {
  const store = new AccountStore(scratchDir('acct'));
  const a = await store.store(OTHER);
  const b = await store.store(VECTOR);
  t.not(a.accountId, b.accountId);
  t.is(b.accountId, VECTOR_ID);
  t.is(a.deviceId, b.deviceId);
  t.is(await new AccountStore(store.stateDir).accountId(), VECTOR_ID);
});

test('atomic replace: a write that fails (file size limit 0) leaves the old file whole; its temp file is cleaned up', async (t) => {
  const dir = scratchDir('acct');
  const store = new AccountStore(dir);
  await store.store(OTHER);
  const before = snapshot(dir);
  const script = fileURLToPath(new URL('./fixtures/store-child.js', import.meta.url));
  const child = spawn('bash', ['-c', 'ulimit -f 0; exec "$0" "$@"', process.execPath, script, dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(VECTOR);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exit = await new Promise<{ code: number | null; signal: string | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  // Node either gets EFBIG from write() or is killed by SIGXFSZ; the new phrase must not have landed.
  t.true(out.includes('"error":"EFBIG"') || exit.signal === 'SIGXFSZ', `${out} ${JSON.stringify(exit)}`);
  t.log(`the writer: ${out.trim() || JSON.stringify(exit)}`);
  const left = readdirSync(dir).filter((n) => n.startsWith('.'));
  const after = snapshot(dir);
  for (const name of left) delete after[name];
  t.deepEqual(after, before, 'the stored files are untouched');
  t.is(await store.accountId(), (await new AccountStore(dir).accountId()));
  t.is((await new AccountStore(dir).mnemonic())?.reveal(), OTHER);
  // Whatever temp a killed writer left is removed (overwritten first) by the next write.
  await store.store(OTHER);
  t.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.')), []);
});

test('forget overwrites the files with zeros before removing them, temp files too; then nothing is stored', async (t) => {
  const dir = scratchDir('acct');
  const store = new AccountStore(dir);
  await store.store(VECTOR);
  const outside = scratchDir('acct-link');
  // A hard link keeps the inode reachable after the unlink: what it holds is what the disk kept.
  linkSync(store.mnemonicPath, join(outside, 'm'));
  linkSync(store.deviceKeysPath, join(outside, 'd'));
  const leftover = join(dir, `.${MNEMONIC_FILE}.0123456789ab.tmp`);
  writeFileSync(leftover, VECTOR, { mode: 0o600 });
  const removed = await store.forget();
  t.deepEqual(removed.sort(), [store.mnemonicPath, store.deviceKeysPath].sort());
  t.deepEqual(readdirSync(dir), []);
  for (const f of ['m', 'd']) {
    const bytes = readFileSync(join(outside, f));
    t.true(bytes.length > 0 && bytes.every((b) => b === 0), `${f} zeroed`);
  }
  t.false(await store.isStored());
  t.is(await store.accountId(), undefined);
  t.is(await store.deviceId(), undefined);
  t.deepEqual(await store.forget(), []);
  // A new account afterwards gets a new device.
  const again = await store.store(VECTOR);
  t.is(again.accountId, VECTOR_ID);
});

test('operations run one at a time: store then forget leaves nothing', async (t) => {
  const store = new AccountStore(scratchDir('acct'));
  const [stored, removed] = await Promise.all([store.store(VECTOR), store.forget()]);
  t.is(stored.accountId, VECTOR_ID);
  t.is(removed.length, 2);
  t.false(await store.isStored());
});

test('corrupt files: AccountStoreError naming the file and problem, never the content', async (t) => {
  const dir = scratchDir('acct');
  mkdirSync(dir, { recursive: true });
  const store = new AccountStore(dir);
  const cases: Array<[string, RegExp]> = [
    [`${VECTOR} not json`, /account file .* is not JSON$/],
    [JSON.stringify({ mnemonic: VECTOR }), /is not in format 1$/],
    [JSON.stringify({ format: 1, mnemonic: WORDS.slice(0, 13).join(' ') }), /holds no valid mnemonic \(the mnemonic has 13 words; it must have 12 or 24\)$/],
    [JSON.stringify({ format: 1, mnemonic: [WORDS[1], WORDS[0], ...WORDS.slice(2)].join(' ') }), /holds no valid mnemonic \(the mnemonic's checksum/],
  ];
  for (const [content, message] of cases) {
    writeFileSync(store.mnemonicPath, content, { mode: 0o600 });
    const e = await t.throwsAsync(store.accountId(), { instanceOf: AccountStoreError });
    t.is(e!.problem, 'Corrupt');
    t.regex(e!.message, message);
    noSecret(t, `${e!.message}\n${inspect(e)}`);
  }
  writeFileSync(store.deviceKeysPath, JSON.stringify({ format: 1, private_key: 'abc', public_key: 'x' }), { mode: 0o600 });
  await t.throwsAsync(store.deviceId(), { instanceOf: AccountStoreError, message: /holds no valid private key/ });
});

test('device keys whose public half does not match are refused; keys sign', async (t) => {
  const store = new AccountStore(scratchDir('acct'));
  const { deviceId } = await store.store(VECTOR);
  const keys = await store.deviceKeys();
  t.is(keys?.identity, deviceId);
  t.is(keys!.sign('x').length, 64);
  const rec = JSON.parse(readFileSync(store.deviceKeysPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(store.deviceKeysPath, JSON.stringify({ ...rec, public_key: '4SPdxfBYsuARBw6REQQa5vFiKcvmYiet9sSWqb751i3Z' }));
  await t.throwsAsync(store.deviceId(), { instanceOf: AccountStoreError, message: /public key does not match/ });
});

test('inspecting the store (it caches the mnemonic to skip re-deriving) shows no secret', async (t) => {
  const store = new AccountStore(scratchDir('acct'));
  await store.store(VECTOR);
  await store.accountId();
  const text = `${inspect(store, { depth: 10, showHidden: true })}\n${JSON.stringify(store)}`;
  noSecret(t, text);
  t.true(text.includes('Mnemonic <redacted>'));
});
