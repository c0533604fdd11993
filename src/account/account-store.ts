// The account on disk: the mnemonic and the device keys in the state dir (0700), each file 0600 and
// written atomically. A mnemonic is checked completely before anything is touched, so a bad one
// changes nothing. forget() overwrites both files before removing them (and any temp file a crash
// left behind). Errors and logs name files and problems, never the secret's content: even a JSON
// parser's message is left out, since it quotes the text it choked on.

import { readdir } from 'node:fs/promises';
import { readSecretFile } from '../fs/secret-file.js';
import { join } from 'node:path';
import { base58 } from '@scure/base';
import { accountIdFromMnemonic } from './account-id.js';
import { ensureDir, isTempName, overwriteAndRemove, writeFileAtomic } from '../fs/atomic-file.js';
import { DeviceKeys } from './device-keys.js';
import { Mnemonic, MnemonicError } from './mnemonic.js';

export const MNEMONIC_FILE = 'account-mnemonic.json';
export const DEVICE_KEYS_FILE = 'device-keys.json';
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const FORMAT = 1;

export class AccountStoreError extends Error {
  override name = 'AccountStoreError';
  constructor(
    readonly problem: 'Corrupt' | 'Io',
    message: string,
  ) {
    super(message);
  }
}

export interface StoredAccount {
  accountId: string;
  deviceId: string;
}

export class AccountStore {
  readonly mnemonicPath: string;
  readonly deviceKeysPath: string;
  /** The id derived from the stored mnemonic (deriving costs a PBKDF2 and EC math). */
  private cachedId: { phrase: Mnemonic; id: string } | undefined;
  /** Operations run one at a time, so that a forget cannot interleave with a store. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly stateDir: string) {
    this.mnemonicPath = join(stateDir, MNEMONIC_FILE);
    this.deviceKeysPath = join(stateDir, DEVICE_KEYS_FILE);
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * Checks the mnemonic, then stores it (replacing any stored one) and makes device keys if there
   * are none. Throws MnemonicError, having written nothing, when the phrase is not valid.
   */
  store(input: unknown): Promise<StoredAccount> {
    let mnemonic: Mnemonic;
    try {
      mnemonic = Mnemonic.parse(input);  // before the queue: a bad phrase never waits or writes
    } catch (error) {
      return Promise.reject(error);
    }
    return this.serial(async () => {
      const accountId = await accountIdFromMnemonic(mnemonic);
      await this.prepareDir();
      await writeFileAtomic(this.mnemonicPath, JSON.stringify({ format: FORMAT, mnemonic: mnemonic.reveal() }), { mode: FILE_MODE });
      this.cachedId = { phrase: mnemonic, id: accountId };
      const device = (await this.readDeviceKeys()) ?? (await this.writeNewDeviceKeys());
      return { accountId, deviceId: device.identity };
    });
  }

  async isStored(): Promise<boolean> {
    return (await this.mnemonic()) !== undefined;
  }

  /** The stored mnemonic, or undefined; AccountStoreError when the file is unreadable or invalid. */
  mnemonic(): Promise<Mnemonic | undefined> {
    return this.serial(() => this.readMnemonic());
  }

  /** The stored account's id (n1…), or undefined when none is stored. */
  async accountId(): Promise<string | undefined> {
    const mnemonic = await this.mnemonic();
    if (mnemonic === undefined) return undefined;
    if (this.cachedId === undefined || !this.cachedId.phrase.equals(mnemonic)) {
      this.cachedId = { phrase: mnemonic, id: await accountIdFromMnemonic(mnemonic) };
    }
    return this.cachedId.id;
  }

  /** The device keys, or undefined when there are none yet. */
  deviceKeys(): Promise<DeviceKeys | undefined> {
    return this.serial(() => this.readDeviceKeys());
  }

