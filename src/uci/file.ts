// Config files on disk: where uci looks for them, reading + parsing, and writing back the way
// `uci commit` does (export form without the package line, to a temp file in the same
// directory, fsync, chmod like the old file, rename over it). A write replaces the whole
// file from the model, so read-modify-write through updateUciConfig keeps every section.
// Not done: uci's flock() (Node has none) and uci's delta files (/tmp/.uci, uncommitted
// `uci set`s), which `uci show` would merge in.

import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UciError } from './errors.js';
import { exportPackage } from './export.js';
import type { UciPackage } from './model.js';
import { isValidConfigName } from './names.js';
import { parseUci } from './parser.js';
import type { ParseOptions, ValueEncoding } from './parser.js';

export const DEFAULT_CONFIG_DIR = '/etc/config';
/** Mode uci gives a config file it creates (UCI_FILEMODE). */
const NEW_FILE_MODE = 0o600;

export interface LoadOptions {
  readonly strict?: boolean;
  readonly onError?: (error: UciError) => void;
  readonly encoding?: ValueEncoding;
}

export interface ConfigLocation {
  readonly path: string;
  /** The config's name: the file name. */
  readonly name: string;
}

/**
 * Where uci reads config `name` from (file.c uci_file_load): a plain name lives in the config
 * directory; "/…" and "./…" are paths of their own, named after their last component.
 */
export function locateConfig(configDir: string, name: string): ConfigLocation {
  if (name.startsWith('/') || name.startsWith('./')) {
    return { path: name, name: name.slice(name.lastIndexOf('/') + 1) };
  }
  if (name.startsWith('.')) throw new UciError('NOTFOUND');
  if (!isValidConfigName(name)) throw new UciError('INVAL');
  return { path: `${configDir}/${name}`, name };
}

function parseOptions(name: string, options: LoadOptions): ParseOptions {
  if (!isValidConfigName(name)) throw new UciError('INVAL');
  return {
    name,
    ...(options.strict !== undefined ? { strict: options.strict } : {}),
    ...(options.onError !== undefined ? { onError: options.onError } : {}),
    ...(options.encoding !== undefined ? { encoding: options.encoding } : {}),
  };
}

/** uci answers "Entry not found" for a missing or non-regular file, "I/O error" if unreadable. */
function readError(error: unknown): UciError {
  const code = (error as NodeJS.ErrnoException).code;
  return new UciError(code === 'ENOENT' || code === 'ENOTDIR' ? 'NOTFOUND' : 'IO');
}

export function loadUciConfigSync(configDir: string, name: string, options: LoadOptions = {}): UciPackage {
  const location = locateConfig(configDir, name);
  let bytes: Uint8Array;
  try {
    if (!statSync(location.path).isFile()) throw new UciError('NOTFOUND');
    bytes = readFileSync(location.path);
  } catch (error) {
    throw error instanceof UciError ? error : readError(error);
  }
  return parseUci(bytes, parseOptions(location.name, options));
}

export async function loadUciConfig(configDir: string, name: string, options: LoadOptions = {}): Promise<UciPackage> {
  const location = locateConfig(configDir, name);
  return readUciFile(location.path, options, location.name);
}

/** Reads and parses one file; the config is named after the file unless `name` is given. */
export async function readUciFile(path: string, options: LoadOptions = {}, name?: string): Promise<UciPackage> {
  let bytes: Uint8Array;
  try {
    if (!(await stat(path)).isFile()) throw new UciError('NOTFOUND');
    bytes = await readFile(path);
  } catch (error) {
    throw error instanceof UciError ? error : readError(error);
  }
  return parseUci(bytes, parseOptions(name ?? path.slice(path.lastIndexOf('/') + 1), options));
}

/**
 * The configs `uci show`/`uci export` list (file.c uci_list_config_files): entries of the
 * directory in byte order, without dot files, directories, names with a '.', and names uci
 * would not accept. No entries at all is "Entry not found", as glob finding nothing is.
 */
export function listUciConfigsSync(configDir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(configDir).filter((entry) => !entry.startsWith('.'));
  } catch {
    entries = [];
  }
  if (entries.length === 0) throw new UciError('NOTFOUND');
  entries.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.filter((entry) => {
    if (entry.includes('.') || !isValidConfigName(entry)) return false;
    try {
      return !statSync(join(configDir, entry)).isDirectory();
    } catch {
      return true;
    }
  });
}

/** The file content `uci commit` would write for this config. */
export function serializeForCommit(pkg: UciPackage): string {
  return exportPackage(pkg, { header: false });
}

/**
 * Replaces the file at `path` with `pkg` atomically: readers see the old or the new file, never
 * a part. Follows a symlink to its target, keeps the file's mode (new files: 0600, like uci).
 */
export async function writeUciFile(path: string, pkg: UciPackage): Promise<void> {
  let target = path;
  let mode = NEW_FILE_MODE;
  try {
    target = await realpath(path);
    mode = (await stat(target)).mode & 0o7777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const temp = join(dirname(target), `.${pkg.name}.uci-${randomBytes(6).toString('hex')}`);
  const handle = await open(temp, 'wx', mode);
  try {
    try {
      await handle.writeFile(serializeForCommit(pkg), 'utf8');
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(target));
}

/** Makes the rename itself durable; not every filesystem lets a directory be fsynced. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: the data is already synced; only a crash right now could lose the rename.
  }
}

export async function writeUciConfig(configDir: string, pkg: UciPackage): Promise<void> {
  await writeUciFile(locateConfig(configDir, pkg.name).path, pkg);
}

/**
 * Read-modify-write of one config: loads it (a missing file starts empty; a file that does not
 * parse is an error, so it is never overwritten), lets `edit` change the model, writes it back.
 */
export async function updateUciConfig(
  configDir: string,
  name: string,
  edit: (pkg: UciPackage) => void,
): Promise<UciPackage> {
  let pkg: UciPackage;
  try {
    pkg = await loadUciConfig(configDir, name);
  } catch (error) {
    if (!(error instanceof UciError && error.code === 'NOTFOUND')) throw error;
    pkg = { name, sections: [], sectionCounter: 0 };
  }
  edit(pkg);
  await writeUciConfig(configDir, pkg);
  return pkg;
}