  /** The device keys, made (and stored) if there are none. */
  ensureDeviceKeys(): Promise<DeviceKeys> {
    return this.serial(async () => (await this.readDeviceKeys()) ?? (await this.writeNewDeviceKeys()));
  }

  /** The device identity (base58 ed25519 public key), or undefined. */
  async deviceId(): Promise<string | undefined> {
    return (await this.deviceKeys())?.identity;
  }

  /** Removes the mnemonic and the device keys, overwriting them first. Returns the files removed. */
  forget(): Promise<string[]> {
    return this.serial(async () => {
      const removed: string[] = [];
      for (const path of [this.mnemonicPath, this.deviceKeysPath]) {
        if (await overwriteAndRemove(path)) removed.push(path);
      }
      await this.removeLeftoverTemps();
      this.cachedId = undefined;
      return removed;
    });
  }

  private async prepareDir(): Promise<void> {
    await ensureDir(this.stateDir, DIR_MODE);
    await this.removeLeftoverTemps();
  }

  /** Temp files a crash left behind may hold a secret. */
  private async removeLeftoverTemps(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.stateDir);
    } catch {
      return;
    }
    for (const name of names) {
      if (isTempName(name) && (name.startsWith(`.${MNEMONIC_FILE}.`) || name.startsWith(`.${DEVICE_KEYS_FILE}.`))) {
        await overwriteAndRemove(join(this.stateDir, name)).catch(() => {});
      }
    }
  }

  /** The file's JSON object, or undefined when it does not exist. */
  private async readRecord(path: string, what: string): Promise<Record<string, unknown> | undefined> {
    let text: string | undefined;
    try {
      // Not through a symlink, only a regular file, and 0600 again if someone widened it.
      text = await readSecretFile(path);
    } catch (error) {
      throw new AccountStoreError('Io', `cannot read the ${what} file: ${(error as Error).message}`);
    }
    if (text === undefined) return undefined;
    let rec: unknown;
    try {
      rec = JSON.parse(text);
    } catch {
      throw new AccountStoreError('Corrupt', `the ${what} file ${path} is not JSON`);
    }
    if (typeof rec !== 'object' || rec === null || (rec as { format?: unknown }).format !== FORMAT) {
      throw new AccountStoreError('Corrupt', `the ${what} file ${path} is not in format ${FORMAT}`);
    }
    return rec as Record<string, unknown>;
  }

  private async readMnemonic(): Promise<Mnemonic | undefined> {
    const rec = await this.readRecord(this.mnemonicPath, 'account');
    if (rec === undefined) return undefined;
    try {
      return Mnemonic.parse(rec.mnemonic);
    } catch (error) {
      const problem = error instanceof MnemonicError ? error.message : 'unreadable';
      throw new AccountStoreError('Corrupt', `the account file ${this.mnemonicPath} holds no valid mnemonic (${problem})`);
    }
  }

  private async readDeviceKeys(): Promise<DeviceKeys | undefined> {
    const rec = await this.readRecord(this.deviceKeysPath, 'device keys');
    if (rec === undefined) return undefined;
    let keys: DeviceKeys;
    try {
      keys = DeviceKeys.fromSecret(base58.decode(String(rec.private_key)));
    } catch {
      throw new AccountStoreError('Corrupt', `the device keys file ${this.deviceKeysPath} holds no valid private key`);
    }
    if (rec.public_key !== keys.identity) {
      throw new AccountStoreError('Corrupt', `the device keys file ${this.deviceKeysPath}: the public key does not match the private key`);
    }
    return keys;
  }

  private async writeNewDeviceKeys(): Promise<DeviceKeys> {
    const keys = DeviceKeys.generate();
    await ensureDir(this.stateDir, DIR_MODE);
    const text = JSON.stringify({ format: FORMAT, private_key: keys.exportSecret(), public_key: keys.identity });
    await writeFileAtomic(this.deviceKeysPath, text, { mode: FILE_MODE });
    return keys;
  }
}
